import json

import pytest

from dephn import cli


@pytest.fixture
def bench_cli():
    return cli.main


def test_bad_models_are_one_line_errors(bench_cli, capsys, tmp_path):
    assert bench_cli(["bench", "--models", "mmoe,nosuch", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dephn: error: unknown model 'nosuch'") and "Traceback" not in err


def test_cuda_without_a_gpu_is_a_user_error(bench_cli, capsys, tmp_path):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code = bench_cli(["bench", "--device", "cuda", "--batch-size", "8192", "--rows", "300",
                      "--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path)])
    assert code == 1 and "CUDA is not available" in capsys.readouterr().err


def test_bench_end_to_end_on_generated_criteo(bench_cli, capsys, tmp_path):
    """One task: the peers are skipped with a reason, ours is measured in a subprocess."""
    out = tmp_path / "bench"
    code = bench_cli(["bench", "--dataset", "criteo", "--rows", "1500", "--epochs", "1", "--batch-size", "512",
                      "--models", "mmoe", "--peers", "--repeats", "1", "--cache-dir", str(tmp_path / "cache"),
                      "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "| mmoe |" in printed and "needs two or more tasks" not in printed
    d = json.loads((out / "train_results.json").read_text())
    assert d["command"].startswith("dephn bench --rows 1500 --epochs 1 --batch-size 512 --models mmoe --peers")
    assert set(d["skipped"]) == {"rechub-mmoe", "deepctr-mmoe"}
    assert d["summaries"][0]["peak_rss_mib"] > 50 and d["summaries"][0]["test_auc"].keys() == {"click"}
    assert "## Training" in (out / "README.md").read_text()

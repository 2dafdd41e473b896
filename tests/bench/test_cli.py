"""`python -m benchmarks.train_bench`: its command line, called through `main([...])`."""
import json
import subprocess
import sys

import pytest

from benchmarks.train_bench.cli import main
from tests.conftest import REPO


def test_bad_models_are_one_line_errors(capsys, tmp_path):
    assert main(["--models", "mmoe,nosuch", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("python -m benchmarks.train_bench: error: unknown model 'nosuch'")
    assert "Traceback" not in err


def test_cuda_without_a_gpu_is_a_user_error(capsys, tmp_path):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code = main(["--device", "cuda", "--batch-size", "8192", "--rows", "300",
                 "--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path)])
    assert code == 1 and "CUDA is not available" in capsys.readouterr().err


def test_bench_end_to_end_on_generated_criteo(capsys, tmp_path):
    """One task: the peers are skipped with a reason, ours is measured in a subprocess."""
    out = tmp_path / "bench"
    code = main(["--dataset", "criteo", "--rows", "1500", "--epochs", "1", "--batch-size", "512",
                 "--models", "mmoe", "--peers", "--repeats", "1", "--cache-dir", str(tmp_path / "cache"),
                 "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "| mmoe |" in printed and "needs two or more tasks" not in printed
    d = json.loads((out / "train_results.json").read_text())
    assert d["command"].startswith("python -m benchmarks.train_bench --rows 1500 --epochs 1 --batch-size 512 "
                                   "--models mmoe --peers")
    assert set(d["skipped"]) == {"rechub-mmoe", "deepctr-mmoe"}
    assert d["summaries"][0]["peak_rss_mib"] > 50 and d["summaries"][0]["test_auc"].keys() == {"click"}
    assert "## Training" in (out / "README.md").read_text()


def test_runs_as_a_module_from_the_repository_root():
    p = subprocess.run([sys.executable, "-m", "benchmarks.train_bench", "--help"], cwd=REPO,
                       capture_output=True, text=True)
    assert p.returncode == 0 and "--peers" in p.stdout and "--copies" not in p.stdout


def test_dephn_has_no_bench_command(capsys):
    from dephn import cli
    with pytest.raises(SystemExit) as e:
        cli.main(["bench"])
    assert e.value.code == 2 and "invalid choice: 'bench'" in capsys.readouterr().err

"""`dephn sweep --workers` and `dephn study --workers` from the command line; `dephn results`
over a store with a damaged record."""
import pytest

from dephn.cli import main
from dephn.cli import study as study_cli
from dephn.experiments.store import CorruptRecordWarning, ResultsStore

GRID = ["sweep", "--models", "mmoe", "--seeds", "0,1", "--dataset", "criteo-ur", "--rows", "4000", "--epochs", "1",
        "--batch-size", "256", "--device", "cpu", "--set", "embed_dim=4", "--set", "expert_hidden=[16]",
        "--set", "tower_hidden=[8]", "--quiet"]


@pytest.mark.slow
def test_sweep_over_two_workers(tmp_path, capsys):
    out = tmp_path / "results"
    args = [*GRID, "--cache-dir", str(tmp_path / "cache"), "--out", str(out), "--workers", "2", "--threads", "1"]
    assert main(args) == 0
    assert "2 ran, 0 already done" in capsys.readouterr().err
    assert len(ResultsStore(out).records()) == 2
    assert main(args) == 0
    assert "0 ran, 2 already done" in capsys.readouterr().err


@pytest.mark.parametrize("flags,message", [
    (["--workers", "0"], "argument --workers: must be >= 1, got 0 (see dephn sweep -h)"),
    (["--engine", "ray"], "--engine and --ray-address go with --workers N"),
    (["--workers", "2", "--ray-address", "auto"], "--ray-address needs --engine ray"),
    (["--workers", "2", "--threads", "0"], "argument --threads: must be >= 1, got 0 (see dephn sweep -h)"),
])
def test_bad_worker_flags_are_one_line_and_exit_1(flags, message, tmp_path, capsys):
    assert main([*GRID, "--out", str(tmp_path), *flags]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"dephn: error: {message}"]


def test_study_with_workers_runs_the_plan_first_then_the_notebooks(tmp_path, monkeypatch):
    seen = {}

    def fake_prerun(study, run, only=None):
        seen.update(out=study.out, seeds=study.profile.seeds, only=only, store=study.store.root)

    monkeypatch.setattr(study_cli, "prerun", fake_prerun)
    monkeypatch.setattr(study_cli, "run_study", lambda profile, out, **kw: seen.update(notebooks_out=out, **kw))
    assert main(["study", "--profile", "smoke", "--out", str(tmp_path), "--seeds", "3,4", "--only", "02",
                 "--workers", "2", "--no-report"]) == 0
    assert seen["out"] == tmp_path and seen["notebooks_out"] == tmp_path
    assert list(seen["seeds"]) == [3, 4] and seen["only"] == ["02"]
    assert seen["parameters"] == {"seeds": [3, 4]}


def test_results_reads_every_record_but_a_damaged_one(tmp_path, capsys):
    store = ResultsStore(tmp_path)
    for seed in (0, 1, 2):
        store.put({"run_id": f"r{seed}", "status": "ok", "model": "mmoe", "dataset": "criteo-ur", "seed": seed,
                   "label": "none", "metrics": {"test": {"ctr": {"auc": 0.7 + seed / 100}}}})
    (tmp_path / "records" / "r2.json").write_text('{"run_id": "r2", "sta')
    with pytest.warns(CorruptRecordWarning, match="r2.json"):
        assert main(["results", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "n=2" in out and "ctr=0.705" in out

"""`dephn study --plan`: every run of a profile and its estimated time, nothing trained or written."""
import json

from dephn.cli import main
from tests.conftest import REPO


def test_plan_lists_every_run_without_training_or_writing(tmp_path, capsys):
    out = tmp_path / "study"
    assert main(["study", "--profile", "smoke", "--out", str(out), "--plan", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    runs = plan["runs"]
    assert not out.exists()                                   # no stand-in data, no results store
    notebooks = {p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert {r["notebook"] for r in runs} <= notebooks
    for r in runs:
        assert {"model", "label", "dataset", "seed", "train_rows", "max_epochs", "patience", "balance"} <= set(r)
    assert {r["seed"] for r in runs} == {0, 1}                # the smoke profile's seeds
    assert any(r["planned_before"] for r in runs)             # 05 reuses runs 04 makes: counted once
    assert all(r["est_seconds"] == 0 for r in runs if r["planned_before"])
    assert plan["estimated_minutes"] > 0
    assert {"upgrad", "uw"} <= {r["balance"] for r in runs}


def test_plan_text_and_seed_override(capsys):
    assert main(["study", "--profile", "cpu", "--plan", "--seeds", "0-4"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("profile cpu:") and "09_balancing" in text and "est. minutes" in text

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


HEADLINE = ("02_parallel_experts", "05_gating", "06_confidence")


def test_cpu_plan_headline_comparisons_are_fair_converged_and_powered(capsys):
    """What `dephn study --profile cpu --plan --json` promises of the headline comparisons: 5 seeds,
    early stopping with patience >= 2, 150k generated rows, every configuration tuned on the same
    learning-rate grid, and DEPHN / MT-PHN with the baselines' head beside the named linear variant."""
    assert main(["study", "--profile", "cpu", "--plan", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    runs = [r for r in plan["runs"] if r["notebook"] in HEADLINE]
    compared = [r for r in runs if "[lr grid]" not in r["label"]]
    assert {r["seed"] for r in compared} == {0, 1, 2, 3, 4}
    assert min(r["patience"] for r in runs) >= 2 and min(r["max_epochs"] for r in runs) >= 8
    assert {r["train_rows"] for r in runs} == {120_000}
    grid = [r for r in runs if "[lr grid]" in r["label"]]
    per_config = {}
    for r in grid:
        per_config.setdefault((r["notebook"], r["model"], r["label"]), set()).add(r["lr"])
    assert per_config and all(lrs == {1e-3, 3e-3, 1e-2} for lrs in per_config.values())   # one budget for all
    tables = {r["head"] for r in compared if r["notebook"] == "02_parallel_experts" and r["model"] != "dnn"}
    heads = {(r["model"], r["head"]) for r in compared if r["model"] in ("mmoe", "mtphn", "dephn")}
    assert {("mmoe", "mlp (16,)"), ("mtphn", "mlp (16,)"), ("dephn", "mlp (16,)"), ("dephn", "linear")} <= heads
    assert "mlp (16,)" in tables
    assert plan["estimated_minutes"] <= plan["at_most_minutes"]


def test_plan_with_workers_spreads_the_estimate(capsys):
    from dephn.study.plan import WORKER_SPEED, with_workers
    assert with_workers(60.0, None) == 60.0 and with_workers(60.0, 1) == 60.0
    assert with_workers(60.0, 2) == 60.0 / 2 / WORKER_SPEED        # one thread each on 2 cores
    assert with_workers(60.0, 8) == with_workers(60.0, 2)           # more workers than cores gain nothing
    assert main(["study", "--profile", "cpu", "--plan", "--json", "--workers", "2"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["workers"] == 2
    assert abs(plan["estimated_minutes_with_workers"] - with_workers(plan["estimated_minutes"], 2)) < 0.1


def test_cpu_plan_lists_the_whole_fig5_grid_with_a_detectable_effect_per_comparison(capsys):
    assert main(["study", "--profile", "cpu", "--plan", "--json", "--only", "04"]) == 0
    plan = json.loads(capsys.readouterr().out)
    mmoe = [r for r in plan["runs"] if r["model"] == "mmoe"]
    for regime in ("adam", "sgd"):
        for dataset in ("criteo-r", "criteo-ur"):
            part = [r for r in mmoe if r["dataset"] == dataset and r["gate_optimizer"] == regime]
            assert len({r["vg"] for r in part if r["vg"]}) == 16
            assert len({r["seed"] for r in part}) >= 5
    found = {(d["regime"], d["dataset"], d["task"]) for d in plan["detectable"]}
    assert found == {(g, d, t) for g in ("adam", "sgd") for d in ("criteo-r", "criteo-ur") for t in ("task1", "task2")}
    assert all(d["detectable"] <= 0.005 for d in plan["detectable"])

"""benchmarks/peer_gap.py: the controlled comparison of our MMoE and torch-rechub's."""
import json

import numpy as np
import pytest
import torch
from scipy import stats

from benchmarks import peer_gap
from benchmarks.train_bench import peers
from benchmarks.train_bench.plan import Entry


def _run(variant, seed, t1, t2, epoch=2, epochs=6):
    return {"variant": variant, "seed": seed, "test_auc": {"task1": t1, "task2": t2},
            "valid_auc": {"task1": t1, "task2": t2}, "selected_epoch": epoch, "epochs": epochs,
            "parameters": 10, "seconds": 1.0}


def test_summary_pairs_each_variant_with_the_reference_by_seed():
    ref = [0.80, 0.82, 0.81]
    ours = [0.79, 0.80, 0.805]
    runs = ([_run("rechub-mmoe", s, 0.9, r) for s, r in enumerate(ref)]
            + [_run("mmoe", s, 0.9, o, epoch=6 if s == 0 else 3) for s, o in enumerate(ours)])
    rows = {r["variant"]: r for r in peer_gap.summarize(runs, ["task1", "task2"])}
    assert list(rows) == ["mmoe", "rechub-mmoe"]                       # the variants' order
    mmoe = rows["mmoe"]
    assert mmoe["task2_diff"] == pytest.approx(np.mean(np.subtract(ours, ref)))
    assert mmoe["task2_p"] == pytest.approx(stats.ttest_rel(ours, ref).pvalue)
    assert mmoe["task2_mean"] == pytest.approx(np.mean(ours))
    assert mmoe["at_last_epoch"] == 1                                  # seed 0 chose its last epoch
    assert "task2_diff" not in rows["rechub-mmoe"]
    table = peer_gap.render(list(rows.values()), ["task1", "task2"])
    assert f"{mmoe['task2_diff']:+.4f}" in table and "1 of 3" in table


def test_runs_of_an_earlier_call_are_kept_only_for_the_same_settings(tmp_path):
    path = tmp_path / "gap.json"
    path.write_text(json.dumps({"rows": 100, "epochs": 6, "data_fingerprint": "fp", "runs": [_run("mmoe", 0, .9, .8)]}))
    assert len(peer_gap._earlier_runs(path, 100, 6, "fp")) == 1
    assert peer_gap._earlier_runs(path, 100, 5, "fp") == []
    assert peer_gap._earlier_runs(path, 100, 6, "other") == []
    assert peer_gap._earlier_runs(None, 100, 6, "fp") == []


def test_unknown_variant_exits_2_without_training(capsys):
    assert peer_gap.main(["--variants", "mmoe,nope"]) == 2
    assert "nope" in capsys.readouterr().err


def test_rechub_gates_lose_their_batch_norm_and_nothing_else(bench_data, bench_cfg):
    if peers.peer_missing("rechub-mmoe"):
        pytest.skip(peers.peer_missing("rechub-mmoe"))
    seen = {}

    def adjust(model):
        before = sum(isinstance(m, torch.nn.BatchNorm1d) for m in model.modules())
        peer_gap._without_gate_batch_norm(model)
        seen["removed"] = before - sum(isinstance(m, torch.nn.BatchNorm1d) for m in model.modules())
        seen["gates_bn"] = sum(isinstance(m, torch.nn.BatchNorm1d) for g in model.gates for m in g.modules())

    m = peers.train_rechub(Entry("rechub-mmoe", "peer", "rechub-mmoe"), bench_data, bench_cfg, adjust=adjust)
    assert seen == {"removed": 2, "gates_bn": 0}                      # one per task's gate
    assert set(m.test_auc) == set(bench_data.schema.tasks)

"""`execute_copies` writes each vectorised copy's record as `execute` writes its separate run's."""
from __future__ import annotations

import pytest

from dephn.data.datasets import load_dataset
from dephn.errors import DephnError
from dephn.experiments.copies import execute_copies
from dephn.experiments.runs import RunSpec, execute
from dephn.experiments.store import ResultsStore

pytestmark = pytest.mark.usefixtures("one_torch_thread")

MODEL = dict(expert_hidden=[16, 8], tower_hidden=[8], n_experts=2, embed_dim=4, batch_norm=False)
TRAIN = dict(epochs=2, batch_size=256, quiet=True, device="cpu", log_every=4, lr=0.01, sparse_lr=0.01)


def _spec(seed, vg=None):
    return RunSpec("mmoe", "criteo-ur", seed=seed, model_options=MODEL, train_options={**TRAIN, "vg": vg},
                   data_options={"rows": 3000})


def test_copies_write_the_records_separate_runs_write(tmp_path):
    data = load_dataset("criteo-ur", None, rows=3000, cache_dir=tmp_path / "cache")
    specs = [_spec(0, "add_sqrt/pearson"), _spec(1, "add_sqrt/pearson"), _spec(0)]
    store = ResultsStore(tmp_path / "together")
    together = execute_copies(specs, data, store)
    assert len(store.records()) == 3
    for spec, rec in zip(specs, together):
        sep = execute(spec, data, ResultsStore(tmp_path / "separate"))
        assert rec["run_id"] == sep["run_id"] and rec["label"] == sep["label"]
        assert set(rec) == set(sep)
        assert (rec["best_epoch"], rec["epochs_run"], rec["steps"], rec["stopped"]) == \
            (sep["best_epoch"], sep["epochs_run"], sep["steps"], sep["stopped"])
        for split in ("valid", "test"):
            for task, m in sep["metrics"][split].items():
                assert abs(m["auc"] - rec["metrics"][split][task]["auc"]) <= 1e-5
        a, b = rec["_recorder"], sep["_recorder"]
        assert [r["step"] for r in a.steps] == [r["step"] for r in b.steps]
        assert max(abs(x["loss"] - y["loss"]) for x, y in zip(a.steps, b.steps)) <= 1e-5
        assert a.vg_steps == b.vg_steps
        if spec.train_config().vg:
            assert abs(rec["vg_summary"]["coef_mean"] - sep["vg_summary"]["coef_mean"]) <= 1e-4


def test_copies_must_differ_only_by_seed_and_vg(tmp_path):
    data = load_dataset("criteo-ur", None, rows=3000, cache_dir=tmp_path / "cache")
    other = RunSpec("mmoe", "criteo-ur", seed=1, model_options={**MODEL, "embed_dim": 8},
                    train_options=TRAIN, data_options={"rows": 3000})
    with pytest.raises(DephnError, match="differ only by seed"):
        execute_copies([_spec(0), other], data)

"""Same seed, same numbers: every model (and the virtual-gradient variants) against a record
made before the architecture change (`tests/golden/behaviour_baseline.json`: metrics, recorded
losses, gate values and virtual-gradient coefficients of a 2-epoch run on fixed data)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from dephn.experiments.runs import RunSpec, execute
from tests.conftest import REPO, synthetic_encoded

BASELINE = json.loads((REPO / "tests" / "golden" / "behaviour_baseline.json").read_text())
SMALL = {"embed_dim": 4, "dnn_hidden": [16], "expert_hidden": [16, 8], "tower_hidden": [8], "n_experts": 2,
         "cross_layers": 1, "fint_layers": 1, "cin_layers": [8, 8],
         "dense_init": "small"}        # recorded when the dense fields' vectors always started small
TRAIN = {"epochs": 2, "batch_size": 256, "lr": 3e-3, "sparse_lr": 1e-2, "quiet": True, "log_every": 2,
         "device": "cpu"}


@pytest.fixture(scope="module")
def data():
    return synthetic_encoded(n=2000, seed=3)


@pytest.mark.parametrize("case", BASELINE, ids=lambda c: c["model"] + "-" + "-".join(
    f"{v}" for v in c["options"].values() if v is not True))
def test_same_seed_gives_the_recorded_numbers(case, data, one_torch_thread):
    options = dict(case["options"])
    train = dict(TRAIN)
    if options.pop("virtual_gradient", False):     # recorded as model options before the VG moved
        train["vg"] = f"{options.pop('gamma')}/{options.pop('corr')}"   # onto the trainer's policy axis
    if case["model"] == "dephn":                  # recorded when TVG gates were always a softmax
        options.setdefault("tvg_norm", "softmax")  # and the public head linear by default
        options.setdefault("public_tower", "linear")
    spec = RunSpec(model=case["model"], dataset="synthetic", seed=7, model_options={**SMALL, **options},
                   train_options=train)
    rec = execute(spec, data)
    recorder = rec["_recorder"]
    assert rec["parameters"] == case["parameters"]
    assert (rec["best_epoch"], rec["steps"]) == (case["best_epoch"], case["steps"])
    for split in ("valid", "test"):
        for task, m in case["metrics"][split].items():
            got = rec["metrics"][split][task]
            assert got["auc"] == pytest.approx(m["auc"], abs=1e-6), (split, task)
            assert got["logloss"] == pytest.approx(m["logloss"], abs=1e-6), (split, task)
    np.testing.assert_allclose([s["loss"] for s in recorder.steps], case["losses"], atol=1e-5)
    assert set(recorder.gates) == set(case["gates"])
    for name, values in case["gates"].items():
        np.testing.assert_allclose(np.stack(recorder.gates[name]), values, atol=1e-5)
    assert set(recorder.vg_coef) == set(case["vg"])
    for name, values in case["vg"].items():
        np.testing.assert_allclose(np.stack(recorder.vg_coef[name]), values, atol=1e-5)
    for name, values in case["final"].items():
        np.testing.assert_allclose(recorder.final[name], values, atol=1e-5)

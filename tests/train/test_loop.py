import math

import numpy as np
import pytest
import torch

from dephn.train.config import TrainConfig
from dephn.train.loop import TrainingDiverged, fit, make_optimizers, predict
from dephn.train.recorder import Recorder


def _cfg(**kw):
    base = dict(epochs=3, batch_size=256, lr=0.05, sparse_lr=0.05, quiet=True, log_every=2, device="cpu")
    base.update(kw)
    return TrainConfig(**base)


def test_fit_learns_and_records(tiny_data, tiny_model_factory):
    model = tiny_model_factory(tiny_data)
    res = fit(model, tiny_data, _cfg(), generator=torch.Generator().manual_seed(0))
    for task in tiny_data.schema.tasks:
        assert res.test[task]["auc"] > 0.65, res.test
    steps = res.recorder.steps_frame()
    assert steps["loss"].iloc[-1] < steps["loss"].iloc[0]
    assert len(res.recorder.epochs) == res.epochs_run == 3
    assert res.recorder.gate_history("gates/t0").shape == (3, 3)
    assert res.samples_per_s > 0 and res.steps == 3 * math.ceil(len(tiny_data.train) / 256)


def test_same_seed_same_metrics_on_cpu(tiny_data, tiny_model_factory):
    runs = []
    for _ in range(2):
        model = tiny_model_factory(tiny_data)
        runs.append(fit(model, tiny_data, _cfg(), generator=torch.Generator().manual_seed(7)))
    assert runs[0].test == runs[1].test
    assert runs[0].recorder.steps == runs[1].recorder.steps


def test_sparse_tables_get_row_adam(tiny_data, tiny_model_factory):
    kinds = sorted(type(o).__name__ for o in make_optimizers(tiny_model_factory(tiny_data), _cfg()))
    assert kinds == ["Adam", "RowAdam"]
    kinds = [type(o).__name__ for o in make_optimizers(tiny_model_factory(tiny_data, sparse=False), _cfg())]
    assert kinds == ["Adam"]


def test_non_finite_loss_names_the_step_and_keeps_the_record(tiny_data, tiny_model_factory):
    model = tiny_model_factory(tiny_data)
    calls = {"n": 0}
    orig = model.forward

    def poisoned(sparse, dense, labels=None):
        out = orig(sparse, dense, labels)
        calls["n"] += 1
        if calls["n"] == 5:
            out.logits["t1"] = out.logits["t1"] * float("nan")
        return out

    model.forward = poisoned
    with pytest.raises(TrainingDiverged, match=r"non-finite loss at step 5 \(epoch 1\).*t1=nan") as e:
        fit(model, tiny_data, _cfg(log_every=100))
    assert isinstance(e.value.recorder, Recorder)


def test_early_stopping_restores_best_epoch(tiny_data, tiny_model_factory):
    model = tiny_model_factory(tiny_data)
    # a huge learning rate makes later epochs worse; patience 1 stops and restores the best
    res = fit(model, tiny_data, _cfg(epochs=8, lr=3.0, sparse_lr=3.0, patience=1))
    aucs = [np.mean([r[f"valid/{t}/auc"] for t in tiny_data.schema.tasks]) for r in res.recorder.epochs]
    assert res.best_epoch == int(np.argmax(aucs)) + 1
    final = np.mean([res.valid[t]["auc"] for t in tiny_data.schema.tasks])
    assert final == pytest.approx(max(aucs), abs=1e-9)


def test_bf16_path_and_max_steps(tiny_data, tiny_model_factory):
    model = tiny_model_factory(tiny_data, sparse=False)
    res = fit(model, tiny_data, _cfg(precision="bf16", max_steps=4))
    assert res.precision == "bf16" and res.steps == 4 and res.stopped == "max_steps"
    probs, logits, _ = predict(model, tiny_data.test, precision="bf16")
    assert probs.shape == (len(tiny_data.test), 2) and np.isfinite(logits).all()


def test_recorder_round_trip(tmp_path, tiny_data, tiny_model_factory):
    res = fit(tiny_model_factory(tiny_data), tiny_data, _cfg(epochs=2))
    res.recorder.save(tmp_path)
    back = Recorder.load(tmp_path)
    assert back.steps == res.recorder.steps and back.epochs == res.recorder.epochs
    np.testing.assert_array_equal(back.gate_history("gates/t1"), res.recorder.gate_history("gates/t1"))

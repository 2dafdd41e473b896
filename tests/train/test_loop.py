import math

import numpy as np
import pytest
import torch

from dephn.train.callbacks import Callback
from dephn.train.config import TrainConfig
from dephn.train.evaluate import predict
from dephn.train.loop import TrainingDiverged, fit
from dephn.train.optimizers import make_optimizers


def _cfg(**kw):
    base = dict(epochs=3, batch_size=256, lr=0.05, sparse_lr=0.05, quiet=True, log_every=2, device="cpu")
    base.update(kw)
    return TrainConfig(**base)


class Events(Callback):
    """Writes down every callback the trainer makes."""

    def __init__(self):
        self.calls, self.logs, self.rows = [], [], []

    def on_train_start(self, state):
        self.calls.append("start")

    def on_log(self, state, losses):
        self.calls.append("log")
        self.logs.append((state.step, state.epoch, losses))

    def on_epoch_end(self, state, row):
        self.calls.append("epoch")
        self.rows.append(row)

    def on_train_end(self, state):
        self.calls.append("end")


def test_fit_learns_and_calls_back(tiny_data, tiny_model_factory):
    model = tiny_model_factory(tiny_data)
    events = Events()
    res = fit(model, tiny_data, _cfg(), generator=torch.Generator().manual_seed(0), callbacks=[events])
    for task in tiny_data.schema.tasks:
        assert res.test[task]["auc"] > 0.65, res.test
    steps_per_epoch = math.ceil(len(tiny_data.train) / 256)
    assert res.samples_per_s > 0 and res.steps == 3 * steps_per_epoch
    assert events.calls[0] == "start" and events.calls[-1] == "end" and events.calls.count("epoch") == 3
    # a log every 2 steps and one more at each epoch's end when its step count is odd
    assert len(events.logs) == 3 * math.ceil(steps_per_epoch / 2)
    first, last = events.logs[0][2], events.logs[-1][2]
    assert set(first) == set(tiny_data.schema.tasks) and sum(last.values()) < sum(first.values())
    assert events.rows == res.history and [r["epoch"] for r in res.history] == [1, 2, 3]


def test_same_seed_same_metrics_on_cpu(tiny_data, tiny_model_factory):
    runs, logs = [], []
    for _ in range(2):
        model = tiny_model_factory(tiny_data)
        events = Events()
        runs.append(fit(model, tiny_data, _cfg(), generator=torch.Generator().manual_seed(7), callbacks=[events]))
        logs.append(events.logs)
    assert runs[0].test == runs[1].test
    assert logs[0] == logs[1]


def test_sparse_tables_get_row_adam(tiny_data, tiny_model_factory):
    kinds = sorted(type(o).__name__ for o in make_optimizers(tiny_model_factory(tiny_data), _cfg()))
    assert kinds == ["Adam", "RowAdam"]
    kinds = [type(o).__name__ for o in make_optimizers(tiny_model_factory(tiny_data, sparse=False), _cfg())]
    assert kinds == ["Adam"]


def test_non_finite_loss_names_the_step(tiny_data, tiny_model_factory):
    model = tiny_model_factory(tiny_data)
    calls = {"n": 0}
    orig = model.forward

    def poisoned(sparse, dense):
        out = orig(sparse, dense)
        calls["n"] += 1
        if calls["n"] == 5:
            out.logits["t1"] = out.logits["t1"] * float("nan")
        return out

    model.forward = poisoned
    with pytest.raises(TrainingDiverged, match=r"non-finite loss at step 5 \(epoch 1\).*t1=nan") as e:
        fit(model, tiny_data, _cfg(log_every=100))
    assert (e.value.step, e.value.epoch) == (5, 1)


def test_early_stopping_restores_best_epoch(tiny_data, tiny_model_factory):
    model = tiny_model_factory(tiny_data)
    # a huge learning rate makes later epochs worse; patience 1 stops and restores the best
    res = fit(model, tiny_data, _cfg(epochs=8, lr=3.0, sparse_lr=3.0, patience=1))
    aucs = [np.mean([r[f"valid/{t}/auc"] for t in tiny_data.schema.tasks]) for r in res.history]
    assert res.best_epoch == int(np.argmax(aucs)) + 1
    final = np.mean([res.valid[t]["auc"] for t in tiny_data.schema.tasks])
    assert final == pytest.approx(max(aucs), abs=1e-9)


def test_bf16_path_and_max_steps(tiny_data, tiny_model_factory):
    model = tiny_model_factory(tiny_data, sparse=False)
    res = fit(model, tiny_data, _cfg(precision="bf16", max_steps=4))
    assert res.precision == "bf16" and res.steps == 4 and res.stopped == "max_steps"
    probs, logits, _ = predict(model, tiny_data.test, precision="bf16")
    assert probs.shape == (len(tiny_data.test), 2) and np.isfinite(logits).all()


"""Many runs as one: C copies trained vectorised equal C separate `fit` runs.

Tolerance: 1e-5 absolute on every logged per-task training loss and on the final valid/test
AUC and log loss (fp32 sums run in another order under vmap; observed differences are ~1e-7
on losses and ~1e-8 on metrics). Best epochs, epochs run, steps and stop reasons are equal.
"""
from __future__ import annotations

import pytest
import torch

from dephn.config import ModelConfig
from dephn.data.datasets import load_dataset
from dephn.errors import DephnError
from dephn.layers.fint import FieldInteraction
from dephn.models import build_model
from dephn.train.callbacks import Callback
from dephn.train.config import TrainConfig
from dephn.train.loop import fit
from dephn.train.multicopy import fit_copies
from dephn.train.seed import set_seed
from dephn.train.vmap_forwards import VMAP_FORWARDS

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TOL = 1e-5
SMALL = dict(expert_hidden=(16, 8), tower_hidden=(8,), n_experts=2, embed_dim=4, cross_layers=1,
             fint_layers=1, batch_norm=False)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load_dataset("criteo-ur", None, rows=3000, cache_dir=tmp_path_factory.mktemp("cache"))


class Losses(Callback):
    def __init__(self):
        self.rows = []

    def on_log(self, state, losses):
        self.rows.append((state.step, losses))


def _cfg(**kw):
    base = dict(epochs=3, batch_size=256, quiet=True, device="cpu", log_every=1, patience=1, lr=0.01,
                sparse_lr=0.01)
    base.update(kw)
    return TrainConfig(**base)


def _separate(name, data, mcfg, cfg, seed):
    generator = set_seed(seed)
    model, log = build_model(name, data.feature_spec, mcfg), Losses()
    return fit(model, data, cfg, generator=generator, callbacks=[log]), log.rows


def _together(name, data, mcfg, cfg, seeds, vg=None):
    models, generators, logs = [], [], [Losses() for _ in seeds]
    for s in seeds:
        generators.append(set_seed(s))
        models.append(build_model(name, data.feature_spec, mcfg))
    results = fit_copies(models, data, cfg, generators=generators, vg=vg, callbacks=[[log] for log in logs])
    return results, [log.rows for log in logs]


def _assert_same(sep, sep_log, res, res_log, tol=TOL):
    assert (res.best_epoch, res.epochs_run, res.steps, res.stopped) == \
        (sep.best_epoch, sep.epochs_run, sep.steps, sep.stopped)
    assert [s for s, _ in res_log] == [s for s, _ in sep_log]
    for (_, a), (_, b) in zip(sep_log, res_log):
        for task in a:
            assert abs(a[task] - b[task]) <= tol, (task, a[task], b[task])
    for split in ("valid", "test"):
        for task, metrics in getattr(sep, split).items():
            for key in ("auc", "logloss"):
                assert abs(metrics[key] - getattr(res, split)[task][key]) <= tol, (split, task, key)
    assert len(res.history) == len(sep.history)


@pytest.mark.parametrize("name, vg", [("mmoe", None), ("dephn", "add_sqrt/pearson")])
def test_three_seeds_together_equal_three_separate_runs(data, name, vg):
    mcfg, cfg, seeds = ModelConfig(**SMALL), _cfg(vg=vg), (0, 1, 2)
    results, logs = _together(name, data, mcfg, cfg, seeds)
    for seed, res, log in zip(seeds, results, logs):
        sep, sep_log = _separate(name, data, mcfg, cfg, seed)
        _assert_same(sep, sep_log, res, log)
    # the copies are different runs, not one run three times
    assert len({round(r.test[data.schema.tasks[0]]["auc"], 6) for r in results}) == 3


def test_copies_with_their_own_virtual_gradient_settings(data):
    mcfg, settings = ModelConfig(**SMALL), ("add_sqrt/pearson", None, "add_cos/cosine")
    results, logs = _together("mmoe", data, mcfg, _cfg(epochs=2), (0, 0, 0), vg=settings)
    for vg, res, log in zip(settings, results, logs):
        sep, sep_log = _separate("mmoe", data, mcfg, _cfg(epochs=2, vg=vg), 0)
        _assert_same(sep, sep_log, res, log)
    assert results[0].test != results[1].test


def test_batch_norm_copies_follow_their_runs(data):
    """With batch norm the bias before a BN layer has a zero gradient up to rounding, which Adam
    turns into steps of size lr: eval metrics then differ with the reduction order (as between
    two separate runs on 1 and 2 threads); the training losses stay equal."""
    mcfg, cfg = ModelConfig(**{**SMALL, "batch_norm": True}), _cfg(epochs=1)
    results, logs = _together("mmoe", data, mcfg, cfg, (0, 1))
    for seed, log in zip((0, 1), logs):
        _, sep_log = _separate("mmoe", data, mcfg, cfg, seed)
        assert len(sep_log) == len(log)
        for (_, a), (_, b) in zip(sep_log, log):
            assert all(abs(a[t] - b[t]) <= 1e-4 for t in a)


@pytest.mark.parametrize("model_opts, train_opts, words", [
    ({"dropout": 0.1}, {}, "dropout"),
    ({}, {"balance": "upgrad"}, "balance"),
])
def test_unsupported_options_raise_a_clear_error(data, model_opts, train_opts, words):
    mcfg = ModelConfig(**{**SMALL, **model_opts})
    models = [build_model("mmoe", data.feature_spec, mcfg) for _ in range(2)]
    with pytest.raises(DephnError, match=f"multi-copy training.*{words}"):
        fit_copies(models, data, _cfg(**train_opts), generators=[torch.Generator() for _ in models])


@pytest.mark.parametrize("copies", [None, 3])
def test_vmap_forwards_equal_the_layers_own(copies):
    torch.manual_seed(0)
    layer = FieldInteraction(5, 2, copies=copies)
    with torch.no_grad():
        layer.u.add_(torch.randn_like(layer.u))
    x = torch.randn(4, 5, 3, requires_grad=True)
    outs, grads = [], []
    for forward in (layer.forward, lambda v: VMAP_FORWARDS[FieldInteraction](layer, v)):
        layer.zero_grad()
        x.grad = None
        out = forward(x)
        (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum().backward()
        outs.append(out.detach())
        grads.append([x.grad.clone(), layer.W.grad.clone(), layer.u.grad.clone()])
    torch.testing.assert_close(outs[0], outs[1], rtol=1e-6, atol=1e-6)
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)

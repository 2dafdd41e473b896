"""MT-PHN: MMoE over heterogeneous experts, three expert settings (paper Table I)."""
import pytest
import torch

from dephn.config import ModelConfig
from dephn.models.registry import build_model, is_multi_task
from dephn.train.policy import gate_hooks
from dephn.virtual_gradient import VGSetting
from tests.models.conftest import make_batch, make_spec
from tests.models.gate_gradients import check_no_rescaling, check_virtual_gradient, vg_labels

SETTINGS = ["D_pub,C&F_pri", "D_pub,C&F_pub", "D_pri,C&F_pub"]
K_PUBLIC = {"D_pub,C&F_pri": 2, "D_pub,C&F_pub": 4, "D_pri,C&F_pub": 2}  # with n_experts = 2


def _cfg(**kw):
    base = dict(embed_dim=4, attn_heads=2, expert_hidden=(16, 8), tower_hidden=(8,), n_experts=2,
                cross_layers=2, fint_layers=2)
    return ModelConfig(**{**base, **kw})


def _model(n_tasks=2, **kw):
    torch.manual_seed(0)
    spec = make_spec(n_tasks)
    return build_model("mtphn", spec, _cfg(**kw)), make_batch(n_tasks, spec=spec)


def test_registered_as_multi_task():
    assert is_multi_task("mtphn")


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("n_tasks", [2, 3])
def test_shapes_and_intermediates(setting, n_tasks):
    model, batch = _model(n_tasks, expert_setting=setting)
    out = model(batch.sparse, batch.dense)
    n, k = batch.labels.shape[0], K_PUBLIC[setting]
    assert list(out.logits) == [f"t{t}" for t in range(n_tasks)]
    assert out.intermediates["experts"].shape == (n, k, 8)
    for s in ("dnn", "cross", "field"):
        assert out.intermediates[f"ssg/{s}"].shape == (4,)
    for name, logit in out.logits.items():
        assert logit.shape == (n,)
        gates = out.intermediates[f"gates/{name}"]
        assert gates.shape == (n, k)
        assert torch.allclose(gates.sum(-1), torch.ones(n))
        pub = out.intermediates[f"public_logit/{name}"]
        pri = out.intermediates[f"private_logit/{name}"]
        assert torch.equal(logit, pub + pri)  # the split paper Fig. 3b reads is exact
        if setting == "D_pub,C&F_pub":
            assert torch.equal(pri, torch.zeros(n))
        else:
            assert pri.abs().sum() > 0
    assert out.probs is None


@pytest.mark.parametrize("setting", ["D_pub,C&F_pri", "D_pri,C&F_pub"])
def test_private_experts_feed_only_their_task(setting):
    model, batch = _model(2, expert_setting=setting)
    out = model(batch.sparse, batch.dense)
    out.logits["t0"].sum().backward()
    if setting == "D_pri,C&F_pub":  # one DNN expert per task in a group: rows of its first layer
        grad = model.phl.private_dnn.first.weight.grad.view(2, 16, -1)  # (T, h_0, in)
        own, other = [grad[0]], [grad[1]]
    else:  # private_other = (Cross, Field), each holding one copy per task
        cross, field = model.phl.private_other

        def task_grads(t):
            first = field.mlp.first.weight.grad.view(2, -1, field.mlp.first.in_features)  # (T, h_0, in)
            return ([p.grad for p in cross.cross[t].parameters()] + [p.grad for p in cross.proj[t].parameters()]
                    + [field.fint.W.grad[t], field.fint.u.grad[t], first[t]])
        own, other = task_grads(0), task_grads(1)
    assert any(g is not None and g.abs().sum() > 0 for g in own)
    assert all(g is None or g.abs().sum() == 0 for g in other)


@pytest.mark.parametrize("setting", SETTINGS)
def test_virtual_gradient_scales_only_the_gate_gradients(setting):
    n_tasks = 3
    _, batch = _model(n_tasks, expert_setting=setting)
    n = batch.labels.shape[0]
    batch = batch._replace(labels=vg_labels(n, n_tasks))
    res = check_virtual_gradient(lambda: _model(n_tasks, expert_setting=setting)[0], batch,
                                 VGSetting("add_sqrt", "pearson"),
                                 {"gates": (n, n_tasks, K_PUBLIC[setting])},  # (B, T, K) per-sample gates
                                 ("gates.",))
    p0 = res["plain"]
    for t, name in enumerate(p0.out.logits):
        assert torch.equal(p0.hooks["gates"].values[:, t], p0.out.intermediates[f"gates/{name}"])
    # the gates read the raw embedding: only it and the gate weights see the scaled gradient
    assert {n.split(".")[0] for n in res["upstream"]} == {"gates", "embedding"}


def test_virtual_gradient_only_in_training_with_labels():
    _, batch = _model(2)
    check_no_rescaling(lambda: _model(2)[0], batch)


def test_one_gate_hook():
    model, _ = _model(2)
    assert [(h.name, h.entries) for h in gate_hooks(model)] == [("gates", None)]


@pytest.mark.parametrize("setting", SETTINGS)
def test_overfits_a_fixed_batch(setting, overfit):
    model, batch = _model(2, expert_setting=setting)
    first, last = overfit(model, batch, steps=60, lr=2e-2)
    assert last < 0.1 * first, (first, last)

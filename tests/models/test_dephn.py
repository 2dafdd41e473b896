"""DEPHN (SPEC §3): mappings, TVG / MG gates, public + private logits, outputs, virtual gradient."""
import math

import pytest
import torch

from dephn.config import ModelConfig
from dephn.errors import DephnError
from dephn.models.dephn import MAPPINGS, PROB_EPS
from dephn.models.registry import build_model, is_multi_task
from tests.models.conftest import make_batch, make_spec
from tests.test_virtual_gradient import _expected_coef

SETTINGS = ["D_pub,C&F_pri", "D_pub,C&F_pub", "D_pri,C&F_pub"]
K_PUBLIC = {"D_pub,C&F_pri": 2, "D_pub,C&F_pub": 4, "D_pri,C&F_pub": 2}  # with n_experts = 2
H = 8


def _cfg(**kw):
    base = dict(embed_dim=4, attn_heads=2, expert_hidden=(16, H), tower_hidden=(8,), n_experts=2,
                cross_layers=2, fint_layers=2)
    return ModelConfig(**{**base, **kw})


def _model(n_tasks=2, seed=0, **kw):
    torch.manual_seed(seed)
    spec = make_spec(n_tasks)
    return build_model("dephn", spec, _cfg(**kw)), make_batch(n_tasks, spec=spec)


def test_registered_as_multi_task():
    assert is_multi_task("dephn")


def test_unknown_or_repeated_mapping_is_a_user_error():
    with pytest.raises(DephnError, match="sin"):
        _model(mappings=("raw", "fourier"))
    with pytest.raises(DephnError, match="repeated"):
        _model(mappings=("raw", "raw"))


@pytest.mark.parametrize("gate", ["tvg", "mg"])
@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("n_tasks", [2, 3])
def test_shapes_and_intermediates(n_tasks, setting, gate):
    model, batch = _model(n_tasks, expert_setting=setting, gate=gate)
    out = model(batch.sparse, batch.dense)
    n, k, p = batch.labels.shape[0], K_PUBLIC[setting], 3
    assert list(out.logits) == [f"t{t}" for t in range(n_tasks)]
    assert out.intermediates["experts"].shape == (n, k, H)
    for s in ("dnn", "cross", "field"):
        assert out.intermediates[f"ssg/{s}"].shape == (4,)
    for name, logit in out.logits.items():
        assert logit.shape == (n,)
        gates = out.intermediates[f"gates/{name}"]
        assert gates.shape == ((k, p) if gate == "tvg" else (n, k, p))
        # softmax over (expert, mapping) per task
        assert torch.allclose(gates.sum(dim=(-2, -1)), torch.ones(gates.shape[:-2]))
        assert out.intermediates[f"contrib/{name}"].shape == (n, k, p)
        pub = out.intermediates[f"public_logit/{name}"]
        pri = out.intermediates[f"private_logit/{name}"]
        assert torch.equal(logit, pub + pri)
        if setting == "D_pub,C&F_pub":  # no private expert: the private logit is its bias alone
            assert torch.all(pri == pri[0])
    assert out.vg_coef == {} and out.probs is None


@pytest.mark.parametrize("gate", ["tvg", "mg"])
def test_contributions_sum_with_bias_to_public_logit(gate):
    model, batch = _model(3, gate=gate)
    out = model(batch.sparse, batch.dense)
    for t, name in enumerate(out.logits):
        contrib = out.intermediates[f"contrib/{name}"]
        total = contrib.sum(dim=(1, 2)) + model.public_bias[t]
        assert torch.allclose(total, out.intermediates[f"public_logit/{name}"], atol=1e-6)
        assert contrib.abs().sum() > 0


def test_contribution_is_gate_times_weighted_mapping():
    # eq. 4 written out with explicit loops over experts and mappings
    model, batch = _model(2, mappings=("raw", "sin", "square"))
    out = model(batch.sparse, batch.dense)
    e = out.intermediates["experts"]                                   # (B, K, h)
    for t, name in enumerate(out.logits):
        g = out.intermediates[f"gates/{name}"]                         # (K, P)
        for k in range(e.shape[1]):
            for p, f in enumerate((MAPPINGS["raw"], MAPPINGS["sin"], MAPPINGS["square"])):
                expected = g[k, p] * (f(e[:, k]) @ model.public_weight[t, k, p])
                assert torch.allclose(out.intermediates[f"contrib/{name}"][:, k, p], expected, atol=1e-6)


def test_mlp_public_tower_option():
    model, batch = _model(2, public_tower="mlp")
    out = model(batch.sparse, batch.dense)
    assert not any(key.startswith("contrib/") for key in out.intermediates)
    for name, logit in out.logits.items():
        assert torch.equal(logit, out.intermediates[f"public_logit/{name}"]
                           + out.intermediates[f"private_logit/{name}"])


@pytest.mark.parametrize("public_tower", ["linear", "mlp"])
def test_sum_of_sigmoids_output(public_tower):
    model, batch = _model(2, output="sum_of_sigmoids", public_tower=public_tower)
    out = model(batch.sparse, batch.dense)
    for name, logit in out.logits.items():
        pub = out.intermediates[f"public_logit/{name}"]
        pri = out.intermediates[f"private_logit/{name}"]
        expected = (torch.sigmoid(pub) + torch.sigmoid(pri)).clamp(PROB_EPS, 1 - PROB_EPS)
        assert torch.allclose(out.probs[name], expected)
        assert torch.allclose(torch.sigmoid(logit), expected, atol=1e-5)
        # starts near 1/4 + 1/4, away from the clip at 1
        assert abs(out.probs[name].mean().item() - 0.5) < 0.15
    # outside (0, 1) the probability is clipped
    with torch.no_grad():
        model.private_head.bias.fill_(20.0)
    out = model(batch.sparse, batch.dense)
    assert torch.all(out.probs["t0"] == torch.tensor(1 - PROB_EPS))
    assert math.isfinite(out.logits["t0"].max().item())


def test_no_virtual_gradient_outside_training_or_without_labels():
    model, batch = _model(2, virtual_gradient=True)
    model.train()
    assert model(batch.sparse, batch.dense).vg_coef == {}
    assert model(batch.sparse, batch.dense, batch.labels).vg_coef["gates"].shape == (2, 2, 3)
    model.eval()
    assert model(batch.sparse, batch.dense, batch.labels).vg_coef == {}


def _gate_value_grads(model, batch):
    """Forward + backward; returns (outputs, gradients w.r.t. the gate VALUES (softmax outputs),
    gradients of every parameter by name)."""
    captured = []

    def keep(module, args, out):
        out.retain_grad()
        captured.append(out)

    gate_modules = [model.gate] if isinstance(model.gate, torch.nn.Module) and not isinstance(
        model.gate, torch.nn.ModuleList) else list(model.gate)
    handles = [m.register_forward_hook(keep) for m in gate_modules]
    model.train()
    model.zero_grad()
    out = model(batch.sparse, batch.dense, batch.labels)
    loss = sum(torch.nn.functional.binary_cross_entropy_with_logits(out.logits[n], batch.labels[:, t])
               for t, n in enumerate(out.logits))
    loss.backward()
    for h in handles:
        h.remove()
    # TVG: one (T, K*P) tensor; MG: one (B, K*P) tensor per task -> (B, T, K*P)
    g_vals = captured[0] if len(captured) == 1 else torch.stack(captured, dim=1)
    g_grads = captured[0].grad if len(captured) == 1 else torch.stack([c.grad for c in captured], 1)
    grads = {n: p.grad.to_dense().clone() for n, p in model.named_parameters() if p.grad is not None}
    return out, g_vals.detach(), g_grads, grads


@pytest.mark.parametrize("gamma, corr", [("add_sqrt", "pearson"), ("mul_cos", "cosine")])
@pytest.mark.parametrize("gate", ["tvg", "mg"])
def test_virtual_gradient_scales_only_the_gate_gradients(gate, gamma, corr):
    n_tasks = 3
    plain, batch = _model(n_tasks, gate=gate)
    with_vg, _ = _model(n_tasks, gate=gate, virtual_gradient=True, gamma=gamma, corr=corr)
    with_vg.load_state_dict(plain.state_dict())
    # labels with three distinct, partly correlated tasks (make_batch's task 2 repeats task 0)
    g = torch.Generator().manual_seed(5)
    base = torch.rand(batch.labels.shape[0], 1, generator=g)
    labels = (0.6 * base + 0.4 * torch.rand(batch.labels.shape[0], n_tasks, generator=g) > 0.5).float()
    batch = batch._replace(labels=labels)
    with torch.no_grad():  # spread the TVG gates (uniform at init) so gate differences matter
        logits = 1.5 * torch.randn(plain.gate.logits.shape, generator=g) if gate == "tvg" else None
        for m in (plain, with_vg):
            if gate == "tvg":
                m.gate.logits.copy_(logits)
    out0, g0, dg0, grads0 = _gate_value_grads(plain, batch)
    out1, g1, dg1, grads1 = _gate_value_grads(with_vg, batch)

    for name in out0.logits:
        assert torch.equal(out0.logits[name], out1.logits[name])      # forward bit-identical
    assert torch.equal(g0, g1)
    coef = _expected_coef(g0, batch.labels, gamma, corr).float()       # independent eq. 8
    assert not torch.allclose(coef, torch.ones_like(coef))
    assert torch.allclose(out1.vg_coef["gates"].flatten(-2), coef, atol=1e-5)
    # dL/dG with the virtual gradient = plain dL/dG times the coefficient
    assert torch.allclose(dg1, dg0 * coef, rtol=1e-5, atol=1e-8)
    # gate parameters: the scaled gate-value gradient through the softmax Jacobian
    scaled = dg0 * coef
    dlogits = g0 * (scaled - (scaled * g0).sum(-1, keepdim=True))     # softmax backward
    if gate == "tvg":
        assert torch.allclose(grads1["gate.logits"], dlogits, rtol=1e-4, atol=1e-7)
    else:  # logits_t = W_t z: dL/dW_t = dlogits_t^T z
        z = with_vg.embedding(batch.sparse, batch.dense).flatten(1).detach()
        for t in range(n_tasks):
            assert torch.allclose(grads1[f"gate.{t}.proj.weight"], dlogits[:, t].T @ z, rtol=1e-4, atol=1e-7)
    # every other parameter: unchanged gradient (the gate-input embedding also feeds the experts
    # in MG, so it sees the scaled gate gradient: excluded there and checked above through W_t)
    changed = {n for n in grads0 if n.startswith("gate.")}
    if gate == "mg":
        changed |= {n for n in grads0 if n.startswith("embedding.")}
    assert set(grads0) == set(grads1)
    for n in set(grads0) - changed:
        assert torch.allclose(grads0[n], grads1[n], rtol=1e-6, atol=1e-7), n
    assert any(not torch.allclose(grads0[n], grads1[n]) for n in changed if n.startswith("gate."))


@pytest.mark.parametrize("kw", [
    dict(), dict(gate="mg"), dict(output="sum_of_sigmoids"),
    dict(virtual_gradient=True), dict(gate="mg", virtual_gradient=True, output="sum_of_sigmoids"),
    dict(expert_setting="D_pub,C&F_pub"), dict(expert_setting="D_pri,C&F_pub"), dict(public_tower="mlp"),
], ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "default")
def test_overfits_a_fixed_batch(kw, overfit):
    model, batch = _model(2, **kw)
    first, last = overfit(model, batch, steps=60, lr=2e-2)
    assert last < 0.1 * first, (first, last)

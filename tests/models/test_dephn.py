"""DEPHN (docs/decisions.md#dephn-model): mappings, TVG / MG gates, public + private logits, outputs, virtual gradient."""
import math

import pytest
import torch

from dephn.config import ModelConfig
from dephn.errors import DephnError
from dephn.models.dephn import MAPPINGS, PROB_EPS
from dephn.models.registry import build_model, is_multi_task
from dephn.train.policy import gate_hooks, policy_for
from dephn.virtual_gradient import VGSetting
from tests.models.conftest import make_batch, make_spec
from tests.models.gate_gradients import check_no_rescaling, check_virtual_gradient, vg_labels

SETTINGS = ["D_pub,C&F_pri", "D_pub,C&F_pub", "D_pri,C&F_pub"]
K_PUBLIC = {"D_pub,C&F_pri": 2, "D_pub,C&F_pub": 4, "D_pri,C&F_pub": 2}  # with n_experts = 2
H = 8


def _cfg(**kw):
    base = dict(embed_dim=4, attn_heads=2, expert_hidden=(16, H), tower_hidden=(8,), n_experts=2,
                cross_layers=2, fint_layers=2)
    return ModelConfig(**{**base, **kw})


def _model(n_tasks=2, seed=0, **kw):
    kw.setdefault("public_tower", "linear")     # the literal head records per-(k, p) contributions
    torch.manual_seed(seed)
    spec = make_spec(n_tasks)
    return build_model("dephn", spec, _cfg(**kw)), make_batch(n_tasks, spec=spec)


def test_registered_as_multi_task():
    assert is_multi_task("dephn")


@pytest.mark.parametrize("gate", ["tvg", "mg"])
def test_one_gate_hook_with_expert_by_mapping_entries(gate):
    model, _ = _model(3, gate=gate, mappings=("raw", "sin"))
    assert [(h.name, h.entries) for h in gate_hooks(model)] == [("gates", (2, 2))]


def test_unknown_or_repeated_mapping_is_a_user_error():
    with pytest.raises(DephnError, match="sin"):
        _model(mappings=("raw", "fourier"))
    with pytest.raises(DephnError, match="repeated"):
        _model(mappings=("raw", "raw"))


@pytest.mark.parametrize("gate", ["tvg", "mg"])
@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("n_tasks", [2, 3])
def test_shapes_and_intermediates(n_tasks, setting, gate):
    model, batch = _model(n_tasks, expert_setting=setting, gate=gate, tvg_norm="softmax")
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
    assert out.probs is None


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


@pytest.mark.parametrize("gate", ["tvg", "mg"])
def test_no_virtual_gradient_outside_training_or_without_labels(gate):
    # eval mode, no labels, no grad, after detach(): gradients, values and coef untouched
    check_no_rescaling(lambda: _model(2, gate=gate)[0], _model(2, gate=gate)[1])


@pytest.mark.parametrize("gamma, corr", [("add_sqrt", "pearson"), ("mul_cos", "cosine")])
@pytest.mark.parametrize("gate", ["tvg", "mg"])
def test_virtual_gradient_scales_only_the_gate_gradients(gate, gamma, corr):
    """TVG in its softmax form (the MG gates are a softmax too): the gate parameters' gradient is
    the rescaled gate-value gradient through the softmax Jacobian."""
    n_tasks = 3
    _, batch = _model(n_tasks, gate=gate, tvg_norm="softmax")
    batch = batch._replace(labels=vg_labels(batch.labels.shape[0], n_tasks))
    g = torch.Generator().manual_seed(5)
    # spread the TVG gates (uniform at init) so gate differences matter
    spread = 1.5 * torch.randn(n_tasks, K_PUBLIC["D_pub,C&F_pri"] * 3, generator=g)

    def make():
        model, _ = _model(n_tasks, gate=gate, tvg_norm="softmax")
        if gate == "tvg":
            with torch.no_grad():
                model.gate.raw.copy_(spread)
        return model

    n, k, p = batch.labels.shape[0], K_PUBLIC["D_pub,C&F_pri"], 3
    shape = (n_tasks, k, p) if gate == "tvg" else (n, n_tasks, k, p)
    policy = policy_for(f"{gamma}/{corr}")      # the trainer's spelling of the setting
    res = check_virtual_gradient(make, batch, VGSetting(gamma, corr), {"gates": shape}, ("gate.",), policy)
    assert res["policy"] is policy and policy.setting == VGSetting(gamma, corr)

    # gate values seen by the hook are DEPHN's own gates (per task, softmax over (K, P))
    p0, p1, coef = res["plain"], res["vg"], res["coef"]["gates"].float()
    g0 = p0.hooks["gates"].values                                       # (T, K*P) | (B, T, K*P)
    for t, name in enumerate(p0.out.logits):
        assert torch.equal(g0[..., t, :].unflatten(-1, (k, p)), p0.out.intermediates[f"gates/{name}"])
    # the recorded coefficients read like the gates: entry [t, k, p] is (task, expert, mapping)
    assert torch.allclose(policy.coef["gates"].flatten(-2), coef, atol=1e-6)
    # gate parameters: the scaled gate-value gradient through the softmax Jacobian
    dg0 = p0.hooks["gates"].grad_in
    scaled = dg0 * coef
    dlogits = g0 * (scaled - (scaled * g0).sum(-1, keepdim=True))     # softmax backward
    if gate == "tvg":
        assert torch.allclose(p1.grads["gate.raw"], dlogits, rtol=1e-4, atol=1e-7)
        # global gates depend on their logits alone: every other gradient is the plain one
        assert res["upstream"] == {"gate.raw"}
    else:  # logits_t = W_t z: dL/dW_t = dlogits_t^T z
        model = make()
        z = model.embedding(batch.sparse, batch.dense).flatten(1).detach()
        for t in range(n_tasks):
            assert torch.allclose(p1.grads[f"gate.{t}.proj.weight"], dlogits[:, t].T @ z, rtol=1e-4, atol=1e-7)
        # MG gates read the embedding too: it (and only it) sees the scaled gate gradient as well
        assert {n.split(".")[0] for n in res["upstream"]} == {"gate", "embedding"}


@pytest.mark.parametrize("kw", [
    dict(), dict(gate="mg"), dict(output="sum_of_sigmoids"),
    dict(vg="add_sqrt/pearson"), dict(gate="mg", vg="add_sqrt/pearson", output="sum_of_sigmoids"),
    dict(expert_setting="D_pub,C&F_pub"), dict(expert_setting="D_pri,C&F_pub"), dict(public_tower="mlp"),
], ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "default")
def test_overfits_a_fixed_batch(kw, overfit):
    kw = dict(kw)
    vg = kw.pop("vg", None)                     # a training option (TrainConfig.vg), not a model one
    model, batch = _model(2, **kw)
    first, last = overfit(model, batch, steps=60, lr=2e-2, vg=vg)
    assert last < 0.1 * first, (first, last)


def test_raw_tvg_gates_are_the_trainable_values_and_take_the_scaled_gradient():
    """tvg_norm="none" (the default): the gate values are the parameters, so the gate parameters'
    gradient is exactly the incoming gate gradient times the coefficient."""
    n_tasks = 3
    _, batch = _model(n_tasks)
    batch = batch._replace(labels=vg_labels(batch.labels.shape[0], n_tasks))
    spread = 1.5 * torch.randn(n_tasks, K_PUBLIC["D_pub,C&F_pri"] * 3, generator=torch.Generator().manual_seed(5))

    def make():
        model, _ = _model(n_tasks)
        with torch.no_grad():
            model.gate.raw.copy_(spread)
        return model

    k, p = K_PUBLIC["D_pub,C&F_pri"], 3
    res = check_virtual_gradient(make, batch, VGSetting("add_sqrt", "pearson"), {"gates": (n_tasks, k, p)},
                                 ("gate.",), policy_for("add_sqrt/pearson"))
    plain, vg, coef = res["plain"], res["vg"], res["coef"]["gates"].float()
    for t, name in enumerate(plain.out.logits):      # gates are the raw values, unnormalised
        assert torch.equal(plain.out.intermediates[f"gates/{name}"], spread[t].unflatten(-1, (k, p)))
    assert torch.allclose(vg.grads["gate.raw"], plain.hooks["gates"].grad_in * coef, rtol=1e-5, atol=1e-8)
    # differences of more than 1 between tasks' gates now reach min(1, |dG|) = 1
    assert float((spread[0] - spread[1]).abs().max()) > 1


def test_default_public_head_matches_the_baselines_towers():
    """Comparisons are at matched head capacity: DEPHN's public head has the hidden layers of
    every baseline's task tower (tower_hidden); the literal linear head is the named variant."""
    from dephn.config import ModelConfig
    cfg = ModelConfig(embed_dim=4, expert_hidden=(8,), tower_hidden=(6,), n_experts=2)
    spec = make_spec(2)
    dephn = build_model("dephn", spec, cfg)
    mmoe = build_model("mmoe", spec, cfg)
    hidden = [m.out_features for m in dephn.public_towers[0].modules() if isinstance(m, torch.nn.Linear)]
    assert hidden == [m.out_features for m in mmoe.towers[0].modules() if isinstance(m, torch.nn.Linear)] == [6, 1]
    assert not hasattr(build_model("dephn", spec, ModelConfig(**{**cfg.to_dict(), "public_tower": "linear"})),
                       "public_towers")


def test_mlp_public_tower_reads_each_tasks_gated_mappings():
    """public_t = tower_t(flatten(G^t * f_p(e_k))), computed here by hand, forward and backward."""
    model, batch = _model(2, public_tower="mlp", mappings=("raw", "sin"))
    with torch.no_grad():
        model.gate.raw.uniform_(-1, 1)                                  # tasks' gates differ
    out = model(batch.sparse, batch.dense)
    experts = out.intermediates["experts"]                              # (B, K, h)
    mapped = torch.stack([experts, torch.sin(experts)], dim=2)          # (B, K, P, h)
    total = 0
    for t, (name, tower) in enumerate(zip(out.logits, model.public_towers)):
        gates = out.intermediates[f"gates/{name}"]                      # (K, P)
        expected = tower((gates.unsqueeze(-1) * mapped).flatten(1)).squeeze(-1)
        assert torch.equal(out.intermediates[f"public_logit/{name}"], expected)
        total = total + (t + 1) * expected.sum()
    g_model = torch.autograd.grad(sum((t + 1) * out.intermediates[f"public_logit/{n}"].sum()
                                      for t, n in enumerate(out.logits)), model.gate.raw, retain_graph=True)[0]
    g_hand = torch.autograd.grad(total, model.gate.raw)[0]
    torch.testing.assert_close(g_model, g_hand)

import pytest
import torch

from dephn.models import build_model
from dephn.config import ModelConfig
from dephn.train.policy import gate_hooks, policy_for
from dephn.virtual_gradient import VGSetting

from .conftest import make_batch
from .gate_gradients import check_no_rescaling, check_virtual_gradient, vg_labels


def test_gates_and_experts_in_intermediates(tiny_spec, tiny_cfg):
    torch.manual_seed(0)
    spec = tiny_spec(3)
    model = build_model("mmoe", spec, tiny_cfg(n_experts=4))
    out = model(*make_batch(3, n=10, spec=spec)[:2])
    assert out.intermediates["experts"].shape == (10, 4, 16)
    for t in spec.tasks:
        g = out.intermediates[f"gates/{t}"]
        assert g.shape == (10, 4)
        torch.testing.assert_close(g.sum(-1), torch.ones(10))


def test_logit_is_tower_of_gate_weighted_experts(tiny_spec, tiny_cfg):
    torch.manual_seed(0)
    spec = tiny_spec(2)
    model = build_model("mmoe", spec, tiny_cfg()).eval()
    batch = make_batch(2, n=5, spec=spec)
    with torch.no_grad():
        out = model(batch.sparse, batch.dense)
        experts, g = out.intermediates["experts"], out.intermediates["gates/t1"]
        mixed = (g.unsqueeze(-1) * experts).sum(1)                  # (B, h)
        torch.testing.assert_close(out.logits["t1"], model.towers[1](mixed).squeeze(-1))


@pytest.mark.parametrize("gamma, corr", [("add_abs", "pearson"), ("add_sqrt", "cosine")])
def test_virtual_gradient_rescales_gate_gradients_only(gamma, corr, tiny_spec, tiny_cfg):
    spec = tiny_spec(3)
    batch = make_batch(3, n=32, spec=spec)
    batch = batch._replace(labels=vg_labels(32, 3))

    def make():
        torch.manual_seed(0)
        return build_model("mmoe", spec, tiny_cfg())

    res = check_virtual_gradient(make, batch, VGSetting(gamma, corr), {"gates": (32, 3, 3)}, ("gates.",))
    # per-sample gates: the hook sees the stacked gates of the intermediates, (B, T, K)
    p0 = res["plain"]
    for i, t in enumerate(spec.tasks):
        assert torch.equal(p0.hooks["gates"].values[:, i], p0.out.intermediates[f"gates/{t}"])
    # the scaled gate gradient reaches the gate weights and the embedding they read, nothing else:
    # experts and towers keep the plain gradient (checked bit for bit in check_virtual_gradient)
    assert {n.split(".")[0] for n in res["upstream"]} == {"gates", "embedding"}
    assert any(n.startswith("towers.") for n in p0.grads) and any(n.startswith("experts.") for n in p0.grads)


def test_no_virtual_gradient_in_eval_or_without_labels(tiny_spec, tiny_cfg):
    spec = tiny_spec(2)

    def make():
        torch.manual_seed(0)
        return build_model("mmoe", spec, tiny_cfg())

    check_no_rescaling(make, make_batch(2, n=8, spec=spec))


def test_one_gate_hook(tiny_spec, tiny_cfg):
    model = build_model("mmoe", tiny_spec(2), tiny_cfg())
    assert [(h.name, h.entries) for h in gate_hooks(model)] == [("gates", None)]


def test_a_policy_attached_twice_hooks_each_gate_once(tiny_spec):
    model = build_model("mmoe", tiny_spec(), ModelConfig(embed_dim=4, expert_hidden=(8,), n_experts=2))
    policy = policy_for("add_sqrt/pearson")
    policy.attach(model)
    policy.attach(model)
    hook = gate_hooks(model)[0]
    assert len(hook._forward_hooks) == 1
    policy.detach()
    assert len(hook._forward_hooks) == 0


@pytest.mark.parametrize("model_name, options", [("mmoe", {}), ("ple", {}), ("mtphn", {}),
                                                 ("dephn", {"gate": "mg"})])
def test_gate_norm_batch_puts_batch_norm_in_every_per_sample_gate(model_name, options, tiny_spec, tiny_cfg):
    from dephn.layers import SoftmaxGate
    spec = tiny_spec(2)
    torch.manual_seed(0)
    plain = build_model(model_name, spec, tiny_cfg(**options))
    torch.manual_seed(0)
    normed = build_model(model_name, spec, tiny_cfg(gate_norm="batch", **options))
    gates = [m for m in normed.modules() if isinstance(m, SoftmaxGate)]
    assert gates and all(g.norm is not None for g in gates)
    extra = sum(p.numel() for p in normed.parameters()) - sum(p.numel() for p in plain.parameters())
    assert extra == sum(2 * g.proj.out_features for g in gates)       # BN's scale and shift per entry
    out = normed.train()(*make_batch(2, n=16, spec=spec)[:2])
    for t in spec.tasks:
        g = out.intermediates[f"gates/{t}"].flatten(1)               # DEPHN's MG: (B, K, P)
        torch.testing.assert_close(g.sum(-1), torch.ones(16))


def test_gate_norm_is_checked():
    from dephn.errors import DephnError
    with pytest.raises(DephnError, match="gate_norm"):
        ModelConfig(gate_norm="layer")

"""Parallel heterogeneous layers: SSG per structure, HIL experts, expert settings, TaskLinear."""
import pytest
import torch

from dephn.config import ModelConfig
from dephn.models.heterogeneous import (
    CrossExpert,
    FieldExpert,
    ParallelHeterogeneousLayers,
    SoftSelection,
    TaskLinear,
    expert_layout,
)

F, D, B = 5, 4, 6
CFG = dict(embed_dim=D, attn_heads=2, expert_hidden=(12, 8), n_experts=3, cross_layers=2, fint_layers=2)


def _cfg(**kw):
    return ModelConfig(**{**CFG, **kw})


@pytest.mark.parametrize("setting, public, private", [
    ("D_pub,C&F_pri", ("dnn",) * 3, ("cross", "field")),
    ("D_pub,C&F_pub", ("dnn",) * 3 + ("cross", "field"), ()),
    ("D_pri,C&F_pub", ("cross", "field"), ("dnn",)),
])
def test_expert_layout_follows_table_one(setting, public, private):
    assert expert_layout(setting, 3) == (public, private)


def test_expert_layout_rejects_unknown_setting():
    with pytest.raises(ValueError, match="D_pub"):
        expert_layout("all_private", 2)


def test_soft_selection_mixes_attention_and_raw_per_structure():
    torch.manual_seed(0)
    ssg = SoftSelection(D, heads=2, layers=1)
    e = torch.randn(B, F, D)
    e_sa = ssg.attention(e)
    assert set(ssg.vectors()) == {"dnn", "cross", "field"}
    for g in ssg.vectors().values():
        assert torch.equal(g, torch.full((D,), 0.5))  # docs/decisions.md#soft-selection-gating: initialised to 0.5
    with torch.no_grad():
        ssg.gates["dnn"].g.fill_(0.0)
        ssg.gates["cross"].g.fill_(1.0)
        ssg.gates["field"].g.copy_(torch.tensor([0.0, 1.0, 0.25, -0.5]))
    out = ssg(e)
    assert torch.allclose(out["dnn"], e)            # G_sg = 0: raw embedding
    assert torch.allclose(out["cross"], e_sa)       # G_sg = 1: attention output
    g = ssg.gates["field"].g.detach()
    assert torch.allclose(out["field"], g * e_sa + (1 - g) * e)
    assert not torch.allclose(e_sa, e)              # so the three checks above can tell them apart


@pytest.mark.parametrize("expert", [CrossExpert, FieldExpert])
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_each_expert_maps_fields_to_common_width(expert, version):
    torch.manual_seed(1)
    x = expert(F, D, _cfg(cross_version=version))
    e = torch.randn(B, F, D, requires_grad=True)
    out = x(e)
    assert out.shape == (B, 8)
    out.square().sum().backward()
    assert e.grad is not None and e.grad.abs().sum() > 0
    assert all(p.grad is not None for p in x.parameters())


@pytest.mark.parametrize("expert", [CrossExpert, FieldExpert])
def test_copies_of_an_expert_equal_separate_experts(expert):
    torch.manual_seed(5)
    cfg = _cfg(batch_norm=False)                 # BN statistics are per batch: compare pure functions
    stack = expert(F, D, cfg, copies=3)
    e = torch.randn(B, F, D)
    out = stack(e)
    assert out.shape == (B, 3, 8)
    for c in range(3):
        one = expert(F, D, cfg)
        with torch.no_grad():
            if expert is CrossExpert:
                one.cross[0].load_state_dict(stack.cross[c].state_dict())
                one.proj[0].load_state_dict(stack.proj[c].state_dict())
            else:
                one.fint.W.copy_(stack.fint.W[c])
                one.fint.u.copy_(stack.fint.u[c])
                h0 = cfg.expert_hidden[0]
                one.mlp.first.weight.copy_(stack.mlp.first.weight[c * h0:(c + 1) * h0])
                one.mlp.first.bias.copy_(stack.mlp.first.bias[c * h0:(c + 1) * h0])
                for w1, w3, b1, b3 in zip(one.mlp.weights, stack.mlp.weights, one.mlp.biases, stack.mlp.biases):
                    w1.copy_(w3[c:c + 1])
                    b1.copy_(b3[c:c + 1])
        torch.testing.assert_close(out[:, c], one(e))


@pytest.mark.parametrize("setting", ["D_pub,C&F_pri", "D_pub,C&F_pub", "D_pri,C&F_pub"])
@pytest.mark.parametrize("n_tasks", [2, 3])
def test_layers_shapes(setting, n_tasks):
    torch.manual_seed(2)
    phl = ParallelHeterogeneousLayers(F, n_tasks, _cfg(expert_setting=setting))
    out = phl(torch.randn(B, F, D))
    k_pub, k_pri = (len(k) for k in expert_layout(setting, 3))
    assert out.public.shape == (B, k_pub, 8)
    assert out.private.shape == (B, n_tasks, k_pri, 8)
    assert set(out.ssg) == {"dnn", "cross", "field"}
    if k_pri:  # each task owns its copies: same input, different parameters, different outputs
        assert not torch.allclose(out.private[:, 0], out.private[:, 1])
    # DNN experts read the DNN structure's SSG output, all of them computed as one group
    e = torch.randn(B, F, D)
    dnn_in = phl.ssg(e)["dnn"].flatten(1)
    out = phl(e)
    if setting == "D_pri,C&F_pub":
        assert torch.equal(out.private[:, :, 0], phl.private_dnn(dnn_in))
    else:
        assert torch.equal(out.public[:, :3], phl.public_dnn(dnn_in))


def test_each_expert_reads_its_own_structures_ssg():
    torch.manual_seed(3)
    phl = ParallelHeterogeneousLayers(F, 2, _cfg())  # public DNN, private Cross + Field
    e = torch.randn(B, F, D)
    before = phl(e)
    with torch.no_grad():
        phl.ssg.gates["cross"].g.fill_(0.9)
    after = phl(e)
    assert torch.equal(before.public, after.public)                         # DNN untouched
    assert torch.equal(before.private[:, :, 1], after.private[:, :, 1])     # Field untouched
    assert not torch.allclose(before.private[:, :, 0], after.private[:, :, 0])  # Cross moved


def test_task_linear_matches_per_task_dot_products():
    torch.manual_seed(4)
    head = TaskLinear(3, 5)
    x = torch.randn(B, 3, 5)
    expected = torch.stack([x[:, t] @ head.weight[t] + head.bias[t] for t in range(3)], 1)
    assert torch.allclose(head(x), expected, atol=1e-6)
    no_bias = TaskLinear(3, 5, bias=False)
    assert no_bias.bias is None
    assert torch.allclose(no_bias(x), torch.einsum("btn,tn->bt", x, no_bias.weight))


def test_task_linear_without_inputs():
    x = torch.zeros(B, 2, 0)
    assert torch.equal(TaskLinear(2, 0, bias=False)(x), torch.zeros(B, 2))
    head = TaskLinear(2, 0)
    with torch.no_grad():
        head.bias.copy_(torch.tensor([1.5, -2.0]))
    assert torch.equal(head(x), torch.tensor([[1.5, -2.0]]).expand(B, 2))


def test_ablations_without_ssg_and_without_private_experts(one_torch_thread):
    from dephn.config import ModelConfig
    from dephn.models import build_model
    from .conftest import make_batch, make_spec
    spec = make_spec(2)
    batch = make_batch(2, spec=spec)
    base = dict(embed_dim=4, expert_hidden=(8,), n_experts=2, cross_layers=1, fint_layers=1)
    no_ssg = build_model("dephn", spec, ModelConfig(**base, ssg=False))
    out = no_ssg(batch.sparse, batch.dense)
    assert no_ssg.phl.ssg is None and not any(k.startswith("ssg/") for k in out.intermediates)
    assert not any("attention" in n for n, _ in no_ssg.named_parameters())
    no_private = build_model("dephn", spec, ModelConfig(**base, expert_setting="D_pub"))
    out = no_private(batch.sparse, batch.dense)
    assert no_private.phl.private_kinds == () and len(no_private.phl.private_other) == 0
    for t in ("t0", "t1"):                    # the private logit is its bias alone
        pri = out.intermediates[f"private_logit/{t}"]
        assert torch.all(pri == pri[0])

import pytest
import torch

from dephn.layers import FieldSelfAttention, SoftSelectionGate


def test_self_attention_shape():
    attn = FieldSelfAttention(8, heads=2, layers=2)
    assert attn(torch.randn(3, 5, 8)).shape == (3, 5, 8)


def test_residual_keeps_input_when_attention_output_is_zero():
    attn = FieldSelfAttention(4, heads=1)
    with torch.no_grad():
        attn.layers[0].out_proj.weight.zero_()
        attn.layers[0].out_proj.bias.zero_()
    e = torch.randn(2, 3, 4)
    torch.testing.assert_close(attn(e), e)


def test_attention_mixes_fields():
    torch.manual_seed(0)
    attn = FieldSelfAttention(4, heads=2)
    e = torch.randn(1, 3, 4)
    e2 = e.clone()
    e2[0, 2] += 1.0  # change one field only
    changed = (attn(e2) - attn(e))[0, :2].abs().sum()
    assert changed > 0  # the other fields see it


def test_heads_must_divide_dim():
    with pytest.raises(ValueError, match="divisible"):
        FieldSelfAttention(6, heads=4)


def test_ssg_is_convex_mix_with_gate_vector():
    ssg = SoftSelectionGate(4)
    assert torch.equal(ssg.g.detach(), torch.full((4,), 0.5))
    with torch.no_grad():
        ssg.g.copy_(torch.tensor([0.0, 1.0, 0.25, 2.0]))  # unconstrained: 2.0 allowed
    e, e_sa = torch.randn(2, 3, 4), torch.randn(2, 3, 4)
    expected = ssg.g * e_sa + (1 - ssg.g) * e
    torch.testing.assert_close(ssg(e, e_sa), expected)
    torch.testing.assert_close(ssg(e, e_sa)[..., 0], e[..., 0])
    torch.testing.assert_close(ssg(e, e_sa)[..., 1], e_sa[..., 1])


def test_matmul_attention_equals_torch_multihead_attention():
    import torch
    from dephn.layers.attention import _self_attention
    torch.manual_seed(0)
    attn = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    x = torch.randn(5, 7, 8, requires_grad=True)
    ref, _ = attn(x, x, x, need_weights=False)
    out = _self_attention(attn, x)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-6)
    g_ref = torch.autograd.grad(ref.sum(), attn.in_proj_weight)[0]
    g_out = torch.autograd.grad(out.sum(), attn.in_proj_weight)[0]
    torch.testing.assert_close(g_out, g_ref, rtol=1e-4, atol=1e-6)

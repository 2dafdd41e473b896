import pytest
import torch

from dephn.layers import FieldInteraction


def test_one_layer_by_hand():
    torch.manual_seed(0)
    layer = FieldInteraction(n_fields=3, layers=1)
    with torch.no_grad():
        layer.u.copy_(torch.tensor([[0.5, 1.0, 2.0]]))
    v0 = torch.randn(2, 3, 4)
    W, u = layer.W[0].detach(), layer.u[0].detach()
    expected = torch.empty_like(v0)
    for b in range(2):
        for i in range(3):
            mixed = sum(W[i, j] * v0[b, j] for j in range(3))   # (d,)
            expected[b, i] = v0[b, i] * mixed + u[i] * v0[b, i]
    torch.testing.assert_close(layer(v0), expected)


def test_second_layer_multiplies_by_w_v0_again():
    layer = FieldInteraction(n_fields=2, layers=2)
    with torch.no_grad():
        layer.W.copy_(torch.eye(2).expand(2, 2, 2))
        layer.u.zero_()
    v0 = torch.tensor([[[2.0], [3.0]]])
    torch.testing.assert_close(layer(v0), v0 ** 3)  # V2 = V0 * V0 * V0 with W = I, u = 0


def test_fresh_layer_is_residual_dominated_and_shape_kept():
    layer = FieldInteraction(n_fields=5, layers=3)
    v0 = 1e-2 * torch.randn(4, 5, 8)  # small, like a fresh embedding
    out = layer(v0)
    assert out.shape == (4, 5, 8)
    torch.testing.assert_close(out, v0, atol=1e-3, rtol=0.05)


def _copy_of(stack: FieldInteraction, c: int) -> FieldInteraction:
    """Copy c of a stacked layer as a plain one-copy layer (the reference)."""
    one = FieldInteraction(stack.W.shape[-1], stack.n_layers)
    with torch.no_grad():
        one.W.copy_(stack.W[c])
        one.u.copy_(stack.u[c])
    return one


def test_copies_equal_separate_layers_on_the_same_input():
    torch.manual_seed(0)
    stack = FieldInteraction(n_fields=4, layers=3, copies=3)
    with torch.no_grad():
        stack.u.uniform_(0.5, 1.5)                       # copies differ in u as well as in W
    assert stack.W.shape == (3, 3, 4, 4) and stack.u.shape == (3, 3, 4)
    v0 = torch.randn(5, 4, 6)
    out = stack(v0)
    assert out.shape == (5, 3, 4, 6)
    for c in range(3):
        torch.testing.assert_close(out[:, c], _copy_of(stack, c)(v0))


def test_copies_get_only_their_own_gradient():
    torch.manual_seed(0)
    stack = FieldInteraction(n_fields=3, layers=2, copies=2)
    stack(torch.randn(4, 3, 5))[:, 1].square().sum().backward()
    assert stack.W.grad[0].abs().sum() == 0 and stack.u.grad[0].abs().sum() == 0
    assert stack.W.grad[1].abs().sum() > 0 and stack.u.grad[1].abs().sum() > 0


def test_zero_layers_pass_the_input_through():
    v0 = torch.randn(2, 3, 4)
    assert torch.equal(FieldInteraction(3, 0)(v0), v0)
    assert torch.equal(FieldInteraction(3, 0, copies=2)(v0), v0.unsqueeze(1).expand(2, 2, 3, 4))


def _autograd_reference(layer: FieldInteraction, v0: torch.Tensor) -> torch.Tensor:
    """The layers as plain autograd ops, layer by layer: (B, C, F, d) (or (B, F, d))."""
    c = layer.copies or 1
    W = layer.W.reshape(c, layer.n_layers, *layer.W.shape[-2:])
    u = layer.u.reshape(c, layer.n_layers, -1)
    outs = []
    for k in range(c):
        v = v0
        for l in range(layer.n_layers):
            v = v * torch.einsum("ij,bjd->bid", W[k, l], v0) + u[k, l, :, None] * v
        outs.append(v)
    out = torch.stack(outs, 1)
    return out[:, 0] if layer.copies is None else out


@pytest.mark.parametrize("copies,layers", [(None, 3), (2, 3), (3, 1), (2, 2)])
def test_matches_a_layer_by_layer_reference_forward_and_backward(copies, layers):
    torch.manual_seed(1)
    layer = FieldInteraction(n_fields=5, layers=layers, copies=copies)
    with torch.no_grad():
        layer.u.uniform_(0.5, 1.5)
    v0 = torch.randn(4, 5, 3, dtype=torch.float64, requires_grad=True)
    layer = layer.double()
    weight = torch.randn(4, *((copies,) if copies else ()), 5, 3, dtype=torch.float64)
    grads = []
    for forward in (layer, lambda x: _autograd_reference(layer, x)):
        out = forward(v0)
        grads.append((out.detach(), *torch.autograd.grad((out * weight).sum(), [v0, layer.W, layer.u])))
    for got, want in zip(*grads):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


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

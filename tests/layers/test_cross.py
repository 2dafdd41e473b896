import pytest
import torch

from dephn.layers import CrossNetwork


def test_v1_one_step_by_hand():
    net = CrossNetwork(2, layers=1, version="v1")
    with torch.no_grad():
        net.w.copy_(torch.tensor([[1.0, 2.0]]))
        net.b.copy_(torch.tensor([[0.5, -0.5]]))
    x0 = torch.tensor([[1.0, 3.0]])
    # x0 (x0 . w) + b + x0 = [1, 3] * 7 + [0.5, -0.5] + [1, 3]
    torch.testing.assert_close(net(x0), torch.tensor([[8.5, 23.5]]))


def test_v2_one_step_by_hand():
    net = CrossNetwork(2, layers=1, version="v2")
    with torch.no_grad():
        net.linears[0].weight.copy_(torch.tensor([[1.0, 0.0], [1.0, 1.0]]))
        net.linears[0].bias.copy_(torch.tensor([1.0, 0.0]))
    x0 = torch.tensor([[2.0, 3.0]])
    # W x0 + b = [3, 5];  x0 * [3, 5] + x0 = [8, 18]
    torch.testing.assert_close(net(x0), torch.tensor([[8.0, 18.0]]))


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_shapes_and_zero_layers(version):
    x = torch.randn(4, 6)
    assert CrossNetwork(6, 3, version)(x).shape == (4, 6)
    assert torch.equal(CrossNetwork(6, 0, version)(x), x)


def test_two_layers_keep_crossing_with_x0():
    net = CrossNetwork(2, layers=2, version="v1")
    with torch.no_grad():
        net.w.fill_(1.0)
        net.b.zero_()
    x0 = torch.tensor([[1.0, 1.0]])
    # layer 1: x1 = x0*2 + x0 = [3, 3]; layer 2: x0*6 + x1 = [9, 9]
    torch.testing.assert_close(net(x0), torch.tensor([[9.0, 9.0]]))


def test_unknown_version():
    with pytest.raises(ValueError):
        CrossNetwork(3, 1, version="v3")


def test_low_rank_v2_equals_full_v2_with_w_equal_u_vt():
    torch.manual_seed(0)
    low = CrossNetwork(6, layers=2, version="v2", rank=2)
    full = CrossNetwork(6, layers=2, version="v2", rank=0)
    with torch.no_grad():
        for lo, fu in zip(low.linears, full.linears):
            fu.weight.copy_(lo[1].weight @ lo[0].weight)              # U V^T, (6, 6)
            fu.bias.copy_(lo[1].bias)
    x = torch.randn(5, 6)
    torch.testing.assert_close(low(x), full(x))
    assert sum(p.numel() for p in low.parameters()) < sum(p.numel() for p in full.parameters())


def test_rank_at_least_the_width_is_full_rank():
    assert CrossNetwork(4, 1, "v2", rank=8).rank == 0
    with pytest.raises(ValueError):
        CrossNetwork(4, 1, "v2", rank=-1)

import pytest
import torch

from dephn.layers import CIN


def test_out_dim_with_and_without_split_half():
    assert CIN(5, 4, (6, 8)).out_dim == 3 + 8
    assert CIN(5, 4, (6, 8), split_half=False).out_dim == 14
    x = torch.randn(2, 5, 4)
    assert CIN(5, 4, (6, 8))(x).shape == (2, 11)


def test_one_layer_by_hand():
    torch.manual_seed(0)
    cin = CIN(3, 2, (4,), split_half=False)
    x0 = torch.randn(2, 3, 2)
    conv = cin.convs[0]
    W = conv.weight.detach().view(4, 3, 3)  # (H_1, H_0, m)
    expected = torch.zeros(2, 4)
    for h in range(4):
        fmap = conv.bias[h].detach() + sum(W[h, i, j] * x0[:, i] * x0[:, j]
                                           for i in range(3) for j in range(3))  # (B, d)
        expected[:, h] = fmap.sum(-1)  # sum pooling over d
    torch.testing.assert_close(cin(x0), expected)


def test_split_half_feeds_next_layer_with_the_first_half():
    cin = CIN(2, 3, (4, 2))
    assert cin.convs[1].in_channels == 2 * 2  # H_1 / 2 maps times m fields


def test_split_half_needs_even_sizes():
    with pytest.raises(ValueError, match="even"):
        CIN(3, 2, (5, 4))

import pytest
import torch
from torch import nn

from dephn.layers import MLP


def test_shapes_and_out_dim():
    mlp = MLP(10, (8, 4))
    assert mlp(torch.randn(3, 10)).shape == (3, 4) and mlp.out_dim == 4
    head = MLP(10, (8,), out_dim=1)
    assert head(torch.randn(3, 10)).shape == (3, 1) and head.out_dim == 1


def test_layer_order_with_batch_norm_and_dropout():
    mlp = MLP(6, (5,), out_dim=2, dropout=0.1, batch_norm=True)
    kinds = [type(m) for m in mlp.net]
    assert kinds == [nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Dropout, nn.Linear]


def test_final_layer_has_no_activation():
    torch.manual_seed(0)
    out = MLP(4, (8,), out_dim=1)(torch.randn(256, 4))
    assert (out < 0).any() and (out > 0).any()
    hidden = MLP(4, (8,))(torch.randn(256, 4))
    assert (hidden >= 0).all()  # ReLU after the last hidden width


def test_no_layers_is_identity():
    x = torch.randn(2, 5)
    mlp = MLP(5, ())
    assert mlp.out_dim == 5 and torch.equal(mlp(x), x)


def test_unknown_activation():
    with pytest.raises(ValueError, match="activation"):
        MLP(3, (2,), activation="swishy")

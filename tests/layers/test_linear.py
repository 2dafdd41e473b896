import torch

from dephn.layers import LinearPart


def test_first_order_logit_by_hand():
    lin = LinearPart([2, 3], n_dense=2)
    with torch.no_grad():
        lin.weight.weight.copy_(torch.tensor([[1.0], [2.0], [10.0], [20.0], [30.0]]))
        lin.dense_weight.copy_(torch.tensor([0.5, -1.0]))
        lin.bias.fill_(0.25)
    sparse = torch.tensor([[1, 0], [0, 2]])  # rows 1 + 2, rows 0 + 4
    dense = torch.tensor([[2.0, 1.0], [0.0, 3.0]])
    out = lin(sparse, dense)
    expected = torch.tensor([2.0 + 10.0 + 1.0 - 1.0 + 0.25, 1.0 + 30.0 + 0.0 - 3.0 + 0.25])
    assert out.shape == (2,)
    torch.testing.assert_close(out, expected)


def test_starts_at_zero_and_has_sparse_gradient():
    lin = LinearPart([2, 3], n_dense=1)
    out = lin(torch.tensor([[1, 2]]), torch.ones(1, 1))
    assert out.item() == 0.0
    out.sum().backward()
    assert lin.weight.weight.grad.is_sparse

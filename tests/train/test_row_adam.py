import pytest
import torch
from torch import nn

from dephn.train.row_adam import RowAdam


def _train(opt_cls, steps=6, **kw):
    """An embedding table trained on repeated, duplicated ids; weights and moments after `steps`."""
    torch.manual_seed(0)
    emb = nn.Embedding(50, 4, sparse=True)
    opt = opt_cls([emb.weight], lr=0.01, **kw)
    g = torch.Generator().manual_seed(1)
    for _ in range(steps):
        ids = torch.randint(0, 20, (16, 3), generator=g)          # rows 20..49 never used
        opt.zero_grad(set_to_none=True)
        (emb(ids) * torch.randn(16, 3, 4, generator=g)).sum().backward()
        opt.step()
    return emb.weight.detach(), opt.state[emb.weight]


@pytest.mark.parametrize("kw", [{}, {"betas": (0.5, 0.9), "eps": 1e-3}])
def test_same_weights_and_moments_as_sparse_adam(kw):
    ours, s1 = _train(RowAdam, **kw)
    ref, s2 = _train(torch.optim.SparseAdam, **kw)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-7)
    # duplicated ids are summed in another order: float rounding apart, the same numbers
    torch.testing.assert_close(s1["exp_avg"], s2["exp_avg"], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(s1["exp_avg_sq"], s2["exp_avg_sq"], rtol=1e-5, atol=1e-6)
    assert s1["step"] == 6


def test_unused_rows_keep_their_weights_and_coalesced_gradients_work():
    torch.manual_seed(0)
    emb = nn.Embedding(10, 3, sparse=True)
    before = emb.weight.detach().clone()
    opt = RowAdam([emb.weight], lr=0.1)
    emb(torch.tensor([1, 1, 4])).sum().backward()
    emb.weight.grad = emb.weight.grad.coalesce()
    opt.step()
    moved = (emb.weight.detach() != before).any(1)
    assert moved.tolist() == [i in (1, 4) for i in range(10)]
    # first Adam step moves every used coordinate by lr (m / sqrt(v) = sign(g))
    torch.testing.assert_close(before[[1, 4]] - emb.weight.detach()[[1, 4]], torch.full((2, 3), 0.1))


def test_dense_gradients_and_bad_settings_are_refused():
    w = nn.Parameter(torch.zeros(3, 2))
    w.grad = torch.ones(3, 2)
    with pytest.raises(RuntimeError, match="sparse gradients"):
        RowAdam([w]).step()
    with pytest.raises(ValueError):
        RowAdam([w], lr=-1)
    with pytest.raises(ValueError):
        RowAdam([w], betas=(1.0, 0.9))


def test_state_round_trips_through_state_dict():
    weights, _ = _train(RowAdam, steps=2)
    emb = nn.Embedding(50, 4, sparse=True)
    opt = RowAdam([emb.weight])
    emb(torch.tensor([0, 3])).sum().backward()
    opt.step()
    again = RowAdam([emb.weight])
    again.load_state_dict(opt.state_dict())
    assert again.state[emb.weight]["step"] == 1
    torch.testing.assert_close(again.state[emb.weight]["exp_avg"], opt.state[emb.weight]["exp_avg"])

"""Gradient balancing on the trainer's weighting axis: each method against its paper's rule,
and every method trains MMoE and DEPHN, with the virtual gradient composed."""
import math

import pytest
import torch
from torchjd.aggregation import UPGrad

from dephn.config import ModelConfig
from dephn.errors import DephnError
from dephn.models import build_model
from dephn.train.balance import (AGGREGATORS, BALANCERS, DynamicWeightAverage, GradNorm, JacobianDescent,
                                 UncertaintyWeighting, make_balancer)
from dephn.train.config import TrainConfig
from dephn.train.loop import fit
from tests.conftest import synthetic_encoded

ONES = torch.ones(2)


def test_uncertainty_weighting_total_and_its_optimum():
    uw = UncertaintyWeighting(2, ONES)
    losses = torch.tensor([0.3, 1.2])
    with torch.no_grad():
        uw.log_var.copy_(torch.tensor([0.5, -0.2]))
    expected = sum(math.exp(-s) * l + s / 2 for s, l in zip((0.5, -0.2), (0.3, 1.2)))
    assert float(uw.total(losses)) == pytest.approx(expected, rel=1e-6)
    opt = torch.optim.SGD(uw.parameters(), lr=0.5)          # d/ds (e^-s L + s/2) = 0 at s = log 2L
    for _ in range(400):
        opt.zero_grad()
        uw.total(losses).backward()
        opt.step()
    torch.testing.assert_close(uw.log_var.detach(), torch.log(2 * losses), atol=1e-4, rtol=0)


def test_dynamic_weight_average_follows_the_loss_ratio():
    dwa = DynamicWeightAverage(2, ONES)
    dwa.end_epoch(torch.tensor([1.0, 1.0]))
    assert torch.equal(dwa.dynamic, torch.ones(2))          # weights 1 until two epochs are known
    dwa.end_epoch(torch.tensor([0.5, 0.9]))                 # r = (0.5, 0.9)
    e = [math.exp(0.5 / 2), math.exp(0.9 / 2)]
    torch.testing.assert_close(dwa.dynamic, torch.tensor([2 * e[0] / sum(e), 2 * e[1] / sum(e)]))
    assert float(dwa.dynamic.sum()) == pytest.approx(2.0)   # the slower-falling task weighs more


def test_gradnorm_step_by_hand():
    gn = GradNorm(2, ONES, lr=0.01)
    gn.update(torch.tensor([0.5, 1.0]), torch.tensor([2.0, 1.0]))
    # r = (1, 1) at the first step; G = (2, 1), target mean(G) = 1.5: dL/dw = (+2, -1); Adam's
    # first step moves each weight by lr against the sign, and the sum stays T = 2
    torch.testing.assert_close(gn.w.detach(), torch.tensor([0.99, 1.01]))
    gn.update(torch.tensor([0.25, 1.0]), torch.tensor([1.0, 1.0]))   # task 1 learns faster: r1 < r2
    w = gn.w.detach()
    assert float(w.sum()) == pytest.approx(2.0) and w[1] > w[0]


def _two_task_problem():
    torch.manual_seed(0)
    emb = torch.nn.Embedding(10, 3, sparse=True)
    lin = torch.nn.Linear(3, 2)
    ids = torch.tensor([1, 2, 2, 7])
    h = lin(emb(ids))                                       # (4, 2)
    losses = torch.stack([(h[:, 0] - 1).pow(2).mean(), (h[:, 1] + h[:, 0]).pow(2).mean()])
    return emb, lin, losses


def test_jacobian_descent_is_the_aggregated_jacobian_and_sparse_tables_take_its_weights():
    emb, lin, losses = _two_task_problem()
    dense = list(lin.parameters())
    rows = [torch.cat([g.flatten() for g in torch.autograd.grad(losses[t], dense, retain_graph=True)]) for t in range(2)]
    expected = UPGrad()(torch.stack(rows))                 # the aggregator on the (T, n) Jacobian
    sparse_rows = [torch.autograd.grad(losses[t], emb.weight, retain_graph=True)[0].to_dense() for t in range(2)]
    jd = JacobianDescent("upgrad", 2, ONES)
    jd.backward(losses, None, dense, [emb.weight])
    got = torch.cat([p.grad.flatten() for p in dense])
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-6)
    w = jd.weights
    torch.testing.assert_close(emb.weight.grad.to_dense(), w[0] * sparse_rows[0] + w[1] * sparse_rows[1])


def test_unknown_method_is_one_line():
    with pytest.raises(DephnError, match="expected one of none, upgrad"):
        TrainConfig(balance="nope")
    with pytest.raises(DephnError, match="unknown balance method"):
        make_balancer("nope", 2, ONES)


@pytest.mark.parametrize("balance", [b for b in BALANCERS if b != "none"])
@pytest.mark.parametrize("model", ["mmoe", "dephn"])
def test_every_method_trains_mmoe_and_dephn_with_the_virtual_gradient(balance, model, one_torch_thread):
    data = synthetic_encoded(n=600)
    torch.manual_seed(0)
    net = build_model(model, data.feature_spec, ModelConfig(embed_dim=4, expert_hidden=(8,), n_experts=2,
                                                            cross_layers=1, fint_layers=1, tower_hidden=(4,)))
    cfg = TrainConfig(epochs=2, batch_size=200, lr=3e-3, quiet=True, device="cpu", log_every=2, balance=balance,
                      vg="add_sqrt/pearson")
    res = fit(net, data, cfg)
    assert res.steps == 6 and all(math.isfinite(m["logloss"]) for m in res.test.values())


def test_names_cover_the_issue_list():
    assert {"upgrad", "mgda", "pcgrad", "cagrad", "nashmtl", "imtlg", "alignedmtl"} <= set(AGGREGATORS)
    assert {"uw", "gradnorm", "dwa"} <= set(BALANCERS)

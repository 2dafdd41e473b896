"""What Adam does to a constant gradient factor, and the probe that measures it in training."""
import copy

import pytest
import torch

from dephn.config import ModelConfig
from dephn.layers import TrainableValueGate
from dephn.models import build_model
from dephn.train.config import TrainConfig
from dephn.train.optimizers import make_optimizers
from dephn.train.policy import policy_for
from dephn.train.probe import gate_parameters, relative_difference, simulated_update
from tests.conftest import synthetic_encoded


def _trajectory(opt_cls, factor: float, steps: int = 6, **hyper):
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(5))
    opt = opt_cls([w], **hyper)
    target = torch.randn(5)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        ((w - target) ** 2).sum().backward()
        w.grad.mul_(factor)                 # a constant factor on this parameter's gradient
        opt.step()
        path.append(w.detach().clone())
    return torch.stack(path)


def test_adam_cancels_a_constant_gradient_factor():
    plain = _trajectory(torch.optim.Adam, 1.0, lr=0.01)
    for factor in (0.25, 1.64, 2.0):
        torch.testing.assert_close(_trajectory(torch.optim.Adam, factor, lr=0.01), plain, rtol=1e-5, atol=1e-6)


def test_sgd_step_scales_with_the_factor():
    one = _trajectory(torch.optim.SGD, 1.0, steps=1, lr=0.01)[0]
    two = _trajectory(torch.optim.SGD, 2.0, steps=1, lr=0.01)[0]
    torch.manual_seed(0)
    w0 = torch.randn(5)
    torch.testing.assert_close(two - w0, 2 * (one - w0))


@pytest.mark.parametrize("opt_cls, hyper", [(torch.optim.Adam, {"lr": 0.01}), (torch.optim.SGD, {"lr": 0.1,
                                                                                                 "momentum": 0.9})])
def test_simulated_update_is_the_real_step_and_touches_nothing(opt_cls, hyper):
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(4))
    opt = opt_cls([w], **hyper)
    for _ in range(3):                                 # some optimizer state to copy
        opt.zero_grad()
        (w ** 3).sum().backward()
        opt.step()
    g = torch.randn(4)
    before_w, before_state = w.detach().clone(), copy.deepcopy(opt.state[w])
    (update,) = simulated_update([opt], [w], [g])
    assert torch.equal(w.detach(), before_w)
    for k, v in before_state.items():
        assert torch.equal(torch.as_tensor(opt.state[w][k]), torch.as_tensor(v))
    w.grad = g.clone()
    opt.step()
    torch.testing.assert_close(w.detach() - before_w, update)


def test_relative_difference():
    assert relative_difference([torch.tensor([3.0, 4.0])], [torch.tensor([0.0, 0.0])]) == float("inf")
    assert relative_difference([torch.tensor([2.0])], [torch.tensor([1.0])]) == pytest.approx(1.0)
    assert relative_difference([torch.zeros(2)], [torch.zeros(2)]) == 0.0


@pytest.mark.parametrize("norm", ["none", "softmax", "sigmoid"])
def test_tvg_forms_start_at_the_same_gate_values(norm):
    gate = TrainableValueGate(2, 9, norm=norm)
    torch.testing.assert_close(gate(), torch.full((2, 9), 1 / 9))
    if norm == "none":
        assert gate() is gate.raw                      # the trainable values themselves


def test_gate_parameters_and_their_optimizer(one_torch_thread):
    data = synthetic_encoded(n=400)
    model = build_model("dephn", data.feature_spec, ModelConfig(embed_dim=4, expert_hidden=(8,), n_experts=2,
                                                                cross_layers=1, fint_layers=1))
    (raw,) = gate_parameters(model)
    assert raw is model.gate.raw
    kinds = [type(o).__name__ for o in make_optimizers(model, TrainConfig(gate_optimizer="sgd", gate_lr=0.1))]
    assert kinds == ["Adam", "SGD", "RowAdam"]
    sgd = make_optimizers(model, TrainConfig(gate_optimizer="sgd", gate_lr=0.1))[1]
    assert sgd.param_groups[0]["params"] == [raw] and sgd.param_groups[0]["lr"] == 0.1
    adam = make_optimizers(model, TrainConfig())                 # default: gates train with the rest
    assert [type(o).__name__ for o in adam] == ["Adam", "RowAdam"]
    assert any(p is raw for p in adam[0].param_groups[0]["params"])


@pytest.mark.parametrize("gate_optimizer", ["adam", "sgd"])
def test_probe_measures_the_gradient_and_update_change(gate_optimizer, one_torch_thread):
    data = synthetic_encoded(n=600)
    torch.manual_seed(0)
    model = build_model("mmoe", data.feature_spec, ModelConfig(embed_dim=4, expert_hidden=(8,), n_experts=2))
    cfg = TrainConfig(gate_optimizer=gate_optimizer, gate_lr=0.05, lr=0.01)
    opts = make_optimizers(model, cfg)
    policy = policy_for("add_sqrt/pearson").attach(model)
    params = gate_parameters(model)
    labels = torch.as_tensor(data.train.labels[:256])
    sparse, dense = torch.as_tensor(data.train.sparse[:256]), torch.as_tensor(data.train.dense[:256])
    for step in range(3):
        policy.set_labels(labels)
        policy.probing = True
        out = model(sparse, dense)
        loss = sum(torch.nn.functional.binary_cross_entropy_with_logits(out.logits[t], labels[:, i])
                   for i, t in enumerate(data.schema.tasks))
        for o in opts:
            o.zero_grad()
        loss.backward(retain_graph=True)
        probe = policy.measure(params, opts)
        for o in opts:
            o.step()
    coef = policy.coef["gates"]
    assert probe["grad_rel_change"] > 0.05 and float(coef.std()) > 0   # the coefficient is not 1
    if gate_optimizer == "sgd":                            # SGD: the update changes as the gradient does
        # (up to float32 rounding of w - lr * g against w)
        assert probe["update_rel_change"] == pytest.approx(probe["grad_rel_change"], rel=1e-2)
    else:                                                  # Adam: most of a near-constant factor cancels
        assert probe["update_rel_change"] < 0.5 * probe["grad_rel_change"]

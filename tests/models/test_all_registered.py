"""Every registered model (the registry is the list): shapes, finite loss, gradients, overfit."""
import pytest
import torch

from dephn.models import build_model, is_multi_task, model_entry, model_names
from dephn.train.policy import policy_for

from .conftest import make_batch, task_bce

ALL = model_names()


def test_registry_holds_the_baselines():
    expected = {"dnn", "wide_deep", "dcn", "fint", "nfm", "xdeepfm", "shared_bottom", "mmoe", "ple", "snr"}
    assert expected <= set(ALL)
    assert not any(is_multi_task(n) for n in ("dnn", "wide_deep", "dcn", "fint", "nfm", "xdeepfm"))
    assert all(is_multi_task(n) for n in ("shared_bottom", "mmoe", "ple", "snr"))


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("n_tasks", [2, 3])
def test_logits_per_task_and_finite_loss(name, n_tasks, tiny_spec, tiny_cfg):
    torch.manual_seed(0)
    spec = tiny_spec(n_tasks)
    model = build_model(name, spec, tiny_cfg())
    batch = make_batch(n_tasks, n=16, spec=spec)
    out = model(batch.sparse, batch.dense)
    assert list(out.logits) == list(spec.tasks)
    for logit in out.logits.values():
        assert logit.shape == (16,) and torch.isfinite(logit).all()
    loss = task_bce(out, batch.labels, spec.tasks).sum()
    assert torch.isfinite(loss)


@pytest.mark.parametrize("name", ALL)
def test_every_parameter_gets_a_gradient(name, tiny_spec, tiny_cfg):
    torch.manual_seed(0)
    spec = tiny_spec(2)
    model = build_model(name, spec, tiny_cfg())
    batch = make_batch(2, n=32, spec=spec)
    out = model(batch.sparse, batch.dense)
    loss = task_bce(out, batch.labels, spec.tasks).sum()
    if out.aux_loss is not None:
        loss = loss + out.aux_loss
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, f"parameters without gradient: {missing}"


@pytest.mark.parametrize("name", [n for n in ALL if model_entry(n).has_gates])
def test_every_parameter_gets_a_finite_gradient_under_the_virtual_gradient(name, tiny_spec, tiny_cfg):
    torch.manual_seed(0)
    spec = tiny_spec(3)
    model = build_model(name, spec, tiny_cfg())
    batch = make_batch(3, n=32, spec=spec)
    policy = policy_for("add_sqrt/pearson").attach(model)
    policy.set_labels(batch.labels)
    out = model(batch.sparse, batch.dense)
    task_bce(out, batch.labels, spec.tasks).sum().backward()
    assert policy.coef and all(torch.isfinite(c).all() for c in policy.coef.values())
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, f"parameters without gradient: {missing}"
    assert all(torch.isfinite(p.grad.to_dense()).all() for p in model.parameters())


@pytest.mark.parametrize("name", ALL)
def test_eval_forward_is_deterministic_and_needs_no_labels(name, tiny_spec, tiny_cfg):
    torch.manual_seed(0)
    spec = tiny_spec(2)
    model = build_model(name, spec, tiny_cfg(dropout=0.2)).eval()
    batch = make_batch(2, n=8, spec=spec)
    with torch.no_grad():
        a = model(batch.sparse, batch.dense).logits
        b = model(batch.sparse, batch.dense).logits
    for t in spec.tasks:
        torch.testing.assert_close(a[t], b[t])


@pytest.mark.parametrize("name", ALL)
def test_overfits_a_small_fixed_batch(name, tiny_spec, tiny_cfg, overfit):
    torch.manual_seed(0)
    spec = tiny_spec(2)
    model = build_model(name, spec, tiny_cfg())
    first, last = overfit(model, make_batch(2, n=64, spec=spec), steps=150)
    assert first > 0.5  # starts near log 2: the bound below is a real drop
    assert last < 0.1, f"{name}: mean task BCE {last:.3f} after 150 steps"

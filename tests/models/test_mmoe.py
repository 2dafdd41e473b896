import pytest
import torch

from dephn.models import build_model

from .conftest import make_batch, task_bce


def test_gates_and_experts_in_intermediates(tiny_spec, tiny_cfg):
    torch.manual_seed(0)
    spec = tiny_spec(3)
    model = build_model("mmoe", spec, tiny_cfg(n_experts=4))
    out = model(*make_batch(3, n=10, spec=spec)[:2])
    assert out.intermediates["experts"].shape == (10, 4, 16)
    for t in spec.tasks:
        g = out.intermediates[f"gates/{t}"]
        assert g.shape == (10, 4)
        torch.testing.assert_close(g.sum(-1), torch.ones(10))
    assert out.vg_coef == {}


def test_logit_is_tower_of_gate_weighted_experts(tiny_spec, tiny_cfg):
    torch.manual_seed(0)
    spec = tiny_spec(2)
    model = build_model("mmoe", spec, tiny_cfg()).eval()
    batch = make_batch(2, n=5, spec=spec)
    with torch.no_grad():
        out = model(batch.sparse, batch.dense)
        experts, g = out.intermediates["experts"], out.intermediates["gates/t1"]
        mixed = (g.unsqueeze(-1) * experts).sum(1)                  # (B, h)
        torch.testing.assert_close(out.logits["t1"], model.towers[1](mixed).squeeze(-1))


def test_virtual_gradient_rescales_gate_gradients_only(tiny_spec, tiny_cfg):
    pytest.importorskip("dephn.virtual_gradient")
    spec = tiny_spec(2)
    batch = make_batch(2, n=32, spec=spec)
    grads = {}
    for vg in (False, True):
        torch.manual_seed(0)
        model = build_model("mmoe", spec, tiny_cfg(virtual_gradient=vg, gamma="add_abs"))
        out = model(batch.sparse, batch.dense, batch.labels)
        task_bce(out, batch.labels, spec.tasks).sum().backward()
        grads[vg] = {n: p.grad.clone() for n, p in model.named_parameters()}
        if vg:
            assert out.vg_coef["gates"].shape == (32, 2, 3)
    gate_params = [n for n in grads[True] if n.startswith("gates.")]
    assert gate_params
    assert any(not torch.allclose(grads[True][n], grads[False][n]) for n in gate_params)
    for n in grads[True]:
        if n.startswith("towers."):  # the forward value is unchanged, so towers see the same gradient
            torch.testing.assert_close(grads[True][n], grads[False][n])


def test_no_virtual_gradient_in_eval_or_without_labels(tiny_spec, tiny_cfg):
    pytest.importorskip("dephn.virtual_gradient")
    spec = tiny_spec(2)
    model = build_model("mmoe", spec, tiny_cfg(virtual_gradient=True))
    batch = make_batch(2, n=8, spec=spec)
    assert model(batch.sparse, batch.dense).vg_coef == {}
    assert model.eval()(batch.sparse, batch.dense, batch.labels).vg_coef == {}

import pytest
import torch
from torch import nn

from dephn.errors import DephnError
from dephn.models import build_model
from dephn.train.policy import gate_hooks
from dephn.virtual_gradient import VGSetting

from .conftest import make_batch
from .gate_gradients import check_no_rescaling, check_virtual_gradient, vg_labels


def test_levels_experts_and_gate_sizes(tiny_spec, tiny_cfg):
    spec = tiny_spec(3)
    model = build_model("ple", spec, tiny_cfg(n_experts=2, n_specific_experts=2, ple_levels=3))
    assert len(model.levels) == 3
    for i, cgc in enumerate(model.levels):
        assert cgc.shared.n_experts == 2 and [g.n_experts for g in cgc.specific] == [2, 2, 2]
        assert (cgc.shared_gate is None) == (i == 2)  # only the last level has no shared gate
    assert model.levels[0].shared_gate.proj.out_features == 3 * 2 + 2
    out = model(*make_batch(3, n=6, spec=spec)[:2])
    for t in spec.tasks:
        g = out.intermediates[f"gates/{t}"]
        assert g.shape == (6, 4)  # own 2 + shared 2
        torch.testing.assert_close(g.sum(-1), torch.ones(6))
    assert out.intermediates["experts"].shape == (6, 2, 16)


def test_task_experts_are_private(tiny_spec, tiny_cfg):
    torch.manual_seed(0)
    spec = tiny_spec(2)
    model = build_model("ple", spec, tiny_cfg(ple_levels=1))
    batch = make_batch(2, n=16, spec=spec)
    out = model(batch.sparse, batch.dense)
    # task t0's loss alone (indexing a stacked loss would send zero gradients to t1's path)
    nn.functional.binary_cross_entropy_with_logits(out.logits["t0"], batch.labels[:, 0]).backward()
    cgc = model.levels[0]
    assert all(p.grad is not None for p in cgc.specific[0].parameters())
    assert all(p.grad is None for p in cgc.specific[1].parameters())  # task 1's own experts
    assert all(p.grad is not None for p in cgc.shared.parameters())


@pytest.mark.parametrize("levels", [1, 2, 3])
def test_virtual_gradient_on_every_level(levels, tiny_spec, tiny_cfg):
    spec = tiny_spec(2)
    batch = make_batch(2, n=12, spec=spec)
    batch = batch._replace(labels=vg_labels(12, 2))

    def make():
        torch.manual_seed(0)
        return build_model("ple", spec, tiny_cfg(ple_levels=levels))

    names = ["gates@level%d" % level for level in range(1, levels)] + ["gates"]
    assert [h.name for h in gate_hooks(make())] == names          # one hook per level, bottom up
    res = check_virtual_gradient(make, batch, VGSetting("add_sqrt", "pearson"),
                                 {name: (12, 2, 1 + 3) for name in names},  # (B, T, S+K) every level
                                 tuple(f"levels.{i}.task_gates." for i in range(levels)))
    p0, p1 = res["plain"], res["vg"]
    for i, t in enumerate(spec.tasks):      # the top hook holds the last level's gates
        assert torch.equal(p0.hooks["gates"].values[:, i], p0.out.intermediates[f"gates/{t}"])
    for level in range(levels):             # every level's task gates see a rescaled gradient
        own = [n for n in p0.grads if n.startswith(f"levels.{level}.task_gates.")]
        assert any(not torch.allclose(p1.grads[n], p0.grads[n]) for n in own), level
    # nothing below the gates of the last level but what feeds them moves: towers and the
    # last level's experts keep their gradient (bit for bit, checked in check_virtual_gradient)
    assert not any(n.startswith(("towers.", f"levels.{levels - 1}.shared.", f"levels.{levels - 1}.specific."))
                   for n in res["upstream"])


def test_no_virtual_gradient_in_eval_or_without_labels(tiny_spec, tiny_cfg):
    spec = tiny_spec(2)

    def make():
        torch.manual_seed(0)
        return build_model("ple", spec, tiny_cfg(ple_levels=2))

    check_no_rescaling(make, make_batch(2, n=12, spec=spec))


@pytest.mark.parametrize("bad", [dict(ple_levels=0), dict(n_specific_experts=0)])
def test_config_rejects_empty_ple(bad, tiny_cfg):
    with pytest.raises(DephnError, match="PLE"):
        tiny_cfg(**bad)

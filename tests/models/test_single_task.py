import pytest
import torch
from torch import nn

from dephn.errors import DephnError
from dephn.layers import FieldEmbedding
from dephn.models import build_model
from dephn.models.single_task import (DCNNet, DNNNet, FINTNet, NFMNet, PerTask, WideDeepNet,
                                      XDeepFMNet)

from .conftest import make_batch

SINGLE = {"dnn": DNNNet, "wide_deep": WideDeepNet, "dcn": DCNNet, "fint": FINTNet,
          "nfm": NFMNet, "xdeepfm": XDeepFMNet}


@pytest.mark.parametrize("name", sorted(SINGLE))
def test_one_independent_network_per_task(name, tiny_spec, tiny_cfg):
    spec = tiny_spec(3)
    model = build_model(name, spec, tiny_cfg())
    assert isinstance(model, PerTask) and len(model.nets) == 3
    assert all(type(net) is SINGLE[name] for net in model.nets)
    # each network owns its embedding; no parameter object is shared between tasks
    tables = [m for m in model.modules() if isinstance(m, FieldEmbedding)]
    assert len(tables) == 3
    owners = [{id(p) for p in net.parameters()} for net in model.nets]
    assert not (owners[0] & owners[1]) and not (owners[1] & owners[2])


@pytest.mark.parametrize("name", sorted(SINGLE))
def test_a_task_loss_reaches_only_its_own_network(name, tiny_spec, tiny_cfg):
    torch.manual_seed(0)
    spec = tiny_spec(2)
    model = build_model(name, spec, tiny_cfg())
    batch = make_batch(2, n=16, spec=spec)
    out = model(batch.sparse, batch.dense)
    # task t0's loss alone (indexing a stacked loss would send zero gradients to t1's path)
    nn.functional.binary_cross_entropy_with_logits(out.logits["t0"], batch.labels[:, 0]).backward()
    assert all(p.grad is not None for p in model.nets[0].parameters())
    assert all(p.grad is None for p in model.nets[1].parameters())


def test_dcn_uses_the_configured_cross_version(tiny_spec, tiny_cfg):
    v1 = build_model("dcn", tiny_spec(2), tiny_cfg(cross_version="v1"))
    v2 = build_model("dcn", tiny_spec(2), tiny_cfg(cross_version="v2", cross_layers=3))
    assert v1.nets[0].cross.version == "v1"
    assert v2.nets[0].cross.version == "v2" and v2.nets[0].cross.n_layers == 3


def test_wide_deep_adds_the_linear_logit(tiny_spec, tiny_cfg):
    torch.manual_seed(0)
    spec = tiny_spec(2)
    net = build_model("wide_deep", spec, tiny_cfg()).nets[0]
    batch = make_batch(2, n=8, spec=spec)
    with torch.no_grad():
        net.wide.bias.fill_(3.0)
        torch.testing.assert_close(net(batch.sparse, batch.dense),
                                   net.deep(batch.sparse, batch.dense) + 3.0)


@pytest.mark.parametrize("bad", [dict(cin_layers=(5, 4)), dict(cin_layers=()), dict(dnn_hidden=(8, 0)),
                                 dict(cross_layers=-1)])
def test_config_rejects_bad_block_sizes(bad, tiny_cfg):
    with pytest.raises(DephnError):
        tiny_cfg(**bad)

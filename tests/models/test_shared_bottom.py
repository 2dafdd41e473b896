import torch

from dephn.models import build_model

from .conftest import make_batch


def test_towers_share_one_bottom(tiny_spec, tiny_cfg):
    torch.manual_seed(0)
    spec = tiny_spec(3)
    model = build_model("shared_bottom", spec, tiny_cfg(expert_hidden=(20, 12))).eval()
    assert model.bottom.out_dim == 12 and len(model.towers) == 3
    batch = make_batch(3, n=4, spec=spec)
    with torch.no_grad():
        h = model.bottom(model.embedding(batch.sparse, batch.dense).flatten(1))
        out = model(batch.sparse, batch.dense)
        for i, t in enumerate(spec.tasks):
            torch.testing.assert_close(out.logits[t], model.towers[i](h).squeeze(-1))

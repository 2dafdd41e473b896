import math

import pytest
import torch

from dephn.errors import DephnError
from dephn.models import build_model
from dephn.models.snr import HardConcrete

from .conftest import make_batch


def test_hard_concrete_range_and_modes():
    torch.manual_seed(0)
    hc = HardConcrete((50, 40), beta=0.667)
    with torch.no_grad():
        hc.log_alpha.normal_(0, 3)
    z = hc()
    assert z.shape == (50, 40) and z.min() >= 0 and z.max() <= 1
    assert (z == 0).any() and (z == 1).any()  # the stretch lets z hit exact 0 and 1
    assert not torch.equal(z, hc())           # training: a new draw each forward
    hc.eval()
    expected = (torch.sigmoid(hc.log_alpha) * 1.2 - 0.1).clamp(0, 1)
    torch.testing.assert_close(hc(), expected)
    torch.testing.assert_close(hc(), hc())


def test_expected_l0_formula_and_gradient():
    hc = HardConcrete((2, 3), beta=0.5)
    l0 = hc.expected_l0()
    # log_alpha = 0: P(z != 0) = sigmoid(-beta * log(0.1 / 1.1)) per entry
    expected = 6 / (1 + math.exp(0.5 * math.log(0.1 / 1.1)))
    assert abs(l0.item() - expected) < 1e-6
    l0.backward()
    assert (hc.log_alpha.grad > 0).all()  # the penalty pushes every log_alpha down


def test_logits_use_z_weighted_transforms(tiny_spec, tiny_cfg):
    torch.manual_seed(0)
    spec = tiny_spec(2)
    model = build_model("snr", spec, tiny_cfg(snr_l0_weight=0.5)).eval()
    batch = make_batch(2, n=5, spec=spec)
    with torch.no_grad():
        out = model(batch.sparse, batch.dense)
        z, u = out.intermediates["snr/z"], out.intermediates["experts"]
        assert z.shape == (2, 3) and u.shape == (5, 3, 16)
        v1 = sum(z[1, k] * u[:, k] @ model.transforms[1, k].T for k in range(3))  # (B, h)
        torch.testing.assert_close(out.logits["t1"], model.towers[1](v1).squeeze(-1))
        torch.testing.assert_close(out.aux_loss, 0.5 * model.coding.expected_l0())


def test_closed_connection_cuts_the_expert_off(tiny_spec, tiny_cfg):
    torch.manual_seed(0)
    spec = tiny_spec(2)
    model = build_model("snr", spec, tiny_cfg()).eval()
    with torch.no_grad():
        model.coding.log_alpha.fill_(10.0)
        model.coding.log_alpha[0, 1] = -10.0  # z = 0: task 0 ignores expert 1
    batch = make_batch(2, n=8, spec=spec)
    model(batch.sparse, batch.dense).logits["t0"].sum().backward()
    assert model.transforms.grad[0, 1].abs().sum() == 0
    assert model.transforms.grad[0, 0].abs().sum() > 0


@pytest.mark.parametrize("bad", [dict(snr_beta=0.0), dict(snr_l0_weight=-1.0)])
def test_config_rejects_bad_snr_values(bad, tiny_cfg):
    with pytest.raises(DephnError, match="SNR"):
        tiny_cfg(**bad)

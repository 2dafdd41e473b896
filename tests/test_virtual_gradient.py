"""The virtual gradient (docs/decisions.md#virtual-gradient): gammas, correlations, gradient scaling, coefficients."""
import math

import numpy as np
import pytest
import torch

from dephn.errors import DephnError
from dephn.virtual_gradient import (
    GAMMAS,
    VGSetting,
    VirtualGradient,
    coefficients,
    correlation,
    correlation_matrix,
    parse_settings,
    scale_grad,
)

# (x, y) points: the four corners, x + y = 1 (additive forms vanish), 2xy = 1 (multiplicative
# forms vanish), and two generic points.
POINTS = [(0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0), (0.3, 0.7), (0.5, 0.5),
          (1.0, 0.5), (0.5, 1.0), (0.2, 0.4), (0.9, 0.6)]

# gamma values written out by hand at each point (not through the formulas under test)
# cos values used: cos(0)=1, cos(pi)=-1, cos(2pi)=1, cos(pi/2)=0, cos(0.16pi), cos(1.08pi) ...
EXPECTED = {
    "mul_cos":    [2.0, 2.0, 2.0, 2.0, 1.0 + math.cos(0.42 * math.pi), 1.0 + 0.0,
                   0.0, 0.0, 1.0 + math.cos(0.16 * math.pi), 1.0 + math.cos(1.08 * math.pi)],
    "mul_abs":    [2.0, 2.0, 2.0, 2.0, 2 * 0.58, 2 * 0.5, 0.0, 0.0, 2 * 0.84, 2 * 0.08],
    "mul_square": [2.0, 2.0, 2.0, 2.0, 2 * 0.58 ** 2, 2 * 0.25, 0.0, 0.0, 2 * 0.84 ** 2,
                   2 * 0.08 ** 2],
    "mul_sqrt":   [2.0, 2.0, 2.0, 2.0, 2 * 0.58 ** 0.5, 2 * 0.5 ** 0.5, 0.0, 0.0,
                   2 * 0.84 ** 0.5, 2 * 0.08 ** 0.5],
    "add_cos":    [2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0 + math.cos(0.6 * math.pi),
                   1.0 + math.cos(1.5 * math.pi)],
    "add_abs":    [2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 2 * 0.4, 2 * 0.5],
    "add_square": [2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 2 * 0.16, 2 * 0.25],
    "add_sqrt":   [2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 2 * 0.5 ** 0.5, 2 * 0.5 ** 0.5, 2 * 0.4 ** 0.5,
                   2 * 0.5 ** 0.5],
}


def test_gamma_names_are_the_papers_eight():
    assert set(GAMMAS) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_gamma_hand_values(name):
    x = torch.tensor([p[0] for p in POINTS], dtype=torch.float64)
    y = torch.tensor([p[1] for p in POINTS], dtype=torch.float64)
    got = GAMMAS[name](x, y)
    assert torch.allclose(got, torch.tensor(EXPECTED[name], dtype=torch.float64), atol=1e-12), name


def test_sqrt_gammas_take_root_of_absolute_value():
    # x + y - 1 < 0 at (0.1, 0.2): the literal (...)^0.5 would be nan
    x, y = torch.tensor(0.1), torch.tensor(0.2)
    assert torch.isclose(GAMMAS["add_sqrt"](x, y), torch.tensor(2 * 0.7 ** 0.5))
    assert torch.isclose(GAMMAS["mul_sqrt"](x, y), torch.tensor(2 * 0.96 ** 0.5))


# --- correlations --------------------------------------------------------------------------


def _np_cos(a, b):
    return abs(float(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_correlation_matches_numpy_on_random_vectors():
    rng = np.random.default_rng(0)
    for _ in range(5):
        a = (rng.random(64) < 0.3).astype(np.float32)
        b = (rng.random(64) < 0.6).astype(np.float32)
        expected_p = abs(np.corrcoef(a, b)[0, 1])
        got_p = correlation(torch.from_numpy(a), torch.from_numpy(b), "pearson")
        assert got_p.item() == pytest.approx(expected_p, abs=1e-6)
        got_c = correlation(torch.from_numpy(a), torch.from_numpy(b), "cosine")
        assert got_c.item() == pytest.approx(_np_cos(a, b), abs=1e-6)


def test_correlation_is_absolute():
    a = torch.tensor([1.0, 0.0, 1.0, 0.0])
    assert correlation(a, 1 - a, "pearson").item() == pytest.approx(1.0)
    assert correlation(a, -a, "cosine").item() == pytest.approx(1.0)


def test_correlation_undefined_is_zero():
    a = torch.tensor([1.0, 0.0, 1.0, 1.0])
    const = torch.full((4,), 0.1)  # 0.1 is not exact in float: the centred vector is not 0
    zero = torch.zeros(4)
    assert correlation(a, const, "pearson").item() == 0.0
    assert correlation(a, torch.ones(4), "pearson").item() == 0.0
    assert correlation(a, zero, "cosine").item() == 0.0
    # a constant non-zero vector is fine for cosine
    assert correlation(a, torch.ones(4), "cosine").item() == pytest.approx(3 / (math.sqrt(3) * 2))


def test_correlation_matrix_matches_pairwise():
    rng = np.random.default_rng(1)
    y = (rng.random((50, 4)) < [0.2, 0.5, 0.05, 0.7]).astype(np.float32)
    y[:, 2] = 0.0  # a task with no positive in the batch
    for kind in ("pearson", "cosine"):
        m = correlation_matrix(torch.from_numpy(y), kind)
        assert m.shape == (4, 4)
        for i in range(4):
            for j in range(4):
                if 2 in (i, j):
                    assert m[i, j].item() == 0.0
                elif kind == "pearson":
                    assert m[i, j].item() == pytest.approx(abs(np.corrcoef(y[:, i], y[:, j])[0, 1]), abs=1e-6)
                else:
                    assert m[i, j].item() == pytest.approx(_np_cos(y[:, i], y[:, j]), abs=1e-6)


def test_unknown_names_raise_dephn_error_listing_choices():
    with pytest.raises(DephnError, match="add_sqrt"):
        VirtualGradient("nope", "pearson")
    with pytest.raises(DephnError, match="cosine"):
        VirtualGradient("add_sqrt", "spearman")
    with pytest.raises(DephnError):
        correlation_matrix(torch.ones(3, 2), "kendall")


# --- scale_grad ------------------------------------------------------------------------------


def test_scale_grad_forward_is_bit_identical_and_grad_is_scaled():
    torch.manual_seed(0)
    t = (torch.randn(5, 7) * 1e3).requires_grad_()
    coef = torch.rand(5, 7) * 3
    out = scale_grad(t, coef)
    assert torch.equal(out, t)
    w = torch.randn(5, 7)
    (out * w).sum().backward()
    assert torch.allclose(t.grad, w * coef)


def test_scale_grad_broadcast_coef_and_no_coef_grad():
    t = torch.randn(4, 3, 2, requires_grad=True)
    coef = torch.tensor([[1.0, 2.0], [3.0, 4.0], [0.5, 0.0]], requires_grad=True)  # (3, 2)
    scale_grad(t, coef).sum().backward()
    assert torch.equal(t.grad, coef.detach().expand(4, 3, 2))
    assert coef.grad is None
    with pytest.raises(ValueError):
        scale_grad(torch.randn(3, 2), torch.ones(4, 3, 2))  # would grow t's shape


# --- coefficients and the operator on TVG / MG gates ----------------------------------------


def _expected_coef(g, labels, gamma, corr):
    """eq. 8 with explicit loops, phi from numpy (independent of the code under test)."""
    g = g.detach().double().numpy()
    y = labels.double().numpy()
    n_tasks = y.shape[1]
    phi = np.zeros((n_tasks, n_tasks))
    for i in range(n_tasks):
        for j in range(n_tasks):
            if corr == "pearson":
                phi[i, j] = abs(np.corrcoef(y[:, i], y[:, j])[0, 1])
            else:
                phi[i, j] = _np_cos(y[:, i], y[:, j])
    c = np.ones_like(g)
    for t in range(n_tasks):
        for j in range(n_tasks):
            if j == t:
                continue
            yy = np.minimum(1.0, np.abs(g[..., t, :] - g[..., j, :]))
            c[..., t, :] *= GAMMAS[gamma](torch.tensor(phi[t, j]), torch.from_numpy(yy)).numpy()
    return torch.from_numpy(c)


LABELS = torch.tensor([[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 1], [1, 1, 1], [0, 0, 0]],
                      dtype=torch.float32)


@pytest.mark.parametrize("gamma", ["add_sqrt", "mul_cos", "add_cos"])
@pytest.mark.parametrize("corr", ["pearson", "cosine"])
def test_coefficients_global_and_per_sample(gamma, corr):
    torch.manual_seed(1)
    g_global = torch.softmax(torch.randn(3, 6), dim=-1)        # (T, M)
    g_sample = torch.softmax(torch.randn(6, 3, 6) * 3, dim=-1)  # (B, T, M)
    for g in (g_global, g_sample):
        c = coefficients(g, LABELS, gamma, corr)
        assert c.shape == g.shape and not c.requires_grad
        assert torch.allclose(c.double(), _expected_coef(g, LABELS, gamma, corr), atol=1e-5)


def test_coefficients_single_task_is_one():
    g = torch.softmax(torch.randn(1, 5), dim=-1)
    assert torch.equal(coefficients(g, torch.ones(8, 1), "add_sqrt", "pearson"), torch.ones(1, 5))


def test_coefficients_gate_difference_is_capped_at_one():
    # gate values differing by more than 1 (unnormalised) behave as a difference of exactly 1
    g = torch.tensor([[0.0, 5.0], [3.0, 0.0]])
    labels = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])  # phi = 0
    c = coefficients(g, labels, "add_abs", "pearson")
    assert torch.allclose(c, torch.zeros(2, 2))  # 2 * |0 + 1 - 1|


def _tiny_gated_model(per_sample):
    torch.manual_seed(2)
    experts = torch.nn.Linear(4, 3 * 5)   # 3 experts of width 5
    if per_sample:
        gate = torch.nn.Linear(4, 2 * 3)  # MG-like: per-sample logits for 2 tasks x 3 experts
    else:
        gate = torch.nn.Parameter(torch.randn(2, 3))  # TVG-like: global logits
    heads = torch.nn.Linear(5, 2)
    return experts, gate, heads


def _run(per_sample, vg, x, labels):
    experts, gate, heads = _tiny_gated_model(per_sample)
    e = experts(x).view(-1, 3, 5)                                       # (B, K, h)
    logits = gate(x).view(-1, 2, 3) if per_sample else gate            # (B, T, K) | (T, K)
    g = torch.softmax(logits, dim=-1)
    g.retain_grad()
    used, coef = (g, None) if vg is None else vg(g, labels)
    g_b = used if per_sample else used.expand(x.shape[0], 2, 3)         # (B, T, K)
    mixed = torch.einsum("btk,bkh->bth", g_b, e)                        # (B, T, h)
    out = torch.stack([heads(mixed[:, t])[:, t] for t in range(2)], 1)  # (B, T)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(out, labels)
    loss.backward()
    params = list(experts.parameters()) + list(heads.parameters())
    gate_params = list(gate.parameters()) if per_sample else [gate]
    return g, coef, out, [p.grad.clone() for p in params], [p.grad.clone() for p in gate_params]


@pytest.mark.parametrize("per_sample", [False, True], ids=["tvg", "mg"])
def test_operator_scales_only_gate_gradients(per_sample):
    torch.manual_seed(3)
    x = torch.randn(6, 4)
    labels = LABELS[:, :2]
    g0, _, out0, other0, gp0 = _run(per_sample, None, x, labels)
    g1, coef, out1, other1, gp1 = _run(per_sample, VirtualGradient("add_sqrt", "pearson"), x, labels)
    assert torch.equal(out0, out1)                      # forward untouched
    assert torch.equal(g0, g1)
    for a, b in zip(other0, other1):                   # experts and heads: same gradients
        assert torch.equal(a, b)
    # the gradient reaching the gate values is the plain one times the coefficient
    expected = _expected_coef(g0, labels, "add_sqrt", "pearson").float()
    assert torch.allclose(coef, expected, atol=1e-5)
    assert torch.allclose(g1.grad, g0.grad * expected, atol=1e-7)
    assert not torch.allclose(g1.grad, g0.grad)        # the coefficient is not trivially 1
    # and the gate parameters see it through the softmax Jacobian
    for a, b in zip(gp0, gp1):
        assert not torch.allclose(a, b)


# --- settings: parsed once where the text comes in, written as GAMMA/CORR -------------------

def test_a_setting_reads_as_it_is_written():
    setting = VGSetting.parse("add_sqrt/pearson")
    assert setting == VGSetting("add_sqrt", "pearson") and setting.label == str(setting) == "add_sqrt/pearson"
    assert f"({setting})" == "(add_sqrt/pearson)" and VGSetting.parse("none") is None and VGSetting.parse(None) is None


@pytest.mark.parametrize("text", ["", "/", "add_sqrt", "add_sqrt/", "/pearson", "add_sqrt/spearman", "nope/pearson",
                                  "all", "add_sqrt/pearson/x"])
def test_a_bad_setting_text_is_refused(text):
    with pytest.raises(DephnError, match="expected none or GAMMA/CORR"):
        VGSetting.parse(text)


def test_sweep_settings_refuse_an_empty_item():
    assert parse_settings(["none", "add_cos/cosine"]) == [None, VGSetting("add_cos", "cosine")]
    assert len(parse_settings(["all"])) == 2 * len(GAMMAS)
    for items in ([""], ["none", ""]):
        with pytest.raises(DephnError, match="virtual-gradient setting ''"):
            parse_settings(items)

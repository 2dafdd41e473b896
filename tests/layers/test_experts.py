import pytest
import torch
from torch import nn

from dephn.layers import MLP, ExpertGroup


def _as_mlp(group: ExpertGroup, k: int) -> MLP:
    """Expert k of the group copied into a plain MLP (the reference)."""
    mlp = MLP(group.first.in_features, group.hidden)
    linears = [m for m in mlp.net if isinstance(m, nn.Linear)]
    h0 = group.hidden[0]
    with torch.no_grad():
        linears[0].weight.copy_(group.first.weight[k * h0:(k + 1) * h0])
        linears[0].bias.copy_(group.first.bias[k * h0:(k + 1) * h0])
        for lin, w, b in zip(linears[1:], group.weights, group.biases):
            lin.weight.copy_(w[k].T)
            lin.bias.copy_(b[k, 0])
    return mlp


def test_equals_k_separate_mlps():
    torch.manual_seed(0)
    group = ExpertGroup(3, in_dim=7, hidden=(6, 5, 4))
    x = torch.randn(10, 7)
    out = group(x)
    assert out.shape == (10, 3, 4) and group.out_dim == 4
    for k in range(3):
        torch.testing.assert_close(out[:, k], _as_mlp(group, k)(x))


def test_parameter_count_matches_separate_mlps():
    group = ExpertGroup(4, in_dim=10, hidden=(8, 6))
    separate = sum(p.numel() for p in MLP(10, (8, 6)).parameters()) * 4
    assert sum(p.numel() for p in group.parameters()) == separate


def test_experts_are_independent():
    torch.manual_seed(0)
    group = ExpertGroup(3, in_dim=5, hidden=(4, 2), activation="identity")  # no dead units
    group(torch.randn(6, 5))[:, 1].sum().backward()
    assert group.weights[0].grad[0].abs().sum() == 0 and group.weights[0].grad[2].abs().sum() == 0
    assert group.weights[0].grad[1].abs().sum() > 0
    rows = group.first.weight.grad.abs().sum(1)  # (K * h0,)
    assert rows[:4].sum() == 0 and rows[4:8].sum() > 0 and rows[8:].sum() == 0


def test_batch_norm_is_per_expert_unit():
    torch.manual_seed(0)
    group = ExpertGroup(2, in_dim=3, hidden=(4, 5), batch_norm=True, activation="identity").train()
    out = group(torch.randn(64, 3))  # last layer: BN then identity -> zero mean per expert unit
    torch.testing.assert_close(out.mean(0), torch.zeros(2, 5), atol=1e-5, rtol=0)


def test_needs_a_width():
    with pytest.raises(ValueError):
        ExpertGroup(2, 3, ())


def test_one_input_per_expert_equals_each_mlp_on_its_own_input():
    torch.manual_seed(0)
    group = ExpertGroup(3, in_dim=7, hidden=(6, 4))
    x = torch.randn(10, 3, 7)
    out = group(x)
    assert out.shape == (10, 3, 4)
    for k in range(3):
        torch.testing.assert_close(out[:, k], _as_mlp(group, k)(x[:, k]))
    with pytest.raises(ValueError, match="one input per expert"):
        group(torch.randn(10, 2, 7))

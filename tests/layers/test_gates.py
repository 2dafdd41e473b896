import torch

from dephn.layers import SoftmaxGate, TrainableValueGate


def test_softmax_gate_per_sample():
    gate = SoftmaxGate(6, 4)
    x = torch.randn(5, 6)
    g = gate(x)
    assert g.shape == (5, 4)
    torch.testing.assert_close(g.sum(-1), torch.ones(5))
    torch.testing.assert_close(g, torch.softmax(x @ gate.proj.weight.T, -1))
    assert not torch.allclose(g[0], g[1])  # depends on the sample


def test_trainable_value_gate_starts_uniform_and_learns():
    gate = TrainableValueGate(n_tasks=2, n_out=3)
    g = gate()
    assert g.shape == (2, 3)
    torch.testing.assert_close(g, torch.full((2, 3), 1 / 3))
    (g[0, 0] - g[1, 2]).backward()
    assert gate.raw.grad.abs().sum() > 0


def test_softmax_gate_batch_norm_normalises_the_logits_per_entry():
    gate = SoftmaxGate(6, 4, norm="batch").train()
    x = torch.randn(64, 6) * 5 + 3
    g = gate(x)
    logits = x @ gate.proj.weight.T
    z = (logits - logits.mean(0)) / torch.sqrt(logits.var(0, unbiased=False) + gate.norm.eps)
    torch.testing.assert_close(g, torch.softmax(z, -1))
    torch.testing.assert_close(g.sum(-1), torch.ones(64))
    assert sum(p.numel() for p in gate.parameters()) == 6 * 4 + 2 * 4    # W, BN scale and shift


def test_softmax_gate_rejects_an_unknown_norm():
    import pytest
    with pytest.raises(ValueError, match="norm must be one of"):
        SoftmaxGate(6, 4, norm="layer")

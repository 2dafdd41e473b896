import torch

from dephn.layers import BiInteraction


def _explicit_pairs(e):
    b, f, d = e.shape
    out = torch.zeros(b, d, dtype=e.dtype)
    for i in range(f):
        for j in range(i + 1, f):
            out += e[:, i] * e[:, j]
    return out


def test_bi_interaction_matches_explicit_pairwise_sum():
    e = torch.randn(3, 5, 4, dtype=torch.float64)
    out = BiInteraction()(e)
    assert out.shape == (3, 4)
    torch.testing.assert_close(out, _explicit_pairs(e))
    two = torch.tensor([[[1.0, 2.0], [3.0, -1.0]]])
    assert BiInteraction()(two).sum().item() == 1.0  # 1*3 + 2*(-1)

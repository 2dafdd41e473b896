"""Second-order factorisation-machine interactions (Rendle, ICDM 2010).

Both use the sum-square trick: sum_{i<j} e_i * e_j = ((sum_i e_i)^2 - sum_i e_i^2) / 2,
O(F d) instead of O(F^2 d).
"""
from __future__ import annotations

import torch
from torch import nn


def _pairwise_sum(e: torch.Tensor) -> torch.Tensor:
    square_of_sum = e.sum(dim=1).pow(2)      # (B, d)
    sum_of_square = e.pow(2).sum(dim=1)      # (B, d)
    return 0.5 * (square_of_sum - sum_of_square)  # (B, d)


class BiInteraction(nn.Module):
    """NFM bi-interaction pooling (He & Chua, SIGIR 2017): (B, F, d) -> (B, d)."""

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        return _pairwise_sum(e)              # (B, d)


class FactorizationMachine(nn.Module):
    """FM second-order term sum_{i<j} <e_i, e_j>: (B, F, d) -> (B,)."""

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        return _pairwise_sum(e).sum(dim=-1)  # (B,)

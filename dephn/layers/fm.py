"""NFM's bi-interaction pooling (He & Chua, SIGIR 2017), the factorisation machine's second-order
term (Rendle, ICDM 2010) kept per dimension."""
from __future__ import annotations

import torch
from torch import nn


class BiInteraction(nn.Module):
    """sum_{i<j} e_i * e_j = ((sum_i e_i)^2 - sum_i e_i^2) / 2, O(F d): (B, F, d) -> (B, d)."""

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        square_of_sum = e.sum(dim=1).pow(2)           # (B, d)
        sum_of_square = e.pow(2).sum(dim=1)           # (B, d)
        return 0.5 * (square_of_sum - sum_of_square)  # (B, d)

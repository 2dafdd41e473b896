"""Gates that weight experts: per-sample (MMoE) and global trainable (DEPHN's TVG)."""
from __future__ import annotations

import torch
from torch import nn


class SoftmaxGate(nn.Module):
    """g(x) = softmax(W x), one weight per expert and sample (MMoE, Ma et al., KDD 2018).

    (B, in_dim) -> (B, n_out), rows sum to 1. No bias, as in the MMoE paper's gate.
    """

    def __init__(self, in_dim: int, n_out: int):
        super().__init__()
        self.proj = nn.Linear(in_dim, n_out, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.proj(x), dim=-1)  # (B, n_out)


class TrainableValueGate(nn.Module):
    """TVG (DEPHN, docs/decisions.md#tvg-and-mg-gates): one global trainable logit per (task, entry), softmax per task.

    Logits start at 0, so every task starts with a uniform gate. forward() -> (T, n_out).
    """

    def __init__(self, n_tasks: int, n_out: int):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(n_tasks, n_out))  # (T, n_out)

    def forward(self) -> torch.Tensor:
        return torch.softmax(self.logits, dim=-1)                # (T, n_out)

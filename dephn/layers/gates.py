"""Gates that weight experts: per-sample (MMoE) and global trainable (DEPHN's TVG)."""
from __future__ import annotations

import math

import torch
from torch import nn

from ..config import GATE_NORMS, TVG_NORMS


class SoftmaxGate(nn.Module):
    """g(x) = softmax(W x) (MMoE; no bias), (B, in_dim) -> (B, n_out); norm="batch":
    softmax(BN(W x)) (docs/decisions.md#gate-batch-norm)."""

    def __init__(self, in_dim: int, n_out: int, norm: str = "none"):
        super().__init__()
        if norm not in GATE_NORMS:
            raise ValueError(f"norm must be one of {GATE_NORMS}, got {norm!r}")
        self.proj = nn.Linear(in_dim, n_out, bias=False)
        self.norm = nn.BatchNorm1d(n_out) if norm == "batch" else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.proj(x)                                   # (B, n_out)
        if self.norm is not None:
            logits = self.norm(logits)
        return torch.softmax(logits, dim=-1)                    # (B, n_out)


class TrainableValueGate(nn.Module):
    """TVG (docs/decisions.md#tvg-and-mg-gates): one global trainable value per (task, entry),
    `raw` (T, n_out), as gate values itself (norm "none"), by a softmax per task or a sigmoid;
    every form starts at 1/n_out per entry. forward() -> (T, n_out)."""

    def __init__(self, n_tasks: int, n_out: int, norm: str = "none"):
        super().__init__()
        if norm not in TVG_NORMS:
            raise ValueError(f"norm must be one of {TVG_NORMS}, got {norm!r}")
        self.norm = norm
        start = {"none": 1.0 / n_out, "softmax": 0.0, "sigmoid": math.log(1.0 / max(n_out - 1, 1e-12))
                 if n_out > 1 else 0.0}[norm]
        self.raw = nn.Parameter(torch.full((n_tasks, n_out), float(start)))   # (T, n_out)

    def forward(self) -> torch.Tensor:
        if self.norm == "softmax":
            return torch.softmax(self.raw, dim=-1)               # (T, n_out)
        if self.norm == "sigmoid":
            return torch.sigmoid(self.raw)                       # (T, n_out)
        return self.raw                                          # (T, n_out)

    def extra_repr(self) -> str:
        return f"norm={self.norm!r}"


GATE_MODULES = (SoftmaxGate, TrainableValueGate)   # what `gate_optimizer` and the update probe treat as gates

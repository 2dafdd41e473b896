"""Gates that weight experts: per-sample (MMoE) and global trainable (DEPHN's TVG)."""
from __future__ import annotations

import math

import torch
from torch import nn

from ..config import GATE_NORMS, TVG_NORMS


class SoftmaxGate(nn.Module):
    """g(x) = softmax(W x), one weight per expert and sample (MMoE, Ma et al., KDD 2018).

    (B, in_dim) -> (B, n_out), rows sum to 1. No bias, as in the MMoE paper's gate.
    norm="batch": softmax(BN(W x)), the logits batch-normalised per expert before the softmax
    (with BN's learned scale and shift), as torch-rechub's MMoE gate does
    (docs/decisions.md#gate-batch-norm).
    """

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
    """TVG (DEPHN, docs/decisions.md#tvg-and-mg-gates): one global trainable value per (task, entry).

    `norm` says how the trainable values `raw` (T, n_out) become gate values:
      "none"    the values themselves (the paper's "trainable fixed parameters ... as the gating
                value"; the only form in which eq. 7's min(1, |G^t - G^j|) can reach 1),
      "softmax" a softmax over the entries of each task (rows sum to 1),
      "sigmoid" an element-wise sigmoid (each in (0, 1)).
    Every form starts at the same gate values, 1/n_out for every entry, so the three differ
    only in how training moves them. forward() -> (T, n_out).
    """

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

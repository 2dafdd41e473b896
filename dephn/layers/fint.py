"""FINT field-aware interaction layer (Zhao et al. 2021, arXiv 2107.01999; docs/decisions.md#field-interaction-experts)."""
from __future__ import annotations

import math

import torch
from torch import nn


class FieldInteraction(nn.Module):
    """V_l = V_{l-1} * (W_l V_0) + u_l * V_{l-1},  W_l in R^{F x F}, u_l in R^F (from 1).

    copies=None: (B, F, d) -> (B, F, d); W (L, F, F), u (L, F).
    copies=C: C independent stacks over the same V_0, (B, F, d) -> (B, C, F, d); W (C, L, F, F).
    Computed field-major, V_0 as one (F, B*d) matrix: all mixes in one matmul (C*L*F, F) @ (F, B*d).
    """

    def __init__(self, n_fields: int, layers: int, copies: int | None = None):
        super().__init__()
        if copies is not None and copies < 1:
            raise ValueError(f"copies must be >= 1 or None, got {copies}")
        lead = () if copies is None else (int(copies),)
        self.W = nn.Parameter(torch.empty(*lead, layers, n_fields, n_fields))  # ([C,] L, F, F)
        self.u = nn.Parameter(torch.ones(*lead, layers, n_fields))             # ([C,] L, F)
        nn.init.uniform_(self.W, -1 / math.sqrt(n_fields), 1 / math.sqrt(n_fields))
        self.n_layers, self.copies = int(layers), copies

    def forward(self, v0: torch.Tensor) -> torch.Tensor:
        b, f, d = v0.shape
        c = self.copies or 1
        x0 = v0.transpose(0, 1).reshape(f, b * d)                        # (F, B*d)
        v = x0.expand(c, f, b * d)                                       # (C, F, B*d)
        if self.n_layers:
            # W_l V_0 depends on V_0 only: every layer's (and copy's) mix in one matmul
            mixed = (self.W.reshape(-1, f) @ x0).view(c, self.n_layers, f, b * d)  # (C, L, F, B*d)
            u = self.u.reshape(c, self.n_layers, f, 1)                   # (C, L, F, 1)
            for l, m in enumerate(mixed.unbind(1)):                      # m (C, F, B*d)
                v = v * (m + u[:, l])                                    # (C, F, B*d)
        out = v.view(c, f, b, d).permute(2, 0, 1, 3)                     # (B, C, F, d) view
        return out[:, 0] if self.copies is None else out

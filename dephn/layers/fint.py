"""FINT field-aware interaction layer (Zhao et al. 2021, arXiv 2107.01999; SPEC §2)."""
from __future__ import annotations

import math

import torch
from torch import nn


class FieldInteraction(nn.Module):
    """V_l = V_{l-1} * (W_l V_0) + u_l * V_{l-1},  W_l in R^{F x F}, u_l in R^F.

    W_l V_0 mixes the fields (each output field is a learned combination of all input
    fields); the Hadamard product with V_{l-1} raises the interaction order by one per
    layer; u_l is a per-field residual scale, initialised to 1 so that a fresh layer
    passes V_{l-1} through. (B, F, d) -> (B, F, d).
    """

    def __init__(self, n_fields: int, layers: int):
        super().__init__()
        self.W = nn.Parameter(torch.empty(layers, n_fields, n_fields))  # (L, F, F)
        self.u = nn.Parameter(torch.ones(layers, n_fields))             # (L, F)
        nn.init.uniform_(self.W, -1 / math.sqrt(n_fields), 1 / math.sqrt(n_fields))
        self.n_layers = int(layers)

    def forward(self, v0: torch.Tensor) -> torch.Tensor:
        v = v0                                                          # (B, F, d)
        if self.n_layers == 0:
            return v
        # W_l V_0 depends on V_0 only: every layer's mix in one matmul
        b, f, d = v0.shape
        mixed = (self.W.reshape(-1, f) @ v0).view(b, self.n_layers, f, d)   # (B, L, F, d)
        for l in range(self.n_layers):
            v = v * (mixed[:, l] + self.u[l].unsqueeze(-1))             # (B, F, d)
        return v

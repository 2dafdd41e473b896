"""Field self-attention and soft selection gating (PHN's SSG, SPEC §2, eq. 1)."""
from __future__ import annotations

import torch
from torch import nn


class FieldSelfAttention(nn.Module):
    """AutoInt-style multi-head self-attention over the F field vectors (Song et al., CIKM 2019).

    Each layer: x <- x + MHA(x, x, x), the residual keeping every field's own vector
    (AutoInt adds a projected residual and a ReLU; the identity residual keeps the
    output in the embedding's space, which SSG mixes with E itself). (B, F, d) -> (B, F, d).
    """

    def __init__(self, dim: int, heads: int, layers: int = 1):
        super().__init__()
        if dim % heads:
            raise ValueError(f"embedding dim {dim} is not divisible by {heads} attention heads")
        self.layers = nn.ModuleList(
            nn.MultiheadAttention(dim, heads, batch_first=True) for _ in range(layers))

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        x = e                                                  # (B, F, d)
        for attn in self.layers:
            out, _ = attn(x, x, x, need_weights=False)         # (B, F, d)
            x = x + out                                        # (B, F, d)
        return x


class SoftSelectionGate(nn.Module):
    """E_sg = g * E_SA + (1 - g) * E (SPEC eq. 1), g in R^d broadcast over fields.

    `g` starts at `init` (0.5: an even mix) and is unconstrained, as the paper's
    heat map (Fig. 3a) reads its raw values.
    """

    def __init__(self, dim: int, init: float = 0.5):
        super().__init__()
        self.g = nn.Parameter(torch.full((dim,), float(init)))  # (d,)

    def forward(self, e: torch.Tensor, e_sa: torch.Tensor) -> torch.Tensor:
        return self.g * e_sa + (1 - self.g) * e                # (B, F, d)

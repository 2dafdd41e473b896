"""Field self-attention and soft selection gating (PHN's SSG, eq. 1; docs/decisions.md#soft-selection-gating)."""
from __future__ import annotations

import torch
from torch import nn


class FieldSelfAttention(nn.Module):
    """AutoInt-style self-attention over the F field vectors (Song et al., CIKM 2019), identity
    residual (docs/decisions.md#soft-selection-gating): x <- x + MHA(x, x, x), (B, F, d) -> (B, F, d)."""

    def __init__(self, dim: int, heads: int, layers: int = 1):
        super().__init__()
        if dim % heads:
            raise ValueError(f"embedding dim {dim} is not divisible by {heads} attention heads")
        self.layers = nn.ModuleList(
            nn.MultiheadAttention(dim, heads, batch_first=True) for _ in range(layers))

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        x = e                                                  # (B, F, d)
        for attn in self.layers:
            x = x + _self_attention(attn, x)                   # (B, F, d)
        return x


def _self_attention(attn: nn.MultiheadAttention, x: torch.Tensor) -> torch.Tensor:
    """`attn(x, x, x)` from the module's own weights by two einsums (tested equal): with ~40
    fields and heads of 4-8 the fused CPU kernels spend most of a step on overhead."""
    b, f, d = x.shape
    h = attn.num_heads
    qkv = nn.functional.linear(x, attn.in_proj_weight, attn.in_proj_bias)        # (B, F, 3d)
    q, k, v = qkv.view(b, f, 3, h, d // h).unbind(2)                             # 3 x (B, F, h, d/h)
    scores = torch.einsum("bqhc,bkhc->bhqk", q * (d // h) ** -0.5, k)             # (B, h, F, F)
    weights = scores.softmax(-1)
    if attn.training and attn.dropout > 0:
        weights = nn.functional.dropout(weights, attn.dropout)
    out = torch.einsum("bhqk,bkhc->bqhc", weights, v).reshape(b, f, d)           # (B, F, d)
    return attn.out_proj(out)                                                     # (B, F, d)


class SoftSelectionGate(nn.Module):
    """E_sg = g * E_SA + (1 - g) * E (eq. 1), g in R^d broadcast over fields, from `init`, unbounded."""

    def __init__(self, dim: int, init: float = 0.5):
        super().__init__()
        self.g = nn.Parameter(torch.full((dim,), float(init)))  # (d,)

    def forward(self, e: torch.Tensor, e_sa: torch.Tensor) -> torch.Tensor:
        return self.g * e_sa + (1 - self.g) * e                # (B, F, d)

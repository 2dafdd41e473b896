"""Compressed interaction network of xDeepFM (Lian et al., KDD 2018)."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .mlp import ACTIVATIONS


class CIN(nn.Module):
    """X^k_{h,*} = sum_{i,j} W^{k,h}_{ij} (X^{k-1}_{i,*} * X^0_{j,*})  (xDeepFM eq. 6), a 1x1
    convolution over the H_{k-1} * m outer products. `split_half`: every layer but the last sends
    half its maps to the output; output = sum over d of the output maps, (B, F, d) -> (B, out_dim)."""

    def __init__(self, n_fields: int, dim: int, layer_sizes: Sequence[int], split_half: bool = True,
                 activation: str = "identity"):
        super().__init__()
        layer_sizes = tuple(int(h) for h in layer_sizes)
        if not layer_sizes:
            raise ValueError("CIN needs at least one layer")
        if split_half and any(h % 2 for h in layer_sizes[:-1]):
            raise ValueError(f"split_half needs even sizes for all layers but the last, got {layer_sizes}")
        self.dim, self.split_half = int(dim), split_half
        self.convs = nn.ModuleList()
        self.act = ACTIVATIONS[activation]()
        prev, out_dim = n_fields, 0
        for k, h in enumerate(layer_sizes):
            self.convs.append(nn.Conv1d(prev * n_fields, h, kernel_size=1))
            last = k == len(layer_sizes) - 1
            keep = h // 2 if (split_half and not last) else h
            out_dim += keep
            prev = keep
        self.out_dim = out_dim

    def forward(self, x0: torch.Tensor) -> torch.Tensor:
        b, m, d = x0.shape
        x, pooled = x0, []                                        # (B, m, d)
        for k, conv in enumerate(self.convs):
            z = (x.unsqueeze(2) * x0.unsqueeze(1)).reshape(b, -1, d)  # (B, H*m, d)
            x = self.act(conv(z))                                 # (B, H_k, d)
            if self.split_half and k < len(self.convs) - 1:
                x, out = torch.split(x, x.shape[1] // 2, dim=1)   # (B, H_k/2, d) each
            else:
                out = x
            pooled.append(out.sum(dim=-1))                        # (B, H_k or H_k/2)
        return torch.cat(pooled, dim=1)                           # (B, out_dim)

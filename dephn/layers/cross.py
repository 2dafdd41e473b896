"""Cross network of DCN (Wang et al., ADKDD 2017) and DCN-V2 (Wang et al., WWW 2021)."""
from __future__ import annotations

import torch
from torch import nn


class CrossNetwork(nn.Module):
    """Stacked explicit feature crossing, (B, n) -> (B, n).

    v1: x_{l+1} = x_0 (x_l^T w_l) + b_l + x_l      (w_l, b_l in R^n)
    v2: x_{l+1} = x_0 * (W_l x_l + b_l) + x_l      (W_l in R^{n x n})
    v2 with rank r > 0: W_l = U_l V_l^T (U_l, V_l in R^{n x r}), DCN-V2's low-rank form.
    """

    def __init__(self, in_dim: int, layers: int, version: str = "v2", rank: int = 0):
        super().__init__()
        if version not in ("v1", "v2"):
            raise ValueError(f"version={version!r} is not 'v1' or 'v2'")
        if rank < 0:
            raise ValueError(f"rank must be >= 0 (0 = full), got {rank}")
        self.version, self.out_dim = version, int(in_dim)
        self.rank = int(rank) if version == "v2" and 0 < rank < in_dim else 0
        if version == "v1":
            self.w = nn.Parameter(torch.empty(layers, in_dim))       # (L, n)
            self.b = nn.Parameter(torch.zeros(layers, in_dim))       # (L, n)
            nn.init.xavier_normal_(self.w)
        elif self.rank:
            self.linears = nn.ModuleList(
                nn.Sequential(nn.Linear(in_dim, self.rank, bias=False), nn.Linear(self.rank, in_dim))
                for _ in range(layers))                               # V^T then U (+ b)
            for lin in self.linears:
                nn.init.zeros_(lin[1].bias)
        else:
            self.linears = nn.ModuleList(nn.Linear(in_dim, in_dim) for _ in range(layers))
            for lin in self.linears:
                nn.init.zeros_(lin.bias)
        self.n_layers = int(layers)

    def forward(self, x0: torch.Tensor) -> torch.Tensor:
        x = x0                                                       # (B, n)
        for l in range(self.n_layers):
            if self.version == "v1":
                xw = x @ self.w[l]                                   # (B,)
                x = x0 * xw.unsqueeze(-1) + self.b[l] + x            # (B, n)
            else:
                x = x0 * self.linears[l](x) + x                      # (B, n)
        return x

"""The multi-layer perceptron every DNN part, expert and tower is made of."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "identity": nn.Identity}     # hidden layers; CIN's eq. 6 has none


class MLP(nn.Module):
    """Linear -> [BatchNorm] -> activation -> [Dropout] per hidden width, then an optional final
    Linear to `out_dim`; `MLP(n, ())` is the identity, `MLP(n, (), out_dim=1)` a linear tower."""

    def __init__(self, in_dim: int, hidden: Sequence[int], out_dim: int | None = None,
                 dropout: float = 0.0, batch_norm: bool = False, activation: str = "relu"):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation={activation!r} is not one of {sorted(ACTIVATIONS)}")
        layers: list[nn.Module] = []
        width = int(in_dim)
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batch_norm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        if out_dim is not None:
            layers.append(nn.Linear(width, out_dim))
            width = out_dim
        self.net = nn.Sequential(*layers)
        self.in_dim, self.out_dim = int(in_dim), int(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # (B, in_dim) -> (B, out_dim)

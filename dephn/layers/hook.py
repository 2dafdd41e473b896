"""A named point where a model's gate values pass: what gradient policies attach to."""
from __future__ import annotations

import torch
from torch import nn


class GateHook(nn.Module):
    """Identity on a stacked gate tensor (T, M) (global gates) or (B, T, M) (per sample).

    A gradient policy installed by the trainer (`dephn.train.policy`) attaches a forward hook
    here and rescales the gates' gradients. `name` keys what it records ("gates",
    "gates@level1", ...); `entries` is the shape of the M entries in the model (DEPHN: (K, P)).
    """

    def __init__(self, name: str = "gates", entries: tuple[int, ...] | None = None):
        super().__init__()
        self.name, self.entries = name, tuple(entries) if entries else None

    def forward(self, gates: torch.Tensor) -> torch.Tensor:
        return gates

    def extra_repr(self) -> str:
        return f"name={self.name!r}, entries={self.entries}"

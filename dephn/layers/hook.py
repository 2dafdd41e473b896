"""A named point where a model's gate values pass: what gradient policies attach to."""
from __future__ import annotations

import torch
from torch import nn


class GateHook(nn.Module):
    """Identity on a stacked gate tensor (T, M) (global gates) or (B, T, M) (per sample).

    Models route their task gates through one of these instead of taking labels and a
    policy themselves; a gradient policy installed by the trainer (the virtual gradient,
    `dephn.train.policy`) attaches a forward hook here and rescales the gates' gradients.
    `name` keys what the policy records ("gates", "gates@level1", ...); `entries` is the
    shape the M gate entries have in the model (e.g. (K, P) expert x mapping in DEPHN), so
    recorded coefficients read like the model's gates.
    """

    def __init__(self, name: str = "gates", entries: tuple[int, ...] | None = None):
        super().__init__()
        self.name, self.entries = name, tuple(entries) if entries else None

    def forward(self, gates: torch.Tensor) -> torch.Tensor:
        return gates

    def extra_repr(self) -> str:
        return f"name={self.name!r}, entries={self.entries}"

"""The virtual gradient of several model copies trained as one (`dephn.train.multicopy`).

Each copy has its own setting (a `VGSetting` or None for plain gradients), as its separate run
would. Inside the vectorised forward the policy's operator sees one copy's gates and labels and
`which`, the position of the copy's setting among the distinct settings (-1: none; a batched
scalar under `torch.func.vmap`); it computes the coefficients of every distinct setting and
keeps, with `torch.where`, those of the copy's own. A copy without a virtual gradient gets the
coefficient 1: the forward value is still the gates' exact bits and the gradient times 1 is the
gradient itself, as in a run without it.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from ..virtual_gradient import VGSetting, coefficients, scale_grad
from .policy import VirtualGradientPolicy


class CopySettingsOperator:
    """`gates_used, coef = op(gates, labels)` with the setting `distinct[which]` (none: -1)."""

    def __init__(self, settings: Sequence[VGSetting | None]):
        self.distinct = sorted({s for s in settings if s is not None}, key=lambda s: s.label)
        index = [-1 if s is None else self.distinct.index(s) for s in settings]
        self.index = torch.tensor(index)                     # (C,): each copy's setting, -1 = none
        self.plain = all(i == 0 for i in index)              # one setting for all: no selection
        self.which: Tensor | None = None                     # set per forward: the copy's `index` entry
                                                             # (under vmap, a batched scalar)

    def __call__(self, gates: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        coef = None
        for i, s in enumerate(self.distinct):
            c = coefficients(gates, labels, s.gamma, s.corr)
            if self.plain:
                coef = c
            else:
                coef = torch.where(self.which == i, c, torch.ones_like(c) if coef is None else coef)
        return scale_grad(gates, coef), coef


def copy_policy(settings: Sequence[VGSetting | None]) -> VirtualGradientPolicy | None:
    """A policy whose operator follows each copy's own setting; None when no copy has one."""
    op = CopySettingsOperator(settings)
    if not op.distinct:
        return None
    policy = VirtualGradientPolicy(op.distinct[0])
    policy.operator = op
    return policy


class CopyPolicyView:
    """What a copy's callbacks see as `TrainState.policy`: that copy's coefficients of the
    last training forward (no update probe: a vectorised step does not run it)."""

    def __init__(self, setting: VGSetting, rows: int):
        self.setting, self.rows = setting, rows
        self.coef: dict[str, Tensor] = {}
        self.probe: dict[str, float] = {}
        self.probe_step = -1

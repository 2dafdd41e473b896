"""Gradient policies the trainer installs on a model's gate hooks (the weighting axis).

A model only marks where its gates pass (`dephn.layers.GateHook`); what happens to their
gradients is chosen here, per run, from the training config. Today's policy is DEPHN's
virtual gradient (docs/decisions.md#virtual-gradient), which works on any model with gate hooks (DEPHN, MT-PHN, MMoE,
PLE): its coefficients need the batch's labels, which the trainer hands over before each
training forward and withdraws after it.
"""
from __future__ import annotations

import torch
from torch import nn

from ..errors import DephnError
from ..layers import GateHook
from ..virtual_gradient import VGSetting


def gate_hooks(model: nn.Module) -> list[GateHook]:
    return [m for m in model.modules() if isinstance(m, GateHook)]


class VirtualGradientPolicy:
    """Rescales the gradient of every gate value by its virtual-gradient coefficient.

    `coef` holds the coefficients of the last training forward, keyed by hook name and
    shaped like the model's gates: (T, *entries) for global gates, (B, T, *entries) per sample
    (B = `rows`, that forward's batch size).
    """

    def __init__(self, setting: VGSetting):
        self.setting = setting
        self.operator = setting.operator()
        self.labels: torch.Tensor | None = None
        self.coef: dict[str, torch.Tensor] = {}
        self.rows = 0                                      # batch rows behind `coef`
        self._handles: list = []

    def attach(self, model: nn.Module) -> "VirtualGradientPolicy":
        """Hook every gate of `model`; a policy serves one model at a time (attach again = move)."""
        self.detach()
        hooks = gate_hooks(model)
        if not hooks:
            raise DephnError(f"the virtual gradient ({self.setting.label}) needs a model with gates; "
                             f"{type(model).__name__} has none")
        self._handles = [h.register_forward_hook(self._rescale) for h in hooks]
        return self

    def detach(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles, self.labels = [], None

    def set_labels(self, labels: torch.Tensor | None) -> None:
        """The batch's labels (B, T) for the next training forward; None outside training steps."""
        self.labels = labels

    def _rescale(self, hook: GateHook, inputs, gates: torch.Tensor):
        if self.labels is None or not hook.training or not torch.is_grad_enabled():
            return None                                    # evaluation: gates pass untouched
        used, coef = self.operator(gates, self.labels)     # same values, scaled gradients
        self.rows = int(self.labels.shape[0])
        self.coef[hook.name] = coef.unflatten(-1, hook.entries) if hook.entries else coef
        return used


def policy_for(vg: str | None) -> VirtualGradientPolicy | None:
    """The policy a training config's `vg` setting asks for (None: plain gradients)."""
    setting = VGSetting.parse(vg)
    return None if setting is None else VirtualGradientPolicy(setting)

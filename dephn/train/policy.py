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
from .probe import relative_difference, simulated_update


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
        self.probing = False                               # keep what `probe` needs on the next forward
        self.probe: dict[str, float] = {}                  # the last probe: grad / update relative change
        self.probe_step = -1                               # the trainer's step the probe belongs to
        self._kept: list[tuple[torch.Tensor, list]] = []   # (gates before rescaling, [incoming grad])
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
        if self.probing:
            incoming: list = []
            used.register_hook(lambda g, box=incoming: box.append(g))   # gradient before rescaling
            self._kept.append((gates, incoming))
        return used

    def measure(self, params: list[nn.Parameter], optimizers) -> dict[str, float]:
        """After a probed backward (graph retained), before the optimizer step: how much the
        virtual gradient changed the gate parameters' gradient and their update (relative)."""
        kept, self._kept, self.probing = [g for g in self._kept if g[1]], [], False
        if not kept or not params:
            self.probe = {}
            return self.probe
        plain = torch.autograd.grad([g for g, _ in kept], params, grad_outputs=[box[0] for _, box in kept],
                                    allow_unused=True)
        scaled = [p.grad for p in params]
        zeros = [torch.zeros_like(p) for p in params]
        plain = [z if g is None else g for g, z in zip(plain, zeros)]
        scaled = [z if g is None else g.to_dense() if g.is_sparse else g for g, z in zip(scaled, zeros)]
        self.probe = {"grad_rel_change": relative_difference(scaled, plain),
                      "update_rel_change": relative_difference(simulated_update(optimizers, params, scaled),
                                                               simulated_update(optimizers, params, plain))}
        return self.probe


def policy_for(setting: VGSetting | None) -> VirtualGradientPolicy | None:
    """The policy a training config's `vg` setting asks for (None: plain gradients), taken as
    it is. Text ("GAMMA/CORR") is still accepted from callers that hold it (the benchmarks'
    entries, tests); the trainer hands `TrainConfig.vg`, a setting."""
    if isinstance(setting, str):
        setting = VGSetting.parse(setting)
    return None if setting is None else VirtualGradientPolicy(setting)

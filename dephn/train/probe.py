"""Does the virtual gradient act? The gate parameters' update with it vs without it.

At a probed step the trainer keeps the gate subgraph (`retain_graph`) and the gradient that
reached each gate hook before rescaling. The plain gradient of the gate parameters is then
the same backward through the gate subgraph with the unscaled incoming gradient; the
virtual-gradient one is what training computed. Each is turned into the update the gate
parameters' optimizer would make from its current state (a copy of the optimizer with a copy
of its state, so training is untouched). Adam divides by a running gradient scale, so a
coefficient that is constant over steps and entries changes the gradient but not the update
(docs/decisions.md#adam-and-a-constant-gradient-factor); with SGD the update scales with it.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from ..layers.gates import GATE_MODULES


def gate_parameters(model: nn.Module) -> list[nn.Parameter]:
    """Parameters of the model's gate modules (TVG values, MMoE-style gate projections)."""
    seen, out = set(), []
    for m in model.modules():
        if isinstance(m, GATE_MODULES):
            for p in m.parameters():
                if id(p) not in seen and p.requires_grad:
                    seen.add(id(p))
                    out.append(p)
    return out


def simulated_update(optimizers, params: list[nn.Parameter], grads: list[torch.Tensor | None]) -> list[torch.Tensor]:
    """The change `step()` would make to each of `params` with gradients `grads`, computed on
    copies of the parameters and of their optimizer state; nothing of training changes."""
    updates = []
    for p, g in zip(params, grads):
        opt, group = _owner(optimizers, p)
        if g is None or opt is None:
            updates.append(torch.zeros_like(p))
            continue
        clone = p.detach().clone().requires_grad_(True)
        hyper = {k: v for k, v in group.items() if k != "params"}
        twin = type(opt)([clone], **hyper)
        if p in opt.state and opt.state[p]:
            twin.state[clone] = copy.deepcopy(opt.state[p])
        clone.grad = g.detach().clone()
        twin.step()
        updates.append(clone.detach() - p.detach())
    return updates


def relative_difference(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    """||a - b|| / ||b|| over all tensors together (0 when both are 0)."""
    num = sum(float((x - y).double().pow(2).sum()) for x, y in zip(a, b)) ** 0.5
    den = sum(float(y.double().pow(2).sum()) for y in b) ** 0.5
    return num / den if den > 0 else (0.0 if num == 0 else float("inf"))


def _owner(optimizers, p):
    for opt in optimizers:
        for group in opt.param_groups:
            if any(q is p for q in group["params"]):
                return opt, group
    return None, None

"""One optimisation step, with everything the training config puts around it.

The forward runs under the gate policy (the virtual gradient sees the batch's labels, then they
are withdrawn); the balancing method turns the task losses into gradients; at recorded steps
the policy's probe measures what the virtual gradient changed; then every optimizer steps.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..models.output import ModelOutput
from .balance import make_balancer
from .config import TrainConfig
from .device import autocast
from .optimizers import make_optimizers, sparse_parameters
from .policy import policy_for
from .probe import gate_parameters


def task_losses(out: ModelOutput, labels: torch.Tensor, tasks) -> torch.Tensor:
    """(T,) binary cross-entropy per task, computed in fp32 outside autocast."""
    losses = []
    for i, t in enumerate(tasks):
        y = labels[:, i]
        if out.probs is not None:
            losses.append(F.binary_cross_entropy(out.probs[t].float(), y))
        else:
            losses.append(F.binary_cross_entropy_with_logits(out.logits[t].float(), y))
    return torch.stack(losses)


class TrainingStep:
    """`step(batch, number) -> (T,) task losses`: forward, backward, probe, optimizer steps."""

    def __init__(self, model: nn.Module, net: nn.Module, cfg: TrainConfig, tasks, weights: torch.Tensor,
                 device: torch.device, precision: str):
        self.net, self.cfg, self.tasks, self.device, self.precision = net, cfg, tasks, device, precision
        self.balancer = make_balancer(cfg.balance, len(tasks), weights, lr=cfg.lr)
        self.optimizers = make_optimizers(model, cfg, extra=self.balancer.parameters())
        self.sparse = sparse_parameters(model)
        self.dense = [p for p in model.parameters() if p.requires_grad and all(p is not q for q in self.sparse)]
        self.policy = policy_for(cfg.vg)
        if self.policy is not None:
            self.policy.attach(model)
        self.probed = gate_parameters(model) if self.policy is not None else []

    def __call__(self, b, number: int) -> torch.Tensor:
        """Step `number` (1-based) on batch `b`; returns its per-task losses (T,)."""
        policy = self.policy
        probe = policy is not None and number % self.cfg.log_every == 0          # a recorded step
        if policy is not None:
            policy.set_labels(b.labels)
            policy.probing = probe
        with autocast(self.device, self.precision):
            out: ModelOutput = self.net(b.sparse, b.dense)
        if policy is not None:
            policy.set_labels(None)               # the labels served this forward only
        per_task = task_losses(out, b.labels, self.tasks)                         # (T,)
        for opt in self.optimizers:
            opt.zero_grad(set_to_none=True)
        aux = out.aux_loss.float() if out.aux_loss is not None else None
        # a probe backpropagates once more through the gates: keep the graph
        self.balancer.backward(per_task, aux, self.dense, self.sparse, retain_graph=probe)
        if probe:
            policy.measure(self.probed, self.optimizers)
            policy.probe_step = number
        for opt in self.optimizers:
            opt.step()
        return per_task

    def close(self) -> None:
        if self.policy is not None:
            self.policy.detach()

"""The matrix-product work of one training step, counted rather than timed.

`torch.utils.flop_counter.FlopCounterMode` counts the floating-point operations of the matrix
products (mm, addmm, bmm, baddbmm, the products inside einsum, attention kernels) of a forward
and backward pass. Element-wise work (activations, normalisation, softmax, the optimizer
update) and embedding look-ups are not counted. The ratio of two models' counts is the step-time
ratio to expect if both spent all their time in matrix products at the same speed: a floor
that faster kernels do not move, unlike the time ratio.
"""
from __future__ import annotations

import copy
from typing import Callable

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from dephn.data.encoded import EncodedSplit
from dephn.train.batches import BatchSource
from dephn.train.step import task_losses
from dephn.train.policy import policy_for


def step_gflop(model: nn.Module, step: Callable[[nn.Module], torch.Tensor]) -> float:
    """GFLOP of the matrix products of `step(copy)`, which runs a forward pass on a copy of the
    model and returns the loss; the backward pass of that loss is counted too.

    Counted on a copy of the model and with the random state restored afterwards, so the
    model's parameters, batch-norm statistics and gradients and the training run's random
    draws are left exactly as they were: training results do not depend on counting.
    """
    probe = copy.deepcopy(model).train()
    with torch.random.fork_rng(devices=[]), FlopCounterMode(display=False) as counter:  # dropout draws stay private
        step(probe).backward()
    return counter.get_total_flops() / 1e9


def training_step_gflop(model: nn.Module, split: EncodedSplit, tasks, batch_size: int,
                        device: torch.device | str = "cpu", vg: str | None = None) -> float:
    """GFLOP of one training step (forward + backward, matrix products) of one of our models
    on the split's first batch, with the loss `dephn.train.fit` minimises (and its gradient
    policy: the virtual gradient when `vg` names one)."""
    batch = next(BatchSource(split.head(batch_size), torch.device(device)).batches(batch_size))

    def step(m: nn.Module) -> torch.Tensor:
        m = m.to(device)
        policy = policy_for(vg)
        if policy is not None:
            policy.attach(m).set_labels(batch.labels)
        try:
            return task_losses(m(batch.sparse, batch.dense), batch.labels, tasks).sum()
        finally:
            if policy is not None:
                policy.detach()

    return step_gflop(model, step)

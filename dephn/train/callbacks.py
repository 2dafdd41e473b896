"""What a training run tells the code that watches it (minGPT-style callbacks).

The trainer knows no study: recording losses, gates, SSG vectors or virtual-gradient
coefficients is done by callbacks that the caller installs (`dephn.experiments.recording`).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..data.encoded import EncodedDataset


@dataclass
class TrainState:
    """The trainer's state as callbacks see it (read-only by convention)."""

    model: nn.Module                 # the unwrapped model
    data: EncodedDataset
    tasks: tuple[str, ...]
    device: torch.device
    precision: str
    policy: object | None = None     # the installed gradient policy (`dephn.train.policy`), if any
    balancer: object | None = None   # how task losses become gradients (`dephn.train.balance`)
    step: int = 0
    epoch: int = 0


class Callback:
    """Override what you need; every hook is called on the main process only."""

    def on_train_start(self, state: TrainState) -> None: ...

    def on_log(self, state: TrainState, losses: dict[str, float]) -> None:
        """Every `log_every` steps and at the end of each epoch: the mean per-task training
        loss over the steps since the previous call."""

    def on_epoch_end(self, state: TrainState, row: dict) -> None:
        """After validation: `row` = epoch, step, train_loss, seconds, valid/<task>/<metric>."""

    def on_train_end(self, state: TrainState) -> None:
        """After the best epoch's weights are restored."""

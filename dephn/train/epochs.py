"""What ends an epoch and a run, the same for `fit` and `fit_copies`: validation, early
stopping on it, and the final evaluation of the restored best epoch (`FitResult`)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..data.encoded import EncodedDataset
from .callbacks import TrainState
from .config import TrainConfig
from .evaluate import evaluate
from .metrics import mean_auc


@dataclass
class FitResult:
    valid: dict                      # {task: {"auc", "logloss"}} of the restored best epoch
    test: dict                       # same on the test split
    best_epoch: int                  # 1-based epoch whose weights were restored
    epochs_run: int
    steps: int
    stopped: str                     # "epochs" | "early_stopping" | "max_steps"
    train_seconds: float             # optimisation time (evaluation excluded)
    samples_per_s: float             # training rows / train_seconds (over all processes)
    device: str
    precision: str
    history: list[dict] = field(default_factory=list)   # one row per epoch: epoch, step, train_loss,
                                                        # seconds (cumulative), valid/<task>/<metric>


class EarlyStopping:
    """The best epoch so far (its score and a copy of its weights) and the patience rule: stop once
    `patience` epochs have passed without a better score (patience 0: never stop early)."""

    def __init__(self, patience: int):
        self.patience = patience
        self.score, self.epoch, self.state = -math.inf, 0, None

    def update(self, epoch: int, score: float, model: nn.Module) -> bool:
        """Take epoch `epoch`'s validation score; True when training should stop now."""
        if score > self.score:
            self.score, self.epoch = score, epoch
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            return False
        return self.patience > 0 and epoch - self.epoch >= max(self.patience, 1)

    def restore(self, model: nn.Module) -> nn.Module:
        """Load the best epoch's weights into `model` (unchanged when no epoch was scored)."""
        if self.state is not None:
            model.load_state_dict(self.state)
        return model


def validate(model, data: EncodedDataset, cfg: TrainConfig, state: TrainState, train_loss: float,
              seconds: float) -> tuple[float, dict]:
    """(early-stopping score, the epoch's row) after an epoch: mean valid AUC, or minus the mean
    log loss when no task has both classes in valid."""
    valid = evaluate(model, data.valid, state.tasks, device=state.device, batch_size=cfg.eval_batch_size,
                     precision=state.precision, name="valid")
    score = mean_auc(valid)
    if math.isnan(score):
        score = -float(np.mean([m["logloss"] for m in valid.values()]))
    row = {"epoch": state.epoch, "step": state.step, "train_loss": train_loss, "seconds": seconds}
    row.update({f"valid/{t}/{k}": v for t, m in valid.items() for k, v in m.items()})
    return score, row


def final_result(model: nn.Module, data: EncodedDataset, cfg: TrainConfig, tasks, device: torch.device,
                 precision: str, **run) -> FitResult:
    """Valid and test metrics of `model` (the restored best epoch) with the run's own facts
    (`best_epoch`, `epochs_run`, `steps`, `stopped`, `train_seconds`, `samples_per_s`, `history`)."""
    valid = evaluate(model, data.valid, tasks, device=device, batch_size=cfg.eval_batch_size,
                     precision=precision, name="valid")
    test = evaluate(model, data.test, tasks, device=device, batch_size=cfg.eval_batch_size,
                    precision=precision, name="test")
    return FitResult(valid=valid, test=test, device=str(device), precision=precision, **run)

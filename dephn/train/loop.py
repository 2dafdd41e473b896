"""Model-agnostic training: `fit` trains any registered model and knows no study.

The model owns no optimizer, device or loop: `fit` takes a model (forward
`(sparse, dense) -> ModelOutput`), trains it with Adam (+ SparseAdam's rule, as `RowAdam`,
for sparse embedding tables) under the gradient policy the config asks for, early-stops on
validation AUC and restores the best epoch. What a caller wants recorded along the way it
gets through callbacks (`dephn.train.callbacks`).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..data.encoded import EncodedDataset
from ..errors import DephnError
from .batches import BatchSource
from .callbacks import Callback, TrainState
from .config import TrainConfig
from .device import resolve_device, resolve_precision
from .distributed import DistContext, wrap
from .evaluate import evaluate
from .metrics import mean_auc
from .step import TrainingStep


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


class TrainingDiverged(DephnError):
    """The loss became NaN or infinite."""

    def __init__(self, step: int, epoch: int, task_losses: dict):
        bad = ", ".join(f"{t}={v:.4g}" for t, v in task_losses.items())
        super().__init__(f"non-finite loss at step {step} (epoch {epoch}): {bad}; "
                         "lower the learning rate or check the input data")
        self.step, self.epoch = step, epoch


class _LossWindow:
    """Per-task losses of the steps since the last log; checks them for NaN/inf."""

    def __init__(self, tasks):
        self.tasks, self.losses, self.steps = tasks, [], []
        self.total, self.count = 0.0, 0            # the epoch's mean loss, over logged windows
        self.per_task = torch.zeros(len(tasks), dtype=torch.float64)   # the same, per task

    def add(self, step: int, per_task: torch.Tensor) -> None:
        self.losses.append(per_task.detach())
        self.steps.append(step)

    def check(self, epoch: int) -> None:
        losses = torch.stack(self.losses)                                # (n, T)
        finite = torch.isfinite(losses).all(1)
        if not bool(finite.all()):
            i = int((~finite).nonzero()[0])
            raise TrainingDiverged(self.steps[i], epoch, dict(zip(self.tasks, losses[i].float().tolist())))

    def flush(self, epoch: int) -> dict[str, float]:
        """Check, then the window's mean per-task loss; the window starts again."""
        self.check(epoch)
        mean = torch.stack(self.losses).float().mean(0).cpu().numpy()
        self.total += float(mean.sum()) * len(self.losses)
        self.per_task += torch.as_tensor(mean, dtype=torch.float64) * len(self.losses)
        self.count += len(self.losses)
        self.losses, self.steps = [], []
        return dict(zip(self.tasks, mean.tolist()))

    def epoch_mean(self) -> float:
        return self.total / max(self.count, 1)

    def epoch_task_means(self) -> torch.Tensor:
        return self.per_task / max(self.count, 1)


def fit(model: nn.Module, data: EncodedDataset, cfg: TrainConfig, *,
        generator: torch.Generator | None = None, dist_ctx: DistContext | None = None,
        desc: str = "train", callbacks: Sequence[Callback] = ()) -> FitResult:
    """Train `model` on data.train, early-stop on data.valid, report valid and test metrics."""
    ctx = dist_ctx or DistContext()
    sizes = {name: len(getattr(data, name)) for name in ("train", "valid")}
    if min(sizes.values()) == 0:
        raise DephnError(f"{sizes['train'] + sizes['valid'] + len(data.test)} row(s) leave "
                         f"{sizes['train']} training and {sizes['valid']} validation rows after the split: "
                         "training needs both (early stopping scores the validation rows); use more rows")
    device = resolve_device(cfg.device)
    if ctx.enabled and device.type == "cuda":
        device = torch.device("cuda", ctx.local_rank)
    precision = resolve_precision(cfg.precision, device)
    tasks = tuple(data.schema.tasks)
    weights = torch.tensor(cfg.task_weights or [1.0] * len(tasks), device=device)
    if len(weights) != len(tasks):
        raise DephnError(f"task_weights has {len(weights)} values for {len(tasks)} tasks {list(tasks)}")
    generator = generator or torch.Generator().manual_seed(0)
    callbacks = list(callbacks) if ctx.is_main else []

    model.to(device)
    net = wrap(model, ctx, device)
    if cfg.balance != "none" and ctx.enabled:
        raise DephnError(f"balance={cfg.balance!r} runs several backward passes per step, which DDP does not "
                         "support; train it in one process")
    step = TrainingStep(model, net, cfg, tasks, weights, device, precision)
    budget = cfg.data_on_device_max_gb * 2**30 if device.type != "cpu" else float("inf")
    train_src = BatchSource.for_split(data.train, device, budget)
    state = TrainState(model=model, data=data, tasks=tasks, device=device, precision=precision,
                       policy=step.policy, balancer=step.balancer)
    for cb in callbacks:
        cb.on_train_start(state)

    def log(window: _LossWindow) -> dict[str, float]:
        losses = window.flush(state.epoch)
        for cb in callbacks:
            cb.on_log(state, losses)
        return losses

    def train_epoch(bar) -> tuple[_LossWindow, bool]:
        """One pass over the training split; returns its loss window and whether max_steps hit."""
        window = _LossWindow(tasks)
        for b in train_src.batches(cfg.batch_size, generator=generator, rank=ctx.rank, world=ctx.world):
            per_task = step(b, state.step + 1)
            state.step += 1
            counts["seen"] += len(b) * ctx.world
            window.add(state.step, per_task)
            if state.step % cfg.log_every == 0:
                bar.set_postfix(loss=f"{sum(log(window).values()):.4f}", refresh=False)
            elif device.type == "cpu":            # a CPU step is synchronous: check every one
                window.check(state.epoch)
            bar.update(1)
            if cfg.max_steps is not None and state.step >= cfg.max_steps:
                return window, True
        return window, False

    stopping = EarlyStopping(cfg.patience)
    counts, train_time, stopped, history = {"seen": 0}, 0.0, "epochs", []
    bar = tqdm(total=cfg.epochs * train_src.steps_per_epoch(cfg.batch_size), desc=desc, unit="step",
               disable=cfg.quiet or not ctx.is_main, leave=False, dynamic_ncols=True, mininterval=0.5)
    try:
        for state.epoch in range(1, cfg.epochs + 1):
            net.train()
            t0 = time.perf_counter()
            window, hit_max = train_epoch(bar)
            if window.losses:                     # the epoch's last steps are logged too
                log(window)
            step.balancer.end_epoch(window.epoch_task_means())
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            train_time += time.perf_counter() - t0
            bar.set_postfix(loss=f"{window.epoch_mean():.4f}",
                            rows_per_s=f"{counts['seen'] / max(train_time, 1e-9):.0f}", refresh=True)
            score, row = validate(model, data, cfg, state, window.epoch_mean(), train_time)
            history.append(row)
            for cb in callbacks:
                cb.on_epoch_end(state, row)
            if stopping.update(state.epoch, score, model):
                stopped = "early_stopping"
                break
            if hit_max:
                stopped = "max_steps"
                break
    finally:
        bar.close()
        step.close()

    if cfg.restore == "best":
        stopping.restore(model)
    for cb in callbacks:
        cb.on_train_end(state)
    return final_result(model, data, cfg, tasks, device, precision,
                        best_epoch=stopping.epoch if cfg.restore == "best" else state.epoch,
                        epochs_run=state.epoch, steps=state.step, stopped=stopped, train_seconds=train_time,
                        samples_per_s=counts["seen"] / max(train_time, 1e-9), history=history)

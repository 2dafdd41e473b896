"""Many runs as one: C copies of one architecture trained together, each as its separate `fit`.

A seed sweep (or a sweep over virtual-gradient settings) trains many copies of one
architecture. `fit_copies` trains C of them as one vectorised model (`StackedCopies`): every
step takes one batch per copy, stacked (C, B, ...), each drawn in the order that copy's own
generator gives in a separate run; runs one forward and one backward for the sum of the
copies' losses (copies are independent: each gets exactly its own gradient); and steps
optimizers whose per-copy state equals that of separate optimizers. Validation, early
stopping and the restored best epoch are per copy, computed with `evaluate` on the copy's
own model, so each copy's result is its separate run's (up to fp32 reduction order).

A copy that has early-stopped keeps stepping with the others (its later steps are discarded:
its weights, history and metrics are those of its own best epoch, as its separate run's);
training ends when every copy has stopped. A copy whose loss turns non-finite is reported as
`TrainingDiverged` in its place and the others go on.

Not supported (a `DephnError` names the option): dropout and other randomness in the forward
(one shared random stream cannot give each copy its separate run's masks), balancing methods
other than "none", and distributed training.
"""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..data.encoded import EncodedDataset
from ..errors import DephnError
from ..models.snr import SNRTrans
from ..virtual_gradient import VGSetting
from .batches import Batch, BatchSource
from .callbacks import Callback, TrainState
from .config import TrainConfig
from .copy_policy import CopyPolicyView, copy_policy
from .device import autocast, resolve_device, resolve_precision
from .epochs import EarlyStopping, final_result, validate
from .loop import TrainingDiverged
from .stacked import StackedCopies

RANDOM_FORWARD = (SNRTrans,)     # models that draw random numbers in their training forward


def check_copyable(models: Sequence[nn.Module], cfg: TrainConfig) -> None:
    """A clear error for what vectorised copies cannot reproduce of separate runs."""
    if not models:
        raise DephnError("multi-copy training needs at least one model")
    base = models[0]
    if any(type(m) is not type(base) for m in models):
        raise DephnError("multi-copy training: every copy must be the same model class")
    shapes = {k: v.shape for k, v in base.state_dict().items()}
    if any({k: v.shape for k, v in m.state_dict().items()} != shapes for m in models[1:]):
        raise DephnError("multi-copy training: the copies' parameters differ in shape (one model config for all)")
    if isinstance(base, RANDOM_FORWARD):
        raise DephnError(f"multi-copy training: {type(base).__name__} draws random numbers in its forward, "
                         "which a vectorised step cannot reproduce per copy; train its runs separately")
    for name, m in base.named_modules():
        p = m.p if isinstance(m, nn.Dropout) else getattr(m, "dropout", 0.0) if isinstance(
            m, nn.MultiheadAttention) else 0.0
        if p > 0:
            raise DephnError(f"multi-copy training does not support dropout (dropout={p} at {name!r}): "
                             "its random masks cannot follow each copy's separate run; set dropout=0 "
                             "or train the copies separately")
    if cfg.balance != "none":
        raise DephnError(f"multi-copy training supports balance='none' only, got balance={cfg.balance!r}; "
                         "train the copies separately")


class _CopyWindows:
    """Per-copy, per-task losses (C, T) of the steps since the last log (the `fit` window, per copy)."""

    def __init__(self, copies: int, n_tasks: int):
        self.losses: list[torch.Tensor] = []
        self.total = torch.zeros(copies, dtype=torch.float64)            # sum of logged step losses
        self.count = 0

    def flush(self) -> torch.Tensor:
        """(C, T) mean per-task loss of the window; the window starts again."""
        mean = torch.stack(self.losses).float().mean(0).cpu()            # (C, T)
        self.total += mean.double().sum(1) * len(self.losses)
        self.count += len(self.losses)
        self.losses = []
        return mean

    def epoch_mean(self) -> torch.Tensor:
        return self.total / max(self.count, 1)                            # (C,)


def stacked_batches(source: BatchSource, batch_size: int, generators: Sequence[torch.Generator]):
    """One batch per copy, each in its own generator's order, stacked: (C, B, ...)."""
    for parts in zip(*(source.batches(batch_size, generator=g) for g in generators)):
        yield Batch(torch.stack([b.sparse for b in parts]), torch.stack([b.dense for b in parts]),
                    torch.stack([b.labels for b in parts]))


def fit_copies(models: Sequence[nn.Module], data: EncodedDataset, cfg: TrainConfig, *,
               generators: Sequence[torch.Generator], vg: Sequence[str | None] | None = None,
               desc: str = "copies", callbacks: Sequence[Sequence[Callback]] = ()) -> list:
    """Train copy c = `models[c]` with batch order `generators[c]` and virtual-gradient setting
    `vg[c]` (default: `cfg.vg` for all) as `fit` would; returns per copy its `FitResult` (its best
    epoch restored into `models[c]`) or the `TrainingDiverged` its run would raise.
    `callbacks[c]` are copy c's callbacks, called as `fit` calls them (its policy's coefficients
    are the copy's own; the update probe is not run)."""
    copies = len(models)
    check_copyable(models, cfg)
    if len(generators) != copies:
        raise DephnError(f"{copies} copies need {copies} generators, got {len(generators)}")
    settings = [VGSetting.parse(s) for s in (vg if vg is not None else [cfg.vg] * copies)]
    if len(settings) != copies:
        raise DephnError(f"{copies} copies need {copies} virtual-gradient settings, got {len(settings)}")
    device = resolve_device(cfg.device)
    precision = resolve_precision(cfg.precision, device)
    tasks = tuple(data.schema.tasks)
    weights = torch.tensor(cfg.task_weights or [1.0] * len(tasks), device=device)
    if len(weights) != len(tasks):
        raise DephnError(f"task_weights has {len(weights)} values for {len(tasks)} tasks {list(tasks)}")
    policy = copy_policy(settings)
    if policy is not None:
        policy.attach(models[0])
    stack = StackedCopies(models, tasks, policy, device)
    optimizers = stack.optimizers(cfg)
    budget = cfg.data_on_device_max_gb * 2**30 if device.type != "cpu" else float("inf")
    train_src = BatchSource.for_split(data.train, device, budget)
    views = [CopyPolicyView(s, 0) if s is not None else None for s in settings]
    states = [TrainState(model=m, data=data, tasks=tasks, device=device, precision=precision, policy=v)
              for m, v in zip(models, views)]
    callbacks = [list(cbs) for cbs in callbacks] or [[] for _ in range(copies)]
    active = [True] * copies                      # still training as its separate run would
    outcome: list = [None] * copies               # FitResult | TrainingDiverged
    stopping = [EarlyStopping(cfg.patience) for _ in range(copies)]
    history: list[list[dict]] = [[] for _ in range(copies)]
    stopped = ["epochs"] * copies
    for c in range(copies):
        for cb in callbacks[c]:
            cb.on_train_start(states[c])

    def log(window: _CopyWindows, step: int, epoch: int, coef: dict) -> None:
        means = window.flush()
        for c in range(copies):
            bad = not bool(torch.isfinite(means[c]).all())
            if active[c] and bad:
                active[c], outcome[c] = False, TrainingDiverged(step, epoch, dict(zip(tasks, means[c].tolist())))
            if not active[c]:
                continue
            if views[c] is not None:
                views[c].coef = {k: v[c].detach() for k, v in coef.items()}
            for cb in callbacks[c]:
                cb.on_log(states[c], dict(zip(tasks, means[c].tolist())))

    step, train_time, seen = 0, 0.0, 0
    per_epoch = train_src.steps_per_epoch(cfg.batch_size)
    bar = tqdm(total=cfg.epochs * per_epoch, desc=desc, unit="step", disable=cfg.quiet, leave=False,
               dynamic_ncols=True, mininterval=0.5)
    try:
        for epoch in range(1, cfg.epochs + 1):
            if not any(active):
                break
            t0, window, hit_max, coef = time.perf_counter(), _CopyWindows(copies, len(tasks)), False, {}
            for b in stacked_batches(train_src, cfg.batch_size, generators):
                if policy is not None:
                    for v in views:
                        if v is not None:
                            v.rows = b.labels.shape[1]
                with autocast(device, precision):
                    per_task, aux, coef = stack.forward(b.sparse, b.dense, b.labels)   # (C, T), (C,)
                for opt in optimizers:
                    opt.zero_grad(set_to_none=True)
                ((per_task * weights).sum() + aux.sum()).backward()
                for opt in optimizers:
                    opt.step()
                step += 1
                seen += b.labels.shape[1]
                window.losses.append(per_task.detach())
                for c in range(copies):
                    states[c].step, states[c].epoch = step, epoch
                if device.type == "cpu":                    # a CPU step is synchronous: check every one
                    _check_step(per_task, active, outcome, step, epoch, tasks)
                if step % cfg.log_every == 0:
                    log(window, step, epoch, coef)
                bar.update(1)
                if cfg.max_steps is not None and step >= cfg.max_steps:
                    hit_max = True
                    break
            if window.losses:
                log(window, step, epoch, coef)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            train_time += time.perf_counter() - t0
            epoch_loss = window.epoch_mean()
            for c in range(copies):
                if not active[c]:
                    continue
                model = stack.write_copy(c)
                score, row = validate(model, data, cfg, states[c], float(epoch_loss[c]), train_time)
                history[c].append(row)
                for cb in callbacks[c]:
                    cb.on_epoch_end(states[c], row)
                if stopping[c].update(epoch, score, model):
                    stopped[c], active[c] = "early_stopping", False
                    continue
                if hit_max:
                    stopped[c], active[c] = "max_steps", False
            if hit_max:
                break
    finally:
        bar.close()
        if policy is not None:
            policy.detach()

    for c in range(copies):
        if isinstance(outcome[c], TrainingDiverged):
            continue
        model = stopping[c].restore(models[c])
        for cb in callbacks[c]:
            cb.on_train_end(states[c])
        last = history[c][-1] if history[c] else {"epoch": 0, "step": 0}
        outcome[c] = final_result(model, data, cfg, tasks, device, precision, best_epoch=stopping[c].epoch,
                                  epochs_run=last["epoch"], steps=last["step"], stopped=stopped[c],
                                  train_seconds=train_time, samples_per_s=seen / max(train_time, 1e-9),
                                  history=history[c])
    return outcome


def _check_step(per_task: torch.Tensor, active: list, outcome: list, step: int, epoch: int, tasks) -> None:
    """Mark each still-active copy whose step losses (C, T) are non-finite as diverged."""
    finite = torch.isfinite(per_task).all(1)
    if bool(finite.all()):
        return
    for c in np.flatnonzero(~finite.cpu().numpy()):
        if active[c]:
            active[c] = False
            outcome[c] = TrainingDiverged(step, epoch, dict(zip(tasks, per_task[c].float().tolist())))

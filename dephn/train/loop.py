"""Model-agnostic training and evaluation.

The model owns no optimizer, device or loop: `fit` takes any registered model (forward
`(sparse, dense, labels) -> ModelOutput`), trains it with Adam (+ SparseAdam's rule, as `RowAdam`, for sparse
embedding tables), early-stops on validation AUC and restores the best epoch.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data.encoded import EncodedDataset, EncodedSplit
from ..errors import DephnError
from ..models.output import ModelOutput
from .batches import Batch, BatchSource
from .config import TrainConfig
from .device import autocast, resolve_device, resolve_precision
from .distributed import DistContext, wrap
from .metrics import mean_auc, task_metrics
from .recorder import Recorder
from .row_adam import RowAdam

PROBE_ROWS = 4096          # rows of the validation split on which gates are read each epoch
STUDY_PREFIXES = ("gates/", "ssg/", "snr/")


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
    recorder: Recorder = field(repr=False, default_factory=Recorder)


class TrainingDiverged(DephnError):
    """The loss became NaN or infinite. `partial` keeps what was recorded so far."""

    def __init__(self, step: int, epoch: int, task_losses: dict, recorder: Recorder):
        bad = ", ".join(f"{t}={v:.4g}" for t, v in task_losses.items())
        super().__init__(f"non-finite loss at step {step} (epoch {epoch}): {bad}; "
                         "lower the learning rate or check the input data")
        self.step, self.epoch, self.recorder = step, epoch, recorder


# -- pieces ---------------------------------------------------------------------

def sparse_parameters(model: nn.Module) -> list[nn.Parameter]:
    """Weights of embedding tables that produce sparse gradients (trained by `RowAdam`)."""
    return [m.weight for m in model.modules()
            if isinstance(m, (nn.Embedding, nn.EmbeddingBag)) and m.sparse]


def make_optimizers(model: nn.Module, cfg: TrainConfig) -> list[torch.optim.Optimizer]:
    sparse = sparse_parameters(model)
    sparse_ids = {id(p) for p in sparse}
    dense = [p for p in model.parameters() if id(p) not in sparse_ids and p.requires_grad]
    opts = []
    if dense:
        opts.append(torch.optim.Adam(dense, lr=cfg.lr, weight_decay=cfg.weight_decay))
    if sparse:
        opts.append(RowAdam(sparse, lr=cfg.sparse_lr))         # SparseAdam's rule, leaner
    return opts


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


def _study_view(intermediates: dict, batch_rows: int) -> dict[str, np.ndarray]:
    """Gate / SSG tensors to numpy, per-sample tensors averaged over the batch."""
    view = {}
    for k, v in intermediates.items():
        if k.startswith(STUDY_PREFIXES):
            a = v.detach().float()
            if a.ndim >= 2 and a.shape[0] == batch_rows:
                a = a.mean(0)
            view[k] = a.cpu().numpy()
    return view


@torch.no_grad()
def predict(model: nn.Module, split: EncodedSplit, *, device: torch.device | str = "cpu",
            batch_size: int = 16384, precision: str = "fp32", keys: tuple[str, ...] = ()):
    """Probabilities (N, T), logits (N, T) and the requested per-row intermediates.

    `keys` are intermediate names or prefixes (e.g. "public_logit/"); rows of those with a
    leading batch dimension are concatenated.
    """
    device = torch.device(device) if isinstance(device, str) else device
    was_training = model.training
    model.eval()
    tasks = None
    probs, logits, inter = [], [], {}
    source = BatchSource(split, device)
    for b in source.batches(batch_size):
        with autocast(device, precision):
            out: ModelOutput = model(b.sparse, b.dense, None)
        tasks = tasks or list(out.logits)
        lg = torch.stack([out.logits[t].float() for t in tasks], 1)          # (B, T)
        pr = (torch.stack([out.probs[t].float() for t in tasks], 1) if out.probs is not None
              else torch.sigmoid(lg))
        logits.append(lg.cpu())
        probs.append(pr.cpu())
        for k, v in out.intermediates.items():
            if any(k == q or (q.endswith("/") and k.startswith(q)) for q in keys):
                if v.ndim >= 1 and v.shape[0] == len(b):
                    inter.setdefault(k, []).append(v.detach().float().cpu())
    model.train(was_training)
    if not probs:
        n_t = split.labels.shape[1]
        return np.zeros((0, n_t), np.float32), np.zeros((0, n_t), np.float32), {}
    return (torch.cat(probs).numpy(), torch.cat(logits).numpy(),
            {k: torch.cat(v).numpy() for k, v in inter.items()})


def evaluate(model: nn.Module, split: EncodedSplit, tasks, *, device="cpu", batch_size=16384,
             precision="fp32", name: str = "") -> dict:
    probs, _, _ = predict(model, split, device=device, batch_size=batch_size, precision=precision)
    return task_metrics(np.asarray(split.labels), probs, tasks, split=name)


# -- the loop --------------------------------------------------------------------

def fit(model: nn.Module, data: EncodedDataset, cfg: TrainConfig, *,
        generator: torch.Generator | None = None, dist_ctx: DistContext | None = None,
        desc: str = "train") -> FitResult:
    """Train `model` on data.train, early-stop on data.valid, report valid and test metrics."""
    ctx = dist_ctx or DistContext()
    device = resolve_device(cfg.device)
    if ctx.enabled and device.type == "cuda":
        device = torch.device("cuda", ctx.local_rank)
    precision = resolve_precision(cfg.precision, device)
    tasks = tuple(data.schema.tasks)
    weights = torch.tensor(cfg.task_weights or [1.0] * len(tasks), device=device)
    if len(weights) != len(tasks):
        raise DephnError(f"task_weights has {len(weights)} values for {len(tasks)} tasks {list(tasks)}")
    generator = generator or torch.Generator().manual_seed(0)

    model.to(device)
    net = wrap(model, ctx, device)
    optimizers = make_optimizers(model, cfg)
    budget = cfg.data_on_device_max_gb * 2**30 if device.type != "cpu" else float("inf")
    train_src = BatchSource.for_split(data.train, device, budget)
    probe = data.valid if len(data.valid) else data.train
    probe_batch = BatchSource(probe.head(PROBE_ROWS), device)._resident
    rec = Recorder(tasks=tasks)

    best = (-math.inf, 0, None)   # (score, epoch, state)
    step, seen, train_time, stopped, epoch = 0, 0, 0.0, "epochs", 0
    bar = _progress(cfg.quiet or not ctx.is_main, cfg.epochs * train_src.steps_per_epoch(cfg.batch_size), desc)
    try:
        for epoch in range(1, cfg.epochs + 1):
            net.train()
            t0 = time.perf_counter()
            window, window_steps, epoch_loss, epoch_n = [], [], 0.0, 0
            for b in train_src.batches(cfg.batch_size, generator=generator, rank=ctx.rank, world=ctx.world):
                with autocast(device, precision):
                    out: ModelOutput = net(b.sparse, b.dense, b.labels)
                per_task = task_losses(out, b.labels, tasks)                  # (T,)
                loss = (per_task * weights).sum()
                if out.aux_loss is not None:
                    loss = loss + out.aux_loss.float()
                for opt in optimizers:
                    opt.zero_grad(set_to_none=True)
                loss.backward()
                for opt in optimizers:
                    opt.step()
                step += 1
                seen += len(b) * ctx.world
                window.append(per_task.detach())
                window_steps.append(step)
                if step % cfg.log_every == 0 or device.type == "cpu":
                    _check_finite(window, window_steps, epoch, tasks, rec)
                if step % cfg.log_every == 0:
                    w = torch.stack(window).float().mean(0).cpu().numpy()
                    epoch_loss += float(w.sum()) * len(window)
                    epoch_n += len(window)
                    rec.log_step(step, epoch, float(w.sum()), dict(zip(tasks, w.tolist())))
                    rec.log_vg(step, {k: _batch_mean(v, len(b)) for k, v in out.vg_coef.items()})
                    window, window_steps = [], []
                    bar.set_postfix(loss=f"{w.sum():.4f}", refresh=False)
                bar.update(1)
                if cfg.max_steps is not None and step >= cfg.max_steps:
                    stopped = "max_steps"
                    break
            if window:                 # the epoch's last steps are recorded too
                _check_finite(window, window_steps, epoch, tasks, rec)
                w = torch.stack(window).float().mean(0).cpu().numpy()
                epoch_loss += float(w.sum()) * len(window)
                epoch_n += len(window)
                rec.log_step(step, epoch, float(w.sum()), dict(zip(tasks, w.tolist())))
                rec.log_vg(step, {k: _batch_mean(v, len(b)) for k, v in out.vg_coef.items()})
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            train_time += time.perf_counter() - t0
            bar.set_postfix(loss=f"{epoch_loss / max(epoch_n, 1):.4f}",
                            rows_per_s=f"{seen / max(train_time, 1e-9):.0f}", refresh=True)

            valid = evaluate(model, data.valid, tasks, device=device, batch_size=cfg.eval_batch_size,
                             precision=precision, name="valid")
            score = mean_auc(valid)
            if math.isnan(score):   # no task has both classes in valid: fall back to log loss
                score = -float(np.mean([m["logloss"] for m in valid.values()]))
            row = {"epoch": epoch, "step": step, "train_loss": epoch_loss / max(epoch_n, 1),
                   "seconds": train_time}
            row.update({f"valid/{t}/{k}": v for t, m in valid.items() for k, v in m.items()})
            rec.log_epoch(row, _probe_study(model, probe_batch, device, precision))
            if score > best[0]:
                best = (score, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})
            elif epoch - best[1] >= max(cfg.patience, 1) and cfg.patience > 0:
                stopped = "early_stopping"
                break
            if stopped == "max_steps":
                break
    finally:
        bar.close()

    if best[2] is not None:
        model.load_state_dict(best[2])
    rec.final.update({k: v for k, v in _probe_study(model, probe_batch, device, precision).items()
                      if k.startswith("ssg/")})
    valid = evaluate(model, data.valid, tasks, device=device, batch_size=cfg.eval_batch_size,
                     precision=precision, name="valid")
    test = evaluate(model, data.test, tasks, device=device, batch_size=cfg.eval_batch_size,
                    precision=precision, name="test")
    return FitResult(valid=valid, test=test, best_epoch=best[1], epochs_run=epoch, steps=step,
                     stopped=stopped, train_seconds=train_time,
                     samples_per_s=seen / max(train_time, 1e-9), device=str(device),
                     precision=precision, recorder=rec)


def _batch_mean(v: torch.Tensor, rows: int) -> np.ndarray:
    a = v.detach().float()
    if a.ndim >= 2 and a.shape[0] == rows:   # per-sample (MG) coefficients
        a = a.mean(0)
    return a.cpu().numpy()


@torch.no_grad()
def _probe_study(model: nn.Module, probe: Batch, device, precision) -> dict[str, np.ndarray]:
    was = model.training
    model.eval()
    with autocast(device, precision):
        out = model(probe.sparse, probe.dense, None)
    model.train(was)
    return _study_view(out.intermediates, len(probe))


def _check_finite(window, window_steps, epoch, tasks, rec):
    losses = torch.stack(window)                                    # (n, T)
    finite = torch.isfinite(losses).all(1)
    if bool(finite.all()):
        return
    i = int((~finite).nonzero()[0])
    raise TrainingDiverged(window_steps[i], epoch, dict(zip(tasks, losses[i].float().tolist())), rec)


def _progress(disable: bool, total: int, desc: str):
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="step", disable=disable, leave=False,
                dynamic_ncols=True, mininterval=0.5)

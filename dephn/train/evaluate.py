"""Predictions and metrics of a trained model on one split (no gradients, eval mode)."""
from __future__ import annotations

import numpy as np
import torch
from scipy.stats import spearmanr
from torch import nn

from ..data.encoded import EncodedSplit
from ..models.output import ModelOutput
from .batches import BatchSource
from .device import autocast
from .metrics import task_metrics


def _wanted(name: str, keys: tuple[str, ...]) -> bool:
    return any(name == q or (q.endswith("/") and name.startswith(q)) for q in keys)


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
    for b in BatchSource(split, device).batches(batch_size):
        with autocast(device, precision):
            out: ModelOutput = model(b.sparse, b.dense)
        tasks = tasks or list(out.logits)
        lg = torch.stack([out.logits[t].float() for t in tasks], 1)          # (B, T)
        pr = (torch.stack([out.probs[t].float() for t in tasks], 1) if out.probs is not None
              else torch.sigmoid(lg))
        logits.append(lg.cpu())
        probs.append(pr.cpu())
        for k, v in out.intermediates.items():
            if _wanted(k, keys) and v.ndim >= 1 and v.shape[0] == len(b):
                inter.setdefault(k, []).append(v.detach().float().cpu())
    model.train(was_training)
    if not probs:
        n_t = split.labels.shape[1]
        return np.zeros((0, n_t), np.float32), np.zeros((0, n_t), np.float32), {}
    return (torch.cat(probs).numpy(), torch.cat(logits).numpy(),
            {k: torch.cat(v).numpy() for k, v in inter.items()})


def evaluate(model: nn.Module, split: EncodedSplit, tasks, *, device="cpu", batch_size=16384,
             precision="fp32", name: str = "") -> dict:
    """{task: {"auc", "logloss"}} of `model` on `split`; where the split knows task k's true
    continuous target (extra `target<k>`, generated data), also "truth_spearman": the rank
    correlation of the task's logit with it (docs/decisions.md#ground-truth-beside-auc)."""
    probs, logits, _ = predict(model, split, device=device, batch_size=batch_size, precision=precision)
    metrics = task_metrics(np.asarray(split.labels), probs, tasks, split=name)
    for k, task in enumerate(tasks):
        truth = split.extras.get(f"target{k + 1}")
        if truth is not None and len(truth) > 1:
            metrics[task]["truth_spearman"] = float(spearmanr(logits[:, k], truth).statistic)
    return metrics

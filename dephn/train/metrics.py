"""Per-task metrics: ROC AUC and log loss (scikit-learn)."""
from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.metrics import log_loss, roc_auc_score


class SingleClassWarning(UserWarning):
    """A task's labels are all one class in a split: its AUC is undefined (reported as NaN)."""


def task_metrics(labels: np.ndarray, probs: np.ndarray, tasks, split: str = "") -> dict[str, dict[str, float]]:
    """labels, probs: (N, T). Returns {task: {"auc": .., "logloss": ..}}."""
    out = {}
    probs = np.clip(probs.astype(np.float64), 1e-7, 1 - 1e-7)
    for i, task in enumerate(tasks):
        y, p = labels[:, i], probs[:, i]
        if len(np.unique(y)) < 2:
            warnings.warn(f"task {task!r}: labels are all one class in split {split or '?'!s}; "
                          "its AUC is reported as NaN", SingleClassWarning, stacklevel=2)
            auc = math.nan
        else:
            auc = float(roc_auc_score(y, p))
        ll = float(log_loss(y, p, labels=[0, 1])) if len(y) else math.nan
        out[task] = {"auc": auc, "logloss": ll}
    return out


def mean_auc(metrics: dict[str, dict[str, float]]) -> float:
    """Mean AUC over tasks with a defined AUC (NaN if none)."""
    vals = [m["auc"] for m in metrics.values() if not math.isnan(m["auc"])]
    return float(np.mean(vals)) if vals else math.nan

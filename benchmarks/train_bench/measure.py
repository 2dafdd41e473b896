"""What one measurement records: epoch timings, peak memory, test AUC.

Throughput is read per epoch (training only: evaluation and data conversion happen outside the
timed region) and summarised by the fastest epoch: on a shared machine a slow epoch says more
about the neighbours than about the model.
"""
from __future__ import annotations

import dataclasses
import math
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from dephn.train.metrics import mean_auc, task_metrics

STATUS = Path("/proc/self/status")


@dataclass
class EpochTime:
    epoch: int          # 1-based
    seconds: float      # training time of the epoch (no evaluation)
    rows: int           # training rows seen
    steps: int          # optimisation steps

    @property
    def rows_per_s(self) -> float:
        return self.rows / max(self.seconds, 1e-12)

    @property
    def step_ms(self) -> float:
        return 1000.0 * self.seconds / max(self.steps, 1)


@dataclass
class Measurement:
    """One entry trained once, in its own process."""

    name: str                                   # entry name
    kind: str                                   # "ours" | "peer"
    library: str                                # "dephn 0.1.0", "torch-rechub 0.9.0", ...
    epochs: list[EpochTime]
    test_auc: dict[str, float]                  # per task, at the selected epoch
    valid_auc: dict[str, float]                 # per task, at the selected epoch
    selected_epoch: int                         # epoch with the best mean valid AUC (1-based)
    device: str
    precision: str
    parameters: int
    peak_rss_mib: float | None = None           # process RSS high-water mark, filled by the worker
    peak_gpu_mib: float | None = None           # torch.cuda.max_memory_allocated (CUDA only)
    baseline_rss_mib: float | None = None       # the worker's RSS at its start (interpreter, torch, dephn)
    gflop_per_step: float | None = None         # matrix-product GFLOP of one training step (flops.py)
    notes: list[str] = field(default_factory=list)

    def best_epoch(self) -> EpochTime:
        """The fastest epoch (highest rows/s)."""
        return max(self.epochs, key=lambda e: e.rows_per_s)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Measurement":
        d = dict(d)
        d["epochs"] = [EpochTime(**e) for e in d["epochs"]]
        return cls(**d)


class EpochClock:
    """Wall time of training epochs; waits for queued CUDA work before reading the clock."""

    def __init__(self, device: torch.device | str = "cpu"):
        self.device = torch.device(device)
        self.seconds: list[float] = []
        self._t0: float | None = None

    def _sync(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def start(self):
        self._sync()
        self._t0 = time.perf_counter()

    def stop(self) -> float:
        if self._t0 is None:
            raise RuntimeError("EpochClock.stop() without start()")
        self._sync()
        dt = time.perf_counter() - self._t0
        self.seconds.append(dt)
        self._t0 = None
        return dt


def epoch_times(seconds: list[float], rows: int, batch_size: int) -> list[EpochTime]:
    """Per-epoch timings of `rows` training rows each, in batches of `batch_size`."""
    steps = -(-rows // batch_size)
    return [EpochTime(i + 1, float(s), rows, steps) for i, s in enumerate(seconds)]


def peak_rss_mib() -> float:
    """This process's resident-set high-water mark (VmHWM; getrusage where /proc is absent)."""
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0          # kB -> MiB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024.0   # bytes on macOS, KiB elsewhere


def peak_gpu_mib(device: torch.device | str) -> float | None:
    device = torch.device(device)
    if device.type != "cuda":
        return None
    return torch.cuda.max_memory_allocated(device) / 2**20


def select_epoch(valid: list[dict], test: list[dict]) -> tuple[int, dict, dict]:
    """The epoch of best mean valid AUC (the first one on ties), as `dephn.train.fit` restores.

    valid, test: per epoch, {task: {"auc", ...}}. Returns (1-based epoch, its valid, its test).
    """
    scores = [mean_auc(v) for v in valid]
    scores = [-math.inf if math.isnan(s) else s for s in scores]
    i = int(np.argmax(scores))
    return i + 1, valid[i], test[i]


def auc_by_task(metrics: dict) -> dict[str, float]:
    return {t: float(m["auc"]) for t, m in metrics.items()}


def probs_metrics(labels: np.ndarray, probs: np.ndarray, tasks, split: str) -> dict:
    """task_metrics of (N, T) probabilities, for peers that predict probabilities."""
    return task_metrics(np.asarray(labels), np.asarray(probs, dtype=np.float64), tasks, split=split)

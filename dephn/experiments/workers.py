"""What a worker process (or a Ray task) does: one run under its lease (`claim.run_claimed`)."""
from __future__ import annotations

import os

import torch

from ..data.datasets import load_dataset
from ..data.encoded import EncodedDataset
from .claim import Outcome, run_claimed
from .runs import RunSpec
from .store import ResultsStore
from .sweep import quieted

_DATA: dict[str, EncodedDataset] = {}     # this process's data sets, by RunSpec.data_key


def default_threads(workers: int) -> int:
    """Torch threads per worker: the cores this process may use, shared out, at least 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores // max(1, workers))


def init_worker(threads: int) -> None:
    torch.set_num_threads(threads)


def work(spec: RunSpec, store_root: str, force: bool = False) -> Outcome:
    """One spec in a worker: quiet (several workers share one terminal), into the store at `store_root`."""
    spec, key = quieted(spec), spec.data_key()
    if key not in _DATA:
        _DATA[key] = load_dataset(spec.dataset, spec.data, **spec.data_options)
    return run_claimed(spec, _DATA[key], ResultsStore(store_root), force=force)


def ray_work(spec: RunSpec, store_root: str, force: bool, threads: int) -> Outcome:
    """`work` as a Ray task (Ray reuses its worker processes, so threads are set on every call)."""
    init_worker(threads)
    return work(spec, store_root, force)

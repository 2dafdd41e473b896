"""A run's lease in a results store, so that no two workers train it at the same time.

The lease of a run is the lock `leases/<run_id>.lock` under the store (`fileio.try_lock`, a
`filelock.FileLock`: flock underneath), taken without waiting. The kernel drops it when its
holder's process dies, however it dies, so a killed worker's run is free at once and no lease
ever goes stale. The file stays after release; only a held lock means a worker trains the run.
"""
from __future__ import annotations

from pathlib import Path

from filelock import FileLock

from ..fileio import is_locked, try_lock

LEASE_DIR = "leases"


def lease_path(store_root, run_id: str) -> Path:
    return Path(store_root) / LEASE_DIR / f"{run_id}.lock"


def try_acquire(store_root, run_id: str) -> FileLock | None:
    """The held lease of `run_id` (give it up with `.release()`), or None while another worker
    holds it."""
    return try_lock(lease_path(store_root, run_id))


def is_leased(store_root, run_id: str) -> bool:
    return is_locked(lease_path(store_root, run_id))

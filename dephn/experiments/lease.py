"""A run's lease in a results store, so that no two workers train it at the same time: the lock
`leases/<run_id>.lock` (`fileio.try_lock`), taken without waiting, dropped by the kernel when its
holder dies (docs/architecture.md "Contracts").
"""
from __future__ import annotations

from pathlib import Path

from filelock import FileLock

from ..fileio import try_lock

LEASE_DIR = "leases"


def lease_path(store_root, run_id: str) -> Path:
    return Path(store_root) / LEASE_DIR / f"{run_id}.lock"


def try_acquire(store_root, run_id: str) -> FileLock | None:
    """The held lease of `run_id` (give it up with `.release()`), or None while another worker
    holds it."""
    return try_lock(lease_path(store_root, run_id))

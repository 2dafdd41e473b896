"""One run under its lease, what every way of running a sweep calls for each spec: skipped when
finished (checked before and after taking the lease), "busy" while another worker holds it.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

from ..data.encoded import EncodedDataset
from ..train.loop import TrainingDiverged
from .lease import try_acquire
from .runs import RunSpec, execute
from .store import ResultsStore


@dataclass(frozen=True)
class Outcome:
    run_id: str
    label: str
    status: str            # "ran" | "done" (a record was there) | "busy" (another worker holds its lease) | "diverged"
    summary: str = ""      # test AUCs of a run that ran, the error of one that diverged
    seconds: float = 0.0
    pid: int = 0


class Lost(Exception):
    """A run whose worker died before it answered; it may or may not have a record."""


def finished(store: ResultsStore, spec: RunSpec, run_id: str) -> bool:
    """A record, and the weights when the spec keeps them."""
    return store.has(run_id) and (not spec.save_model or store.has_model(run_id))


def run_claimed(spec: RunSpec, data: EncodedDataset, store: ResultsStore, *, force: bool = False,
                desc: str | None = None) -> Outcome:
    rid = spec.run_id(data.fingerprint)

    def outcome(status, summary="", seconds=0.0):
        return Outcome(rid, spec.table_label, status, summary, seconds, os.getpid())

    if not force and finished(store, spec, rid):
        return outcome("done")
    lease = try_acquire(store.root, rid)
    if lease is None:
        return outcome("busy")
    try:
        if not force and finished(store, spec, rid):
            return outcome("done")
        t0 = time.perf_counter()
        try:
            rec = execute(spec, data, store, desc=desc)
        except TrainingDiverged as e:
            return outcome("diverged", str(e), time.perf_counter() - t0)
    finally:
        lease.release()
    aucs = " ".join(f"{t}={m['auc']:.4f}" for t, m in rec["metrics"]["test"].items())
    return outcome("ran", f"test auc {aucs}", rec["timing"]["wall_seconds"])

"""A sweep over several worker processes (`local`) or a Ray cluster (`ray`), into one store.

Each worker runs a spec under its lease (`claim`). An outcome "busy" (another worker holds the
lease) is sent again after a pause; a `Lost` one (the worker died) at once, and after
`max_attempts` deaths of one spec the sweep stops. So at the end every spec has one record.
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path
from typing import Sequence

import pandas as pd

from ..errors import DephnError
from .claim import Lost
from .local_pool import LocalEngine
from .ray_engine import RayEngine
from .runs import RunSpec
from .store import ResultsStore
from .sweep import sweep_frame
from .workers import default_threads

ENGINES = ("local", "ray")
MAX_ATTEMPTS = 3            # deaths of one spec's worker before the sweep gives up on it


def make_engine(engine: str, workers: int, threads: int, ray_address: str | None):
    if engine not in ENGINES:
        raise DephnError(f"engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if workers < 1 or threads < 1:
        raise DephnError(f"workers and threads per worker must be >= 1, got {workers} and {threads}")
    if engine == "local":
        if ray_address:
            raise DephnError("a Ray address needs the ray engine (--engine ray)")
        return LocalEngine(workers, threads)
    return RayEngine(workers, threads, ray_address)


def run_parallel(specs: Sequence[RunSpec], out_dir, *, workers: int = 2, engine: str = "local",
                 threads: int | None = None, ray_address: str | None = None, force: bool = False,
                 log=None, poll: float = 1.0, max_attempts: int = MAX_ATTEMPTS) -> pd.DataFrame:
    """Run every spec not in the store under `out_dir` over `workers` workers of `threads` torch
    threads each (default: the cores shared out); return the store's frame of these specs."""
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    threads = threads or default_threads(workers)
    eng = make_engine(engine, workers, threads, ray_address)
    root = str(Path(out_dir).resolve())
    t0 = time.perf_counter()
    try:
        outcomes, lost = _drive(eng, list(specs), root, force, log, poll, max_attempts)
    finally:
        eng.close()
    counts = Counter(o.status for o in outcomes.values())
    log(f"sweep: {counts['ran']} ran, {counts['done']} already done, {counts['diverged']} diverged, "
        f"{sum(lost.values())} resubmitted after a lost worker ({workers} {engine} workers x {threads} "
        f"threads), {time.perf_counter() - t0:.1f}s")
    return sweep_frame(ResultsStore(root), [outcomes[i].run_id for i in range(len(specs))],
                       {outcomes[i].run_id: specs[i].table_label for i in range(len(specs))})


def _drive(eng, specs, root, force, log, poll, max_attempts):
    outcomes, lost, todo = {}, Counter(), list(range(len(specs)))
    while todo:
        again, busy = [], []
        for i, out in eng.run([(i, specs[i]) for i in todo], root, lambda i: force):
            s = specs[i]
            tag = f"[{len(outcomes) + 1}/{len(specs)}] {s.dataset} {s.model} {s.table_label} seed={s.seed}"
            if isinstance(out, Lost):
                lost[i] += 1
                if lost[i] >= max_attempts:
                    raise DephnError(f"{tag}: its worker died {lost[i]} times ({out}); giving up")
                log(f"{s.dataset} {s.model} {s.table_label} seed={s.seed}: worker lost, run again ({out})")
                again.append(i)
            elif out.status == "busy":
                busy.append(i)
            else:
                outcomes[i] = out
                if out.status != "done":
                    log(f"{tag}: {out.summary} ({out.seconds:.1f}s, pid {out.pid})")
        todo = again + busy
        if busy and not again:
            time.sleep(poll)        # another sweep trains these: look again shortly
    return outcomes, lost

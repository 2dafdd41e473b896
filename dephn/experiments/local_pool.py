"""Runs over N local worker processes (a forkserver `ProcessPoolExecutor`, else spawn). A worker
that dies breaks the pool: every unfinished run comes back `Lost` and the next `run` starts a
fresh pool.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Iterator

from .claim import Lost
from .workers import init_worker, work


def _context():
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":            # workers fork from a server that imported torch once
        ctx.set_forkserver_preload(["dephn.experiments.workers"])
    return ctx


class LocalEngine:
    def __init__(self, workers: int, threads: int):
        self.workers, self.threads = workers, threads
        self._pool: ProcessPoolExecutor | None = None

    def run(self, calls, store_root: str, force) -> Iterator[tuple[object, object]]:
        """(key, Outcome or Lost) for each (key, spec) of `calls`, as they finish; `force(key)`."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=init_worker,
                                             initargs=(self.threads,))
        pool, broken = self._pool, False
        futures = {}
        for key, spec in calls:
            try:
                futures[pool.submit(work, spec, store_root, force(key))] = key
            except BrokenProcessPool as e:
                broken = True
                yield key, Lost(str(e))
        try:
            for f in as_completed(futures):
                try:
                    yield futures[f], f.result()
                except BrokenProcessPool as e:
                    broken = True
                    yield futures[f], Lost(str(e) or "a worker process died")
        finally:
            if broken:
                self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

"""Runs as Ray tasks (an optional extra, imported only here), on a cluster (`address`) or a Ray
started here; one task of `threads` CPUs per run, retried by Ray when its worker dies, `Lost`
after `max_retries`.
"""
from __future__ import annotations

import socket
from typing import Iterator

from ..errors import DephnError
from .claim import Lost
from .workers import ray_work

MAX_RETRIES = 3


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """A HOST:PORT address answers, or one clear error (Ray itself would retry for minutes)."""
    host, sep, port = address.rpartition(":")
    if not sep or "://" in address or not port.isdigit():
        return                      # "auto", "ray://...": Ray resolves those itself
    try:
        socket.create_connection((host, int(port)), timeout).close()
    except OSError as e:
        raise DephnError(f"no Ray cluster answers at {address} ({e.strerror or type(e).__name__})") from None


class RayEngine:
    def __init__(self, workers: int, threads: int, address: str | None = None,
                 max_retries: int = MAX_RETRIES):
        try:
            import ray  # optional extra: only `--engine ray` needs it
        except ImportError:
            raise DephnError("--engine ray needs Ray: pip install 'dephn[ray]'") from None
        self.ray = ray
        self.threads = threads
        self._owned = False
        if not ray.is_initialized():
            try:
                if address:
                    _check_reachable(address)
                    ray.init(address=address, log_to_driver=False)
                else:
                    ray.init(num_cpus=workers * threads, include_dashboard=False, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise DephnError(f"could not start or reach Ray{f' at {address}' if address else ''}: "
                                 f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
            self._owned = True
        self._task = ray.remote(num_cpus=threads, max_retries=max_retries)(ray_work)

    def run(self, calls, store_root: str, force) -> Iterator[tuple[object, object]]:
        """(key, Outcome or Lost) for each (key, spec) of `calls`, as they finish; `force(key)`."""
        ray = self.ray
        refs = {self._task.remote(spec, store_root, force(key), self.threads): key
                for key, spec in calls}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            key = refs[done[0]]
            try:
                yield key, ray.get(done[0])
            except ray.exceptions.RayTaskError as e:      # the run itself failed: not a worker's death
                raise (e.cause if isinstance(e.cause, DephnError) else e) from None
            except ray.exceptions.RayError as e:
                yield key, Lost(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")

    def close(self) -> None:
        if self._owned:
            self.ray.shutdown()
            self._owned = False

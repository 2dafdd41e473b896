"""A claim on one run of a results store, so that no two workers train it at the same time.

`leases/<run_id>.lease` under the store is created with O_EXCL (exactly one creator wins) and
holds its owner: pid, host, the process's start time, a random token and when it was taken.
While the owner trains, a heartbeat thread touches the file; the owner removes it when the
run is over (only if the token is still its own). A lease is stale, and may be taken over,
when its owner is a process of this host that no longer runs (killed, or its pid reused by
another process), or when its heartbeat is older than `stale_after` seconds (an owner on
another machine that died). Taking over renames the stale file away first, and checks that
what it moved is the stale lease it judged, so two workers cannot both take it.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path

LEASE_DIR = "leases"
HEARTBEAT_S = 30.0            # how often an owner touches its lease
STALE_AFTER_S = 600.0         # a lease untouched this long is stale, whoever owns it


def lease_path(store_root, run_id: str) -> Path:
    return Path(store_root) / LEASE_DIR / f"{run_id}.lease"


def _proc_start(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[19]) if fields[0] != "Z" else -1


def pid_alive(pid: int, start: int | None = None) -> bool:
    """Whether process `pid` of this host runs; a zombie, or another process that reused the pid
    (a different start time), does not count."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    now = _proc_start(pid)
    if now == -1:
        return False
    return start is None or now is None or now == start


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None              # gone, or its owner is between create and write


def is_stale(holder: dict, age_s: float, stale_after: float = STALE_AFTER_S) -> bool:
    if holder.get("host") == socket.gethostname() and not pid_alive(int(holder["pid"]), holder.get("proc_start")):
        return True
    return age_s > stale_after


def holder_of(store_root, run_id: str) -> dict | None:
    return _read(lease_path(store_root, run_id))


class Lease:
    """An acquired lease; `release()` (or leaving the `with` block) gives it up."""

    def __init__(self, path: Path, token: str, heartbeat: float):
        self.path, self.token = path, token
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._touch, args=(heartbeat,), daemon=True)
        self._beat.start()

    def _touch(self, every: float) -> None:
        while not self._stop.wait(every):
            with contextlib.suppress(OSError):
                os.utime(self.path)

    def release(self) -> None:
        self._stop.set()
        held = _read(self.path)
        if held is not None and held.get("token") == self.token:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)

    def __enter__(self) -> "Lease":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def try_acquire(store_root, run_id: str, *, stale_after: float = STALE_AFTER_S,
                heartbeat: float = HEARTBEAT_S) -> Lease | None:
    """The lease of `run_id`, or None while another live owner holds it."""
    path = lease_path(store_root, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            if not break_if_stale(path, stale_after):
                return None
            continue
        token = uuid.uuid4().hex
        me = {"pid": os.getpid(), "host": socket.gethostname(), "proc_start": _proc_start(os.getpid()),
              "token": token, "taken": time.time()}
        with os.fdopen(fd, "w") as f:
            json.dump(me, f)
            f.flush()
            os.fsync(f.fileno())
        return Lease(path, token, heartbeat)
    return None


def break_if_stale(path: Path, stale_after: float = STALE_AFTER_S) -> bool:
    """Remove the lease at `path` if it is stale; True when it is gone (stale, or released meanwhile)."""
    holder = _read(path)
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return True
    if holder is None:                        # being written: only an old empty file is stale
        if age <= stale_after:
            return False
        holder = {}
    elif not is_stale(holder, age, stale_after):
        return False
    tomb = path.with_name(f".{path.name}.{uuid.uuid4().hex}.stale")
    try:
        os.rename(path, tomb)
    except FileNotFoundError:
        return True
    moved = _read(tomb) or {}
    if moved.get("token") != holder.get("token"):   # a fresh lease was taken meanwhile: put it back
        with contextlib.suppress(FileExistsError):
            os.link(tomb, path)
        os.unlink(tomb)
        return False
    os.unlink(tomb)
    return True


def clear_stale(store_root, run_id: str, stale_after: float = STALE_AFTER_S) -> None:
    """Remove a stale lease of a finished run (its owner died after writing the record)."""
    path = lease_path(store_root, run_id)
    if path.exists():
        break_if_stale(path, stale_after)

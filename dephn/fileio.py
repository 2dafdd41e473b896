"""Files that a reader never sees half of, the one lock mechanism, and JSON for numpy scalars.

Every write goes to a temporary `.<name>.<random>.tmp` beside the target, renamed into place once
complete (`_temporary`). Its writer holds `<temporary>.lock` meanwhile, so the next write into
the folder removes a killed writer's temporary. Locks are `filelock.FileLock`s (flock: the
kernel drops a lock when its process dies, so none goes stale); only a held lock means busy.
"""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import time
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

LOCK_SUFFIX = ".lock"
# a temporary left by a writer of an older version (no lock beside it) goes once this old
STALE_TEMP_SECONDS = 24 * 3600
_TEMP = re.compile(r"^\..+\.(?:[A-Za-z0-9_]{8}\.tmp|tmp-[A-Za-z0-9_]{8})$")   # now; before


# --- locks ---------------------------------------------------------------------------------

def try_lock(path) -> FileLock | None:
    """The lock at `path`, held by the caller (give it up with `.release()`), or None at once
    while anyone else (another process, or another lock object in this one) holds it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, timeout=0, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        return None
    return lock


def locked(path, timeout: float = -1) -> FileLock:
    """`with locked(path): ...` waits for the lock at `path` (at most `timeout` s when not negative)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return FileLock(path, timeout=timeout, thread_local=False)


# --- atomic writes -------------------------------------------------------------------------

@contextlib.contextmanager
def _temporary(target: Path, make):
    """A new temporary `.<name>.<random>.tmp` beside `target`, made by `make(path)` while its
    lock is held; removed, and its lock with it, when the block ends (unless renamed away)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_dead_temps(target.parent)
    for _ in range(100):          # a random name already taken: draw another
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        lock = try_lock(f"{tmp}{LOCK_SUFFIX}")   # before the temporary exists: a cleaner never sees it unlocked
        if lock is None:
            continue
        try:
            make(tmp)
            break
        except FileExistsError:
            _drop_lock(lock)
        except BaseException:
            _drop_lock(lock)
            raise
    else:
        raise FileExistsError(f"no free temporary name beside {target}")
    try:
        yield tmp
    finally:
        try:
            _remove(tmp)
        finally:
            _drop_lock(lock)


def _drop_lock(lock: FileLock) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(lock.lock_file)
    lock.release()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _make_file(path: Path) -> None:
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))   # the umask applies


@contextlib.contextmanager
def atomic_file(target):
    """Yield a temporary path beside `target` to write, renamed to `target` when the block succeeds."""
    target = Path(target)
    with _temporary(target, _make_file) as tmp:
        yield tmp
        os.replace(tmp, target)


def atomic_write(path, data: bytes) -> Path:
    """Write `data` to `path` atomically (temporary file, fsync, rename); returns the path."""
    path = Path(path)
    with atomic_file(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return path


@contextlib.contextmanager
def atomic_dir(target):
    """Yield a temporary folder beside `target` to fill, renamed to `target` when the block
    succeeds; a `target` another process built meanwhile (same name, same content) is kept."""
    target = Path(target)
    with _temporary(target, lambda p: os.mkdir(p, 0o777)) as tmp:   # the umask applies
        yield tmp
        try:
            os.replace(tmp, target)
        except OSError:
            if not target.is_dir():
                raise


def remove_dead_temps(folder, max_age_s: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Remove (and return) the temporaries in `folder` no live writer holds; one without a lock
    file (an older version's) once `max_age_s` old."""
    removed = []
    try:
        entries = [e.name for e in os.scandir(folder) if e.name.startswith(".")]
    except OSError:
        return removed
    names = set(entries)
    for name in entries:
        path = Path(folder) / name
        if name.endswith(".tmp" + LOCK_SUFFIX):
            if name[: -len(LOCK_SUFFIX)] not in names:     # a writer killed before or after its temporary
                _remove_if_dead(path, path)
            continue
        if not _TEMP.match(name):
            continue
        if name + LOCK_SUFFIX in names:
            if _remove_if_dead(path, Path(f"{path}{LOCK_SUFFIX}")):
                removed.append(path)
            continue
        try:
            if time.time() - path.lstat().st_mtime < max_age_s:
                continue
            _remove(path)
            removed.append(path)
        except OSError:            # removed meanwhile, or not ours to remove: leave it
            continue
    return removed


def _remove_if_dead(path: Path, lock_path: Path) -> bool:
    lock = try_lock(lock_path)
    if lock is None:               # its writer lives
        return False
    try:
        if path != lock_path:
            _remove(path)
    finally:
        _drop_lock(lock)
    return True


def json_default(o):
    """`json.dumps(..., default=json_default)`: numpy scalars (numbers, bools) as Python values."""
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")

"""Writing a file so that a reader never sees half of it, and JSON for numpy scalars.

`atomic_write` puts the bytes in a temporary file beside the target (`.<name>.<random>.tmp`,
which no reader globbing `*.json` or the target's name picks up), syncs it and renames it into
place; on any failure the temporary file is removed and the target is untouched.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path, data: bytes) -> Path:
    """Write `data` to `path` atomically (temporary file, fsync, rename); returns the path."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):      # mkstemp's 0600 would hide the file from other users
            os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def json_default(o):
    """`json.dumps(..., default=json_default)`: numpy scalars (numbers, bools) as Python values."""
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")

"""Where a run came from: code version, package versions, machine."""
from __future__ import annotations

import functools
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from .. import __version__

PACKAGES = ("torch", "numpy", "pandas", "scikit-learn", "pyarrow", "scipy")


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """`<package version>+g<commit>[-dirty]` when the package sits in a git checkout."""
    root = Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "dephn"],
                               cwd=root, capture_output=True, text=True, timeout=10).stdout.strip()
        return f"{__version__}+g{sha}" + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return __version__


@functools.lru_cache(maxsize=1)
def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def machine() -> dict[str, str]:
    import torch
    info = {"platform": platform.platform(), "processor": platform.machine(),
            "torch_threads": str(torch.get_num_threads())}
    if torch.cuda.is_available():
        info["cuda_device"] = torch.cuda.get_device_name(0)
    return info

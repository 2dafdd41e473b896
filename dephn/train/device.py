"""Device choice and mixed precision."""
from __future__ import annotations

import contextlib

import torch

from ..errors import DephnError


def resolve_device(name: str = "auto") -> torch.device:
    """"auto" picks CUDA, then Apple MPS, then CPU."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise DephnError(f"device {name!r} requested but CUDA is not available")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise DephnError("device 'mps' requested but Apple MPS is not available")
    return dev


def resolve_precision(precision: str, device: torch.device) -> str:
    """"auto" is bf16 on CUDA (H100/H200-class GPUs run it natively), fp32 elsewhere."""
    if precision == "auto":
        return "bf16" if device.type == "cuda" else "fp32"
    return precision


def autocast(device: torch.device, precision: str):
    """Autocast context for the forward pass; bf16 also works on CPU (tests use it)."""
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()

"""Plain-op forwards, for `torch.func.vmap`, of layers whose fast path vmap cannot run.

Some layers compute their forward and backward in a hand-written `torch.autograd.Function`
(fewer copies on CPU). vmap needs such a function to carry its own batching rule; instead,
while the copies' vectorised forward runs (`dephn.train.stacked`), those layers compute the
same function from plain tensor operations, which vmap batches and autograd differentiates.
`tests/train/test_multicopy.py` checks each against the layer's own forward and gradients.
"""
from __future__ import annotations

import contextlib
from typing import Callable

import torch
from torch import nn

from ..layers.fint import FieldInteraction


def field_interaction(layer: FieldInteraction, v0: torch.Tensor) -> torch.Tensor:
    """FINT, V_l = V_{l-1} * (W_l V_0 + u_l) with V_0 = v0 (B, F, d): (B, [C,] F, d)."""
    b, f, d = v0.shape
    c = layer.copies or 1
    if not layer.n_layers:
        out = v0.unsqueeze(1).expand(b, c, f, d)                              # (B, C, F, d)
    else:
        w = layer.W.reshape(c, layer.n_layers, f, f)                          # (C, L, F, F)
        u = layer.u.reshape(c, layer.n_layers, f)                             # (C, L, F)
        v = v0.unsqueeze(0)                                                   # (1, B, F, d)
        for i in range(layer.n_layers):
            mix = torch.einsum("cgf,bfd->cbgd", w[:, i], v0) + u[:, i, None, :, None]   # (C, B, F, d)
            v = v * mix                                                       # (C, B, F, d)
        out = v.transpose(0, 1)                                               # (B, C, F, d)
    return out[:, 0] if layer.copies is None else out


VMAP_FORWARDS: dict[type[nn.Module], Callable] = {FieldInteraction: field_interaction}


@contextlib.contextmanager
def vmap_forwards(model: nn.Module):
    """Inside: every layer of `model` listed in `VMAP_FORWARDS` runs its plain-op forward."""
    swapped = [m for m in model.modules() if type(m) in VMAP_FORWARDS]
    for m in swapped:
        m.forward = (lambda *args, _m=m, **kw: VMAP_FORWARDS[type(_m)](_m, *args, **kw))
    try:
        yield
    finally:
        for m in swapped:
            del m.forward

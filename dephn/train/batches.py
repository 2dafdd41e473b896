"""Batches sliced from tensors, no per-sample Python `Dataset` on the hot path.

A split small enough for the accelerator (or any split on CPU) is moved there once and
batches are index-gathered from it. A split larger than that budget is streamed from its
memory-mapped arrays in contiguous chunks (shuffled chunk order, shuffled rows inside a
chunk), so a processed data set larger than memory still trains.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch

from ..data.encoded import EncodedSplit


@dataclass
class Batch:
    sparse: torch.Tensor  # (B, S) int64
    dense: torch.Tensor   # (B, D) float32
    labels: torch.Tensor  # (B, T) float32

    def __len__(self) -> int:
        return self.labels.shape[0]


def split_nbytes(split: EncodedSplit) -> int:
    return int(split.sparse.nbytes + split.dense.nbytes + split.labels.nbytes)


def _to_tensor(a: np.ndarray, device, dtype) -> torch.Tensor:
    if not a.flags.writeable:          # memory-mapped caches are read-only: torch wants its own copy
        a = np.array(a)
    return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype).to(device, non_blocking=True)


class BatchSource:
    """Yields `Batch`es of one split on `device`; `chunk_rows=None` keeps the whole split resident."""

    def __init__(self, split: EncodedSplit, device: torch.device, chunk_rows: int | None = None):
        self.split, self.device = split, device
        self.n = len(split)
        self.chunk_rows = None if chunk_rows is None or chunk_rows >= self.n else int(chunk_rows)
        self._resident = None if self.chunk_rows else self._load(0, self.n)

    @classmethod
    def for_split(cls, split: EncodedSplit, device: torch.device, max_bytes: float) -> "BatchSource":
        """Resident when the split fits in `max_bytes`, else streamed in ~max_bytes/4 chunks."""
        nbytes = split_nbytes(split)
        if nbytes <= max_bytes or len(split) == 0:
            return cls(split, device)
        row_bytes = max(1, nbytes // len(split))
        return cls(split, device, chunk_rows=max(1, int(max_bytes // 4 // row_bytes)))

    def whole(self) -> Batch:
        """The whole split as one batch on the device."""
        return self._resident if self._resident is not None else self._load(0, self.n)

    def _load(self, lo: int, hi: int) -> Batch:
        s = self.split
        return Batch(_to_tensor(s.sparse[lo:hi], self.device, torch.long),
                     _to_tensor(s.dense[lo:hi], self.device, torch.float32),
                     _to_tensor(s.labels[lo:hi], self.device, torch.float32))

    def _chunks(self, generator: torch.Generator | None) -> Iterator[Batch]:
        if self._resident is not None:
            yield self._resident
            return
        starts = torch.arange(0, self.n, self.chunk_rows)
        if generator is not None:
            starts = starts[torch.randperm(len(starts), generator=generator)]
        for lo in starts.tolist():
            yield self._load(lo, min(lo + self.chunk_rows, self.n))

    def batches(self, batch_size: int, *, generator: torch.Generator | None = None,
                rank: int = 0, world: int = 1) -> Iterator[Batch]:
        """Global batches of `batch_size` rows; with world > 1 each rank gets every world-th row."""
        for chunk in self._chunks(generator):
            n = len(chunk)
            if generator is not None:
                order = torch.randperm(n, generator=generator).to(self.device)
            else:
                order = None
            for lo in range(0, n, batch_size):
                if order is None and world == 1:  # contiguous slices: no gather needed
                    yield Batch(chunk.sparse[lo:lo + batch_size], chunk.dense[lo:lo + batch_size],
                                chunk.labels[lo:lo + batch_size])
                    continue
                idx = order[lo:lo + batch_size] if order is not None else torch.arange(
                    lo, min(lo + batch_size, n), device=self.device)
                if world > 1:
                    idx = idx[rank::world]
                yield Batch(chunk.sparse[idx], chunk.dense[idx], chunk.labels[idx])

    def steps_per_epoch(self, batch_size: int) -> int:
        if self.chunk_rows is None:
            return -(-self.n // batch_size)
        full, rest = divmod(self.n, self.chunk_rows)
        return full * -(-self.chunk_rows // batch_size) + (-(-rest // batch_size) if rest else 0)

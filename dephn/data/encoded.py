"""Encoded arrays: what readers produce and what the trainer and models consume."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .schema import FeatureSpec, Schema


@dataclass
class EncodedSplit:
    """One split of an encoded data set (rows aligned across arrays)."""

    sparse: np.ndarray  # (N, S) int64, per-field ids, 0 = out-of-vocabulary / missing
    dense: np.ndarray   # (N, D) float32, transformed values (missing -> 0)
    labels: np.ndarray  # (N, T) float32 in {0, 1}
    extras: dict[str, np.ndarray] = field(default_factory=dict)  # per-row side data, e.g. "confidence"

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def head(self, n: int) -> "EncodedSplit":
        """The first n rows (views, no copy)."""
        return EncodedSplit(self.sparse[:n], self.dense[:n], self.labels[:n],
                            {k: v[:n] for k, v in self.extras.items()})


@dataclass
class EncodedDataset:
    """Train / valid / test splits with the encoding fitted on train only."""

    name: str
    schema: Schema
    vocab_sizes: tuple[int, ...]  # per sparse field, including the OOV row 0
    train: EncodedSplit
    valid: EncodedSplit
    test: EncodedSplit
    fingerprint: str                              # hash of source content + encoding parameters
    meta: dict = field(default_factory=dict)      # summary: sizes, positive rates, builder stats

    @property
    def feature_spec(self) -> FeatureSpec:
        return FeatureSpec(tuple(int(v) for v in self.vocab_sizes), len(self.schema.dense), self.schema.tasks)

    def split(self, name: str) -> EncodedSplit:
        if name not in ("train", "valid", "test"):
            raise ValueError(f"unknown split {name!r}; expected train, valid or test")
        return getattr(self, name)

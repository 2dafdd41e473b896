"""The reader contract: a source file (or files) streamed as pandas chunks in schema terms.

A chunk's columns, by name: each `schema.tasks` column integer 0/1 (a non-binary label is a
`DataError`); each `schema.dense` column float64, NaN where missing (raw, not transformed); each
`schema.sparse` column string (pandas or pyarrow), None/NaN where missing; optionally `extras`
columns (e.g. "confidence"), float64. Chunks are bounded in rows, so a 45M-row file never sits in
memory as Python objects. The encoder (dephn.data.encode) consumes exactly this.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Iterator

import pandas as pd

from ..schema import Schema


class Reader(ABC):
    """A data source in one format."""

    schema: Schema
    extras: tuple[str, ...] = ()        # per-row side columns carried through encoding
    dense_transform: str = "log1p"      # how the encoder transforms dense values: "log1p" | "none"

    @abstractmethod
    def sources(self) -> list[Path]:
        """The files read (their content fingerprint keys the processed-data cache)."""

    @abstractmethod
    def iter_chunks(self, chunk_rows: int = 200_000) -> Iterator[pd.DataFrame]:
        """DataFrames in schema terms (see the module docstring), in file order."""

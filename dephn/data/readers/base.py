"""The reader contract: a source file (or files) streamed as pandas chunks in schema terms.

A chunk's columns: each `schema.tasks` column int 0/1; each `schema.dense` column float64, NaN where
missing (raw, untransformed); each `schema.sparse` column string, None/NaN where missing; any
`extras` columns float64. Chunks are bounded in rows; the encoder (dephn.data.encode) consumes them.
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

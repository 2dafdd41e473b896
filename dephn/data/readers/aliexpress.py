"""AliExpress search logs (Li et al., "Improving Multi-Scenario Learning to Rank in E-commerce by
Exploiting Task Relationships in the Label Space", CIKM 2020), as torch-rechub ships them.

Layout: a CSV with header `search_id, categorical_1..16, numerical_1..63, click, conversion`.
Tasks: click, conversion. search_id groups the rows of one search; it is not a feature.
The numerical fields are already scaled to [0, 1], hence dense_transform "none".
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pandas as pd

from .base import Reader
from .csv import CsvReader, CsvSpec

ALIEXPRESS_TASKS = ("click", "conversion")
ALIEXPRESS_SPARSE = tuple(f"categorical_{i}" for i in range(1, 17))
ALIEXPRESS_DENSE = tuple(f"numerical_{i}" for i in range(1, 64))


class AliExpressReader(Reader):
    """One AliExpress CSV file (any country split: NL, ES, FR, US share the layout).

    path: the CSV file. on_bad_lines: "error" | "skip" (skipped lines are counted in
    `skipped_lines` after iteration, the first few explained in `skipped_examples`).
    """

    dense_transform = "none"

    def __init__(self, path, *, on_bad_lines: str = "error"):
        spec = CsvSpec(paths=(str(path),), tasks=ALIEXPRESS_TASKS, sparse=ALIEXPRESS_SPARSE,
                       dense=ALIEXPRESS_DENSE, dense_transform="none")
        self.inner = CsvReader(spec, on_bad_lines=on_bad_lines)
        self.schema = self.inner.schema
        self.skipped_lines = 0

    def sources(self) -> list[Path]:
        return self.inner.sources()

    @property
    def skipped_examples(self) -> list[str]:
        """The first lines the last pass skipped, in file order (see `readers.skips`)."""
        return self.inner.skipped_examples

    def iter_chunks(self, chunk_rows: int = 200_000) -> Iterator[pd.DataFrame]:
        for frame in self.inner.iter_chunks(chunk_rows):
            self.skipped_lines = self.inner.skipped_lines
            yield frame
        self.skipped_lines = self.inner.skipped_lines

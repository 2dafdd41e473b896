"""AliExpress search logs (Li et al., CIKM 2020), as torch-rechub ships them.

A CSV with header `search_id, categorical_1..16, numerical_1..63, click, conversion` (every country
alike). Tasks: click, conversion. search_id groups a search's rows and is not a feature; the
numerical fields are already scaled to [0, 1], hence dense_transform "none".
"""
from __future__ import annotations

from .csv import CsvReader, CsvSpec

ALIEXPRESS_TASKS = ("click", "conversion")
ALIEXPRESS_SPARSE = tuple(f"categorical_{i}" for i in range(1, 17))
ALIEXPRESS_DENSE = tuple(f"numerical_{i}" for i in range(1, 64))


class AliExpressReader(CsvReader):
    """One AliExpress CSV file; on_bad_lines "error" | "skip" as for `CsvReader`."""

    def __init__(self, path, *, on_bad_lines: str = "error"):
        super().__init__(CsvSpec(paths=(str(path),), tasks=ALIEXPRESS_TASKS, sparse=ALIEXPRESS_SPARSE,
                                 dense=ALIEXPRESS_DENSE, dense_transform="none"), on_bad_lines=on_bad_lines)

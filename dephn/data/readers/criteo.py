"""Criteo (Kaggle Display Advertising Challenge) raw TSV reader.

Format (docs/decisions.md#data-formats): no header, one sample per line, 40 tab-separated fields:
`label, I1..I13, C1..C26`; labels are 0/1, I* integer counts (a few negative), C* 8-hex-digit
hashed categories; an empty field is missing.

A header-less, unquoted `DelimitedFile` with these names streams the lines as string columns;
vectorised kernels validate and convert them. A malformed line (wrong field count, empty line,
label not 0/1, non-numeric or non-finite dense value) is a `DataError` naming file, line and
column, or, with `on_bad_lines="skip"`, dropped and counted (see `readers.convert`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import DephnError, DataError
from ..schema import Schema
from .base import Reader
from .convert import bool_numpy
from .delimited import BLOCK_BYTES, DelimitedFile

CRITEO_DENSE = tuple(f"I{i}" for i in range(1, 14))
CRITEO_SPARSE = tuple(f"C{i}" for i in range(1, 27))
CRITEO_COLUMNS = ("label",) + CRITEO_DENSE + CRITEO_SPARSE
CRITEO_SCHEMA = Schema(tasks=("click",), dense=CRITEO_DENSE, sparse=CRITEO_SPARSE)

_EXPECTED_FIELDS = f"{len(CRITEO_COLUMNS)} tab-separated fields (label, I1..I13, C1..C26)"


class CriteoReader(Reader):
    """Streams a Criteo TSV file as chunks in schema terms (task `click`)."""

    schema = CRITEO_SCHEMA

    def __init__(self, path, on_bad_lines: str = "error", *, block_size: int = BLOCK_BYTES):
        self.path = Path(path)
        if not self.path.is_file():
            raise DephnError(f"Criteo file not found: {self.path}")
        self.file = DelimitedFile(self.path, sep="\t", header=False, names=CRITEO_COLUMNS, on_bad_lines=on_bad_lines,
                                  layout=_EXPECTED_FIELDS, quoting=False, skip_blank=False, block_size=block_size)
        self.skipped_lines = 0                         # bad lines dropped by the last full read

    @property
    def skipped_examples(self) -> list[str]:
        return self.file.skipped_examples

    def sources(self) -> list[Path]:
        return [self.path]

    def iter_chunks(self, chunk_rows: int = 200_000) -> Iterator[pd.DataFrame]:
        for table in self.iter_tables(chunk_rows):
            yield table.to_pandas()

    def iter_tables(self, chunk_rows: int = 200_000) -> Iterator[pa.Table]:
        """Like `iter_chunks`, as pyarrow Tables (the encoder takes either; this skips pandas)."""
        self.skipped_lines = n_bad = emitted = 0
        for rows, first in self.file.iter_tables(CRITEO_COLUMNS, chunk_rows):
            table, bad = self._check(rows, first)
            n_bad += bad
            self.skipped_lines = n_bad + self.file.skipped_lines
            if table.num_rows:
                emitted += table.num_rows
                yield table
        self.skipped_lines = n_bad + self.file.skipped_lines
        if emitted == 0:
            raise DataError(f"no valid rows ({self.skipped_lines} bad lines skipped); "
                            f"expected lines of {_EXPECTED_FIELDS}", path=self.path)

    def _check(self, rows: pa.Table, first: int) -> tuple[pa.Table, int]:
        """Validate parsed rows (40 string columns, the first the `first`-th record); return them in
        schema terms, less the bad rows, and how many those were. A row's first fault in column order
        is its reason; in "error" mode the earliest bad row raises."""
        label = rows.column("label")
        label_bad = ~bool_numpy(pc.is_in(label, value_set=pa.array(["0", "1"])))
        empty = np.zeros(rows.num_rows, dtype=bool)   # pyarrow hands an empty line over as a row of nulls
        if label_bad.any():                           # (only a row without a label can be one)
            suspects = pa.array(label_bad)
            empty[label_bad] = np.logical_and.reduce([bool_numpy(pc.is_null(c.filter(suspects))) for c in rows.columns])
        faults = [(empty, None, lambda i: "empty line; expected " + _EXPECTED_FIELDS),
                  (label_bad, "label", lambda i: f"label must be 0 or 1, got {label[i].as_py()!r}")]
        dense = {}
        for name in CRITEO_DENSE:
            col = rows.column(name)
            dense[name], col_bad = _parse_numbers(col)
            if col_bad is not None:
                faults.append((col_bad, name, lambda i, col=col: f"expected a finite number, got {col[i].as_py()!r}"))
        check = self.file.row_check(first, rows.num_rows)
        if check.on_bad_lines == "error":   # only the earliest bad row is flagged (and raises)
            earliest = min((int(np.argmax(mask)) for mask, *_ in faults if mask.any()), default=None)
            faults = [(np.arange(rows.num_rows) == earliest, c, m) for mask, c, m in faults if earliest is not None
                      and mask[earliest]]
        for mask, column, message in faults:
            check.flag(mask, message, column)
        arrays = [pc.cast(pc.equal(label, "1"), pa.int8())]
        arrays += [dense[name] for name in CRITEO_DENSE]
        arrays += [rows.column(name) for name in CRITEO_SPARSE]
        out = pa.Table.from_arrays(arrays, names=("click",) + CRITEO_DENSE + CRITEO_SPARSE)
        return (out.filter(pa.array(~check.bad)) if check.n_bad else out), check.n_bad


def _parse_numbers(col) -> tuple[pa.Array, np.ndarray | None]:
    """Strings -> float64 (null stays null) and a mask of unparsable / non-finite entries (None if
    none). The fast path is one cast; only a failing column is bisected to find what it rejects."""
    try:
        values = pc.cast(col, pa.float64())
    except pa.ArrowInvalid:
        col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        bad = np.zeros(len(col), dtype=bool)
        _mark_uncastable(col, 0, bad)
        values = pc.cast(pc.if_else(pa.array(bad), pa.scalar(None, pa.string()), col), pa.float64())
    else:
        bad = None
    finite = pc.fill_null(pc.is_finite(values), True)
    if not pc.all(finite).as_py():
        nonfinite = ~bool_numpy(finite)
        bad = nonfinite if bad is None else bad | nonfinite
        values = pc.if_else(pa.array(nonfinite), pa.scalar(None, pa.float64()), values)
    return values, bad


def _mark_uncastable(col: pa.Array, offset: int, bad: np.ndarray):
    """Set bad[offset + i] for every entry of `col` that the float cast rejects."""
    try:
        pc.cast(col, pa.float64())
        return
    except pa.ArrowInvalid:
        if len(col) == 1:
            bad[offset] = True
            return
    half = len(col) // 2
    _mark_uncastable(col.slice(0, half), offset, bad)
    _mark_uncastable(col.slice(half), offset + half, bad)

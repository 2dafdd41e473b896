"""Criteo (Kaggle Display Advertising Challenge) raw TSV reader.

Format (docs/decisions.md#data-formats): no header, one sample per line, 40 tab-separated fields:
`label, I1..I13, C1..C26`; labels are 0/1, I* integer counts (a few negative), C* 8-hex-digit
hashed categories; an empty field is missing.

pyarrow parses every column as a string in 1 MiB blocks, single-threaded (as fast as threaded
here, and the only mode that reports the line of a row with the wrong field count); vectorised
kernels validate and convert. A malformed line (wrong field count, empty line, label not 0/1,
non-numeric or non-finite dense value) is a `DataError` naming file, line and column, or, with
`on_bad_lines="skip"`, dropped and counted (see `readers.convert`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from ...errors import DataError, DephnError
from ..schema import Schema
from .base import Reader
from .convert import SkipLog, bool_numpy
from .delimited import check_on_bad_lines, position_among_all, rechunk

CRITEO_DENSE = tuple(f"I{i}" for i in range(1, 14))
CRITEO_SPARSE = tuple(f"C{i}" for i in range(1, 27))
CRITEO_COLUMNS = ("label",) + CRITEO_DENSE + CRITEO_SPARSE
CRITEO_SCHEMA = Schema(tasks=("click",), dense=CRITEO_DENSE, sparse=CRITEO_SPARSE)

_EXPECTED_FIELDS = f"{len(CRITEO_COLUMNS)} tab-separated fields (label, I1..I13, C1..C26)"
_EMPTY_LINE = "empty line; expected " + _EXPECTED_FIELDS


class CriteoReader(Reader):
    """Streams a Criteo TSV file as chunks in schema terms (task `click`)."""

    schema = CRITEO_SCHEMA

    def __init__(self, path, on_bad_lines: str = "error", *, block_size: int = 1 << 20):
        self.on_bad_lines = check_on_bad_lines(on_bad_lines)
        self.path = Path(path)
        if not self.path.is_file():
            raise DephnError(f"Criteo file not found: {self.path}")
        self.block_size = int(block_size)
        self.skipped_lines = 0                         # bad lines dropped by the last full read
        self.skips = SkipLog()                         # the first few of them, by line

    @property
    def skipped_examples(self) -> list[str]:
        return self.skips.texts()

    def sources(self) -> list[Path]:
        return [self.path]

    def iter_chunks(self, chunk_rows: int = 200_000) -> Iterator[pd.DataFrame]:
        for table in self.iter_tables(chunk_rows):
            yield table.to_pandas()

    def iter_tables(self, chunk_rows: int = 200_000) -> Iterator[pa.Table]:
        """Like `iter_chunks`, as pyarrow Tables (the encoder takes either; this skips pandas)."""
        if self.path.stat().st_size == 0:
            raise DataError(f"empty file; expected Criteo lines of {_EXPECTED_FIELDS}", path=self.path)
        self.skipped_lines = 0
        self.skips.clear()
        invalid: list[tuple[int, str]] = []   # (line, reason) of rows the parser dropped, in line order
        rows_seen = emitted = 0
        # 1 MiB blocks are gathered into chunks of chunk_rows rows and validated a chunk at a time
        for raw in rechunk(self._batches(invalid), chunk_rows):
            table = self._check(raw, rows_seen, invalid)
            rows_seen += raw.num_rows
            if table.num_rows:
                emitted += table.num_rows
                yield table
        if self.on_bad_lines == "error" and invalid:
            raise DataError(invalid[0][1], path=self.path, line=invalid[0][0])
        if emitted == 0:
            raise DataError(f"no valid rows ({self.skipped_lines} bad lines skipped); "
                            f"expected lines of {_EXPECTED_FIELDS}", path=self.path)

    def _batches(self, invalid: list) -> Iterator[pa.RecordBatch]:
        """Parsed batches of 40 string columns; pyarrow's own failures become a `DataError`."""
        def on_invalid(row) -> str:
            # called in line order (single-threaded parsing), before the batch holding later rows
            reason = (_EMPTY_LINE if row.actual_columns <= 1 and not row.text
                      else f"expected {_EXPECTED_FIELDS}, got {row.actual_columns}")
            invalid.append((row.number, reason))
            if self.on_bad_lines == "skip":
                self._note_skip(row.number, reason)
            return "skip"

        try:
            reader = pcsv.open_csv(
                self.path,
                read_options=pcsv.ReadOptions(column_names=list(CRITEO_COLUMNS), block_size=self.block_size,
                                              use_threads=False),
                parse_options=pcsv.ParseOptions(delimiter="\t", quote_char=False, ignore_empty_lines=False,
                                                invalid_row_handler=on_invalid),
                # only an empty field is missing (pyarrow's default would also read "NA", "null", "nan")
                convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in CRITEO_COLUMNS},
                                                    strings_can_be_null=True, null_values=[""]),
            )
            yield from reader
        except pa.ArrowInvalid as e:
            raise DataError(f"cannot parse as Criteo TSV: {e}", path=self.path) from None

    def _check(self, rows: pa.Table, start: int, invalid: list) -> pa.Table:
        """Validate parsed rows (40 string columns, the first the `start`-th parsed row); return them
        in schema terms. Bad rows raise a `DataError` (error mode) or are dropped and counted."""
        n = rows.num_rows
        bad = np.zeros(n, dtype=bool)
        reasons: dict[int, tuple[str | None, str]] = {}   # row -> (column, reason), the first one

        def flag(mask: np.ndarray, column: str | None, reason_of):
            for i in np.flatnonzero(mask & ~bad):
                reasons[int(i)] = (column, reason_of(int(i)))
            bad[:] |= mask

        label = rows.column("label")
        label_ok = bool_numpy(pc.is_in(label, value_set=pa.array(["0", "1"])))
        if not label_ok.all():
            # pyarrow hands an empty line over as a row of nulls; only rows without a label can be one
            suspects = pa.array(~label_ok)
            empty = np.zeros(n, dtype=bool)
            empty[~label_ok] = np.logical_and.reduce(
                [bool_numpy(pc.is_null(col.filter(suspects))) for col in rows.columns])
            flag(empty, None, lambda i: _EMPTY_LINE)
            flag(~label_ok, "label", lambda i: f"label must be 0 or 1, got {label[i].as_py()!r}")
        dense = {}
        for name in CRITEO_DENSE:
            col = rows.column(name)
            dense[name], col_bad = _parse_numbers(col)
            if col_bad is not None:
                flag(col_bad, name, lambda i, col=col: f"expected a finite number, got {col[i].as_py()!r}")

        invalid_lines = [line for line, _ in invalid]
        bad_rows = np.flatnonzero(bad)
        if self.on_bad_lines == "error" and n:
            # report whichever comes first in the file: a dropped line or a bad value
            first_bad = position_among_all(start + int(bad_rows[0]), invalid_lines, 1) if len(bad_rows) else None
            limit = first_bad if first_bad is not None else position_among_all(start + n - 1, invalid_lines, 1)
            if invalid and invalid[0][0] < limit:
                raise DataError(invalid[0][1], path=self.path, line=invalid[0][0])
            if first_bad is not None:
                column, reason = reasons[int(bad_rows[0])]
                raise DataError(reason, path=self.path, line=first_bad, column=column)
        for i in bad_rows:
            column, reason = reasons[int(i)]
            self._note_skip(position_among_all(start + int(i), invalid_lines, 1), reason, column)

        arrays = [pc.cast(pc.equal(label, "1"), pa.int8())]
        arrays += [dense[name] for name in CRITEO_DENSE]
        arrays += [rows.column(name) for name in CRITEO_SPARSE]
        out = pa.Table.from_arrays(arrays, names=("click",) + CRITEO_DENSE + CRITEO_SPARSE)
        return out.filter(pa.array(~bad)) if len(bad_rows) else out

    def _note_skip(self, line: int, reason: str, column: str | None = None):
        self.skipped_lines += 1
        self.skips.add(line, reason, path=self.path, line=line, column=column)


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

"""String columns to the reader contract's terms, with bad rows raised or dropped, and the skip log.

Every reader finishes here, so every format reports a bad value alike: a `DataError` naming file,
line, column, value and expectation ("error"), or the row dropped and counted ("skip"), the first
`MAX_EXAMPLES` kept as one-line texts worded like that error (data/README.md, "Bad lines").
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import DataError

MAX_EXAMPLES = 5


class SkipLog:
    """The first `limit` skipped lines of one pass by a sortable `order` key (skips may arrive out of
    file order); an entry's line may be None when added, filled in by `texts`."""

    def __init__(self, limit: int = MAX_EXAMPLES):
        self.limit = limit
        self._items: list[tuple] = []   # (order, message, path, line, column), sorted by order

    def clear(self) -> None:
        self._items = []

    def add(self, order, message: str, *, path=None, line: int | None = None, column: str | None = None) -> None:
        if len(self._items) >= self.limit and order >= self._items[-1][0]:
            return
        self._items.append((order, message, path, line, column))
        self._items.sort(key=lambda item: item[0])
        del self._items[self.limit:]

    def texts(self, line_of: Callable[[list], dict] | None = None) -> list[str]:
        """The kept entries as one-line texts; `line_of(orders)` -> {order: line} fills in the
        lines that were unknown when added."""
        missing = [item[0] for item in self._items if item[3] is None]
        lines = line_of(missing) if (missing and line_of is not None) else {}
        return [str(DataError(message, path=path, line=line if line is not None else lines.get(order), column=column))
                for order, message, path, line, column in self._items]


def first_examples(groups: Iterable[Iterable[str]], limit: int = MAX_EXAMPLES) -> list[str]:
    """The first `limit` texts of several passes' examples, taken in the given order."""
    out: list[str] = []
    for texts in groups:
        out.extend(texts)
        if len(out) >= limit:
            break
    return out[:limit]


@dataclass(frozen=True)
class LabelValues:
    """Label strings (trimmed) that count as 1 and as 0 (None: any other non-empty value)."""

    positive: tuple[str, ...] = ("1",)
    negative: tuple[str, ...] | None = ("0",)

    def describe(self) -> str:
        neg = "any other non-empty value" if self.negative is None else " or ".join(map(repr, self.negative))
        return f"{' or '.join(map(repr, self.positive))} (positive) or {neg} (negative)"


BINARY = LabelValues()


class RowCheck:
    """The bad rows of one chunk: the first raises a DataError ("error"), or all are kept for `assemble`
    to drop ("skip"). line_of: row index -> 1-based file line; note(i, message, column): skip log."""

    def __init__(self, n_rows: int, *, path, line_of: Callable[[int], int], on_bad_lines: str,
                 note: Callable[[int, str, str | None], None] | None = None):
        self.bad = np.zeros(n_rows, dtype=bool)
        self.path, self.line_of, self.on_bad_lines, self.note = path, line_of, on_bad_lines, note

    def flag(self, mask: np.ndarray, message: Callable[[int], str], column: str | None = None) -> None:
        """Mark rows where `mask` is True as bad; message(i) explains row i."""
        if not mask.any():
            return
        if self.on_bad_lines == "error":
            i = int(np.flatnonzero(mask)[0])
            raise DataError(message(i), path=self.path, line=self.line_of(i), column=column)
        if self.note is not None:
            for i in np.flatnonzero(mask & ~self.bad)[:MAX_EXAMPLES]:
                self.note(int(i), message(int(i)), column)
        self.bad |= mask

    @property
    def n_bad(self) -> int:
        return int(self.bad.sum())


def bool_numpy(arr) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def labels(arr, values: LabelValues, check: RowCheck, column: str) -> np.ndarray:
    """Binary labels (int8, shape (N,)) from strings; a value in neither set is a bad row."""
    text = pc.utf8_trim_whitespace(arr)
    pos = bool_numpy(pc.is_in(text, value_set=pa.array(values.positive, pa.string())))
    if values.negative is None:
        neg = ~pos & bool_numpy(pc.greater(pc.utf8_length(text), 0))
    else:
        neg = bool_numpy(pc.is_in(text, value_set=pa.array(values.negative, pa.string())))
    check.flag(~(pos | neg), lambda i: f"label {arr[i].as_py()!r} is not binary: expected {values.describe()}",
               column)
    return pos.astype(np.int8)


def _parses_as_missing_or_finite(text: str | None) -> bool:
    if text is None or not text.strip():
        return True
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isnan(value) or math.isfinite(value)


def dense(arr, check: RowCheck, column: str) -> np.ndarray:
    """Dense values (float64, shape (N,)) from strings; null, empty or "nan" is NaN, anything not
    a finite number is a bad row (its value NaN in "skip" mode)."""
    try:
        values = np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
        bad = np.isinf(values)
    except pa.ArrowInvalid:
        # slow path, for a chunk holding a non-number, an empty string or padded numbers (" 2"):
        # Python's float() decides, value by value
        raw = arr.to_pylist()
        bad = np.array([not _parses_as_missing_or_finite(t) for t in raw], dtype=bool)
        values = np.array([np.nan if b or t is None or not t.strip() else float(t) for t, b in zip(raw, bad)],
                          dtype=np.float64)
    check.flag(bad, lambda i: f"dense value {arr[i].as_py()!r} is not a finite number: expected a number, "
                              "or an empty field for a missing one", column)
    return np.where(bad, np.nan, values)


def null_if_empty(arr):
    """Strings with every empty one made null (missing)."""
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def sparse(arr) -> pd.Series:
    """Sparse tokens as a pandas string Series; an empty field is missing (NaN)."""
    return null_if_empty(arr).to_pandas()


def assemble(columns: Mapping[str, np.ndarray | pd.Series], check: RowCheck) -> pd.DataFrame:
    """One chunk in schema terms: the given columns, in order, less the bad rows (index reset)."""
    frame = pd.DataFrame({name: (col.reset_index(drop=True) if isinstance(col, pd.Series) else col)
                          for name, col in columns.items()})
    return frame.loc[~check.bad].reset_index(drop=True) if check.bad.any() else frame

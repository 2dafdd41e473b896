"""Delimited text files streamed as bounded chunks of string columns, with errors that name the line.

Shared by the CSV-like readers: pyarrow's streaming parser reads block by block, only the selected
columns are materialised, as strings, until `readers.convert` parses them; a record with the wrong
field count is a `DataError` naming file and line ("error") or skipped and counted ("skip"); in
"error" mode the rows before that line are yielded first, so a bad value above it is reported first.
Lines are physical and 1-based, header counted, assuming one record per line; blank lines are ignored
(or, with `skip_blank=False`, rows of empty fields for the format to judge).
"""
from __future__ import annotations

import csv
import itertools
import sys
from bisect import bisect_right
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ...errors import DataError, DephnError
from .convert import RowCheck, SkipLog

ON_BAD_LINES = ("error", "skip")
BLOCK_BYTES = 1 << 20  # pyarrow parse block; pyarrow reads some blocks ahead, so this bounds memory (a line must fit)


def check_on_bad_lines(value: str) -> str:
    """Validate an `on_bad_lines` option ("error" raises `DataError`, "skip" drops and counts)."""
    if value not in ON_BAD_LINES:
        raise DephnError(f"on_bad_lines must be one of {ON_BAD_LINES}, got {value!r}")
    return value


def require_file(path) -> Path:
    """`path` as a Path, or a `DataError` saying it does not exist."""
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found (or not a regular file)", path=path)
    return path


def rechunk(batches: Iterable[pa.RecordBatch], chunk_rows: int) -> Iterator[pa.Table]:
    """Tables of exactly `chunk_rows` rows (the last one fewer) from a stream of record batches."""
    pending: list[pa.RecordBatch] = []
    n_pending = 0
    for batch in batches:
        pending.append(batch)
        n_pending += batch.num_rows
        while n_pending >= chunk_rows:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, chunk_rows)
            rest = table.slice(chunk_rows)
            pending, n_pending = rest.to_batches(), rest.num_rows
    if n_pending:
        yield pa.Table.from_batches(pending)


def position_among_all(kept: int, dropped: Sequence[int], first: int = 0) -> int:
    """The position (counted from `first`) of the `kept`-th (0-based) row left once the rows at
    the ascending positions `dropped` are taken out."""
    position = kept + first
    while True:  # every dropped row at or before `position` pushes it one further
        moved = kept + first + bisect_right(dropped, position)
        if moved == position:
            return position
        position = moved


class DelimitedFile:
    """One delimited text file: its column names (from the header, `names` or "col<i>"), and its rows as
    chunks of string columns; after a pass, `skipped_lines` and `skipped_examples` (file order).

    A fixed format (Criteo) gives `names` with `layout`, the words for what a line holds ("40
    tab-separated fields (...)"): line 1 is then a data line like any other, and a line with another
    field count reads "expected <layout>, got <n>". `quoting=False`: a quote is an ordinary character."""

    def __init__(self, path, *, sep: str = ",", header: bool = True, names: Sequence[str] | None = None,
                 on_bad_lines: str = "error", layout: str | None = None, quoting: bool = True,
                 skip_blank: bool = True, block_size: int = BLOCK_BYTES):
        self.path = require_file(path)
        if len(sep) != 1:
            raise DephnError(f"the separator must be one character, got {sep!r}")
        self.sep, self.header, self.layout, self.quoting = sep, header, layout, quoting
        self.skip_blank, self.block_size = skip_blank, int(block_size)
        self.on_bad_lines = check_on_bad_lines(on_bad_lines)
        first = self._first_record(split=layout is None or names is None or header)
        if header:
            self.columns = [c.strip() for c in first]
        elif names is not None:
            if len(names) != len(first) and layout is None:
                raise DataError(f"line 1 has {len(first)} fields but {len(names)} column names were given",
                                path=self.path, line=1)
            self.columns = list(names)
        else:
            self.columns = [f"col{i}" for i in range(len(first))]
        self.skipped_lines = 0
        self.skips = SkipLog()             # first skipped records, keyed by record ordinal
        self._invalid: list[int] = []      # record ordinals pyarrow skipped (wrong field count), ascending

    def _first_record(self, split: bool = True) -> list[str]:
        """Line 1's fields (with split=False, only its check: a fixed layout judges it as data)."""
        expected = ("a header line of column names" if self.header else
                    f"lines of {self.layout}" if self.layout else "delimited text lines")
        with open(self.path, "rb") as f:  # binary: a bad byte further on is not this line's fault
            for number, raw in enumerate(f, start=1):
                if raw.strip(b"\r\n"):
                    if self.header and number > 1:
                        raise DataError("line 1 is blank: expected the header", path=self.path, line=1)
                    try:
                        line = raw.decode("utf-8-sig").rstrip("\r\n")
                        return next(csv.reader([line], delimiter=self.sep)) if split else []
                    except (UnicodeDecodeError, csv.Error) as e:   # csv.Error: a field over 131072 characters
                        what = "not valid UTF-8 text" if isinstance(e, UnicodeDecodeError) else str(e)
                        raise DataError(f"{what}: expected {expected}", path=self.path, line=number) from None
        raise DataError("empty file: expected " + ("a header line and data lines" if self.header
                                                   else "data lines"), path=self.path)

    def position(self, ref: str | int) -> int:
        """The 0-based position of a column given by name or by position (DataError if absent)."""
        n = len(self.columns)
        if isinstance(ref, int) and not isinstance(ref, bool):
            if not 0 <= ref < n:
                raise DataError(f"column position {ref} is out of range: the file has {n} columns "
                                f"(positions 0..{n - 1})", path=self.path, line=1)
            return ref
        hits = [i for i, c in enumerate(self.columns) if c == ref]
        if not hits:
            shown = ", ".join(self.columns[:12]) + (", ..." if n > 12 else "")
            raise DataError(f"missing column {ref!r}; the file's columns are: {shown}",
                            path=self.path, column=str(ref))
        if len(hits) > 1:
            raise DataError(f"column name {ref!r} appears {len(hits)} times in the header; "
                            "refer to it by position", path=self.path, line=1, column=str(ref))
        return hits[0]

    def name(self, ref: str | int) -> str:
        return self.columns[self.position(ref)]

    def iter_tables(self, refs: Sequence[str | int], chunk_rows: int) -> Iterator[tuple[pa.Table, int]]:
        """(table, first) pairs: the columns `refs` as strings (null = empty field), named by `name(ref)`,
        `chunk_rows` rows (the last fewer); `first`: the 0-based record ordinal of its first row."""
        if chunk_rows < 1:
            raise DephnError(f"chunk_rows must be >= 1, got {chunk_rows}")
        positions = [self.position(r) for r in refs]
        internal = [f"f{i}" for i in range(len(self.columns))]  # unique even when header names repeat
        wanted = [internal[p] for p in positions]
        self.skipped_lines = 0
        self.skips.clear()
        self._invalid = []
        first_bad = []      # "error" mode: (record, DataError) of the first line with a wrong field count

        def on_invalid(row) -> str:
            # called by pyarrow, in file order, for a record whose field count differs from the header's;
            # pyarrow numbers the lines it reads (the non-blank ones, unless skip_blank is off), header included
            self.skipped_lines += 1
            record = row.number - (2 if self.header else 1)
            message = (f"expected {self.layout}, got {row.actual_columns}" if self.layout else
                       f"expected {row.expected_columns} fields (as on "
                       f"{'the header' if self.header else 'line 1'}), found {row.actual_columns}")
            if self.on_bad_lines == "skip":
                self._invalid.append(record)
                self.skips.add(record, message, path=self.path)
            elif not first_bad:
                first_bad.append((record, DataError(message, path=self.path, line=self.line_of(record))))
            return "skip"

        def batches() -> Iterator[pa.RecordBatch]:
            n_rows = 0   # rows yielded; before the first bad line ("error" mode) also its record ordinal
            try:
                with _unreported(on_invalid):
                    reader = pacsv.open_csv(
                        self.path,
                        read_options=pacsv.ReadOptions(column_names=internal, skip_rows=1 if self.header else 0,
                                                       block_size=self.block_size, use_threads=False),
                        parse_options=pacsv.ParseOptions(delimiter=self.sep, newlines_in_values=False,
                                                         quote_char='"' if self.quoting else False,
                                                         ignore_empty_lines=self.skip_blank,
                                                         invalid_row_handler=on_invalid),
                        # an empty field is null (missing); no other spelling ("NA", "null") is
                        convert_options=pacsv.ConvertOptions(include_columns=wanted, strings_can_be_null=True,
                                                             null_values=[""], quoted_strings_can_be_null=False,
                                                             column_types={c: pa.string() for c in wanted}))
                while True:
                    with _unreported(on_invalid):
                        batch = reader.read_next_batch()
                    if first_bad and first_bad[0][0] <= n_rows + batch.num_rows:
                        yield batch.slice(0, first_bad[0][0] - n_rows)   # the rows above the bad line
                        return
                    n_rows += batch.num_rows
                    if batch.num_rows:
                        yield batch
            except StopIteration:
                return
            except pa.ArrowInvalid as e:
                line = first_non_utf8_line(self.path)
                if line is not None:
                    raise DataError("not valid UTF-8 text: expected " + (f"lines of {self.layout}" if self.layout
                                    else "delimited text lines"), path=self.path, line=line) from None
                hint = (f" (a line longer than {self.block_size >> 20} MiB, or a quoted field holding a newline)"
                        if "straddl" in str(e) else "")
                raise DataError(f"cannot parse: {e}{hint}", path=self.path) from None

        names = [self.columns[p] for p in positions]
        n_done = 0
        for table in rechunk(batches(), chunk_rows):
            yield table.rename_columns(names), n_done
            n_done += table.num_rows
        if first_bad:
            raise first_bad[0][1]
        if n_done == 0 and self.skipped_lines == 0:
            raise DataError("no data lines" + (" after the header" if self.header else ""), path=self.path)

    def row_check(self, first: int, n_rows: int) -> RowCheck:
        """A `RowCheck` for the `n_rows` rows of a table whose first row is the `first`-th yielded record:
        lines are this file's, and rows it drops in "skip" mode are noted for `skipped_examples`."""
        return RowCheck(n_rows, path=self.path, line_of=lambda i: self.line_of(first + i),
                        on_bad_lines=self.on_bad_lines,
                        note=lambda i, message, column: self.skips.add(
                            position_among_all(first + i, self._invalid), message, path=self.path, column=column))

    @property
    def skipped_examples(self) -> list[str]:
        return self.skips.texts(line_of=self._lines_of)

    def line_of(self, ordinal: int) -> int:
        """The physical line of the record with this 0-based ordinal, by rescanning the file where blank
        lines are skipped (only error paths and skip reports ask)."""
        return self._lines_of([ordinal])[ordinal]

    def _lines_of(self, ordinals) -> dict[int, int]:
        """{ordinal: physical line} for several records, in one scan up to the last of them."""
        wanted, found = set(ordinals), {}
        if not self.skip_blank:    # every line is a record
            return {k: k + (2 if self.header else 1) for k in wanted}
        if not wanted:
            return found
        last, seen = max(wanted), -1
        with open(self.path, "rb") as f:
            for number, raw in enumerate(f, start=1):
                if (self.header and number == 1) or raw in (b"\n", b"\r\n"):
                    continue
                seen += 1
                if seen in wanted:
                    found[seen] = number
                if seen == last:
                    return found
        raise ValueError(f"{self.path} has no record number {last}")


@contextmanager
def _unreported(handler):
    """pyarrow cannot hand a wrong-field-count line that is not UTF-8 to `handler` and prints that on
    stderr as an ignored exception; it then fails, and that failure is worded (with the line) here."""
    previous = sys.unraisablehook
    sys.unraisablehook = lambda u: None if u.object is handler else previous(u)
    try:
        yield
    finally:
        sys.unraisablehook = previous


def first_non_utf8_line(path) -> int | None:
    """The 1-based number of the first line that is not valid UTF-8 (None: every line is)."""
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def iter_line_chunks(path, chunk_rows: int) -> Iterator[tuple[pa.Array, np.ndarray]]:
    """(lines, numbers): a text file's non-blank lines, `chunk_rows` physical lines at a time, as a
    string array without line endings, and their 1-based line numbers (int64). Lines split on "\\n"
    only (the Ali-CCP separators \\x01..\\x03 are ordinary characters)."""
    if chunk_rows < 1:
        raise DephnError(f"chunk_rows must be >= 1, got {chunk_rows}")
    path = require_file(path)
    number = 0
    with open(path, "rb") as f:
        while block := list(itertools.islice(f, chunk_rows)):
            lines = [raw.rstrip(b"\r\n") for raw in block]
            numbers = np.arange(number + 1, number + 1 + len(lines), dtype=np.int64)
            number += len(lines)
            keep = [i for i, line in enumerate(lines) if line]
            if len(keep) < len(lines):
                lines, numbers = [lines[i] for i in keep], numbers[keep]
            if not lines:
                continue
            try:
                arr = pa.array(lines, pa.binary()).cast(pa.string())
            except pa.ArrowInvalid:
                bad = next(i for i, line in enumerate(lines) if line.decode("utf-8", "replace").encode() != line)
                raise DataError("not valid UTF-8 text", path=path, line=int(numbers[bad])) from None
            yield arr, numbers

"""Delimited text files streamed as bounded chunks of string columns, with errors that name the line.

The CSV-like readers (Ali-CCP processed CSVs, AliExpress, WeChat-2021, user CSVs) share this:
pyarrow's streaming CSV parser reads the file block by block (never whole), only the selected
columns are materialised, every value stays a UTF-8 string until `readers.convert` parses it,
and a record with the wrong number of fields is either a `DataError` naming file and line
(`on_bad_lines="error"`) or skipped and counted (`"skip"`).

Line numbers are physical, 1-based, the header line counted. They assume one record per line
(true of every format read here): a quoted field holding a newline is read, but the lines
reported after it are one off. Blank lines are ignored, as pandas and pyarrow do.
"""
from __future__ import annotations

import csv
import itertools
from bisect import bisect_right
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ...errors import DataError, DephnError
from .convert import SkipLog

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
    """One delimited text file: its column names, and its rows as chunks of string columns.

    header: whether line 1 names the columns; names: column names without one (default "col0",
    ...). on_bad_lines: "error" | "skip" for records with a wrong field count; after a pass,
    `skipped_lines` counts them and `skipped_examples` gives the first few (with those a reader
    reported through `note_skip`), in file order.
    """

    def __init__(self, path, *, sep: str = ",", header: bool = True,
                 names: Sequence[str] | None = None, on_bad_lines: str = "error"):
        self.path = require_file(path)
        if len(sep) != 1:
            raise DephnError(f"the separator must be one character, got {sep!r}")
        self.sep, self.header = sep, header
        self.on_bad_lines = check_on_bad_lines(on_bad_lines)
        first = self._first_record()
        if header:
            self.columns = [c.strip() for c in first]
        elif names is not None:
            if len(names) != len(first):
                raise DataError(f"line 1 has {len(first)} fields but {len(names)} column names were given",
                                path=self.path, line=1)
            self.columns = list(names)
        else:
            self.columns = [f"col{i}" for i in range(len(first))]
        self.skipped_lines = 0
        self.skips = SkipLog()             # first skipped records, keyed by record ordinal
        self._invalid: list[int] = []      # record ordinals pyarrow skipped (wrong field count), ascending

    def _first_record(self) -> list[str]:
        """Fields of the first non-blank line (the header, or the first record)."""
        with open(self.path, "rb") as f:  # binary: a bad byte further on is not this line's fault
            for number, raw in enumerate(f, start=1):
                if raw.strip(b"\r\n"):
                    if self.header and number > 1:
                        raise DataError("line 1 is blank: expected the header", path=self.path, line=1)
                    try:
                        line = raw.decode("utf-8-sig").rstrip("\r\n")
                    except UnicodeDecodeError:
                        raise DataError("not valid UTF-8 text", path=self.path, line=number) from None
                    return next(csv.reader([line], delimiter=self.sep))
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
        """The column's name (header name, given name, or "col<i>")."""
        return self.columns[self.position(ref)]

    def iter_tables(self, refs: Sequence[str | int], chunk_rows: int) -> Iterator[tuple[pa.Table, int]]:
        """Yield (table, first): `table` holds the columns `refs` as strings (null where the field
        is empty), named by `name(ref)`, `chunk_rows` rows (the last chunk fewer); `first` is the
        0-based ordinal among the file's records of its first row. A header without data lines
        is a DataError."""
        if chunk_rows < 1:
            raise DephnError(f"chunk_rows must be >= 1, got {chunk_rows}")
        positions = [self.position(r) for r in refs]
        internal = [f"f{i}" for i in range(len(self.columns))]  # unique even when header names repeat
        self.skipped_lines = 0
        self.skips.clear()
        self._invalid = []
        first_bad = []

        def on_invalid(row) -> str:
            # called by pyarrow, in file order, for a record whose field count differs from the header's
            self.skipped_lines += 1
            if not first_bad:
                first_bad.append(row)
            if self.on_bad_lines == "skip":
                record = self._record_number(row)
                self._invalid.append(record)
                self.skips.add(record, self._field_count_message(row), path=self.path)
            return "skip"

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                reader = self._open(internal, [internal[p] for p in positions], on_invalid)
                while True:
                    try:
                        batch = reader.read_next_batch()
                    except StopIteration:
                        break
                    self._raise_bad_record(first_bad)
                    if batch.num_rows:
                        yield batch
            except pa.ArrowInvalid as e:
                raise DataError(_parse_error(e), path=self.path) from None
            self._raise_bad_record(first_bad)

        names = [self.columns[p] for p in positions]
        n_done = 0
        for table in rechunk(batches(), chunk_rows):
            yield table.rename_columns(names), n_done
            n_done += table.num_rows
        if n_done == 0 and self.skipped_lines == 0:
            raise DataError("no data lines" + (" after the header" if self.header else ""), path=self.path)

    def _open(self, internal: list[str], wanted: list[str], on_invalid):
        return pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(column_names=internal, skip_rows=1 if self.header else 0,
                                           block_size=BLOCK_BYTES, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=self.sep, newlines_in_values=False,
                                             ignore_empty_lines=True, invalid_row_handler=on_invalid),
            # an empty field is null (missing); no other spelling ("NA", "null") is
            convert_options=pacsv.ConvertOptions(include_columns=wanted, strings_can_be_null=True,
                                                 null_values=[""], quoted_strings_can_be_null=False,
                                                 column_types={c: pa.string() for c in wanted}),
        )

    def _raise_bad_record(self, first_bad: list) -> None:
        if first_bad and self.on_bad_lines == "error":
            row = first_bad[0]
            raise DataError(self._field_count_message(row), path=self.path, line=self.line_of(self._record_number(row)))

    def _record_number(self, row) -> int:
        """0-based ordinal, among the file's non-blank data lines, of a row pyarrow rejected
        (pyarrow numbers the non-blank lines, header included, not the physical ones)."""
        return row.number - (2 if self.header else 1)

    def _field_count_message(self, row) -> str:
        return (f"expected {row.expected_columns} fields (as on {'the header' if self.header else 'line 1'}), "
                f"found {row.actual_columns}")

    def note_skip(self, kept: int, message: str, column: str | None = None) -> None:
        """Record that a reader dropped the `kept`-th yielded record of the last pass in "skip"
        mode (for `skipped_examples`; the reader counts it itself)."""
        self.skips.add(position_among_all(kept, self._invalid), message, path=self.path, column=column)

    @property
    def skipped_examples(self) -> list[str]:
        """The first skipped lines of the last pass, in file order, one line each."""
        return self.skips.texts(line_of=self._lines_of)

    def line_of(self, ordinal: int) -> int:
        """The physical line of the record with this 0-based ordinal (among all records).
        Only error paths and skip reports call this: it rescans the file rather than keeping a
        line index for every row, skipping blank lines as the parser does."""
        return self._lines_of([ordinal])[ordinal]

    def _lines_of(self, ordinals) -> dict[int, int]:
        """{ordinal: physical line} for several records, in one scan up to the last of them."""
        wanted, found = set(ordinals), {}
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


def _parse_error(e: Exception) -> str:
    """pyarrow's parse failure (e.g. invalid UTF-8), with a hint for the one that needs it."""
    text = f"cannot parse: {e}"
    if "straddl" in str(e):
        text += f" (a line longer than {BLOCK_BYTES >> 20} MiB, or a quoted field holding a newline)"
    return text


def iter_line_chunks(path, chunk_rows: int) -> Iterator[tuple[pa.Array, np.ndarray]]:
    """The non-blank lines of a text file, `chunk_rows` physical lines at a time, for the formats
    that are not a fixed-width CSV (Ali-CCP raw feature lists, ESMM text).

    Yields (lines, numbers): the lines without their line ending as a pyarrow string array, and
    their 1-based line numbers (int64). Lines split on "\\n" only: the Ali-CCP separators
    \\x01..\\x03 are ordinary characters."""
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
                bad = next(i for i, line in enumerate(lines) if not _is_utf8(line))
                raise DataError("not valid UTF-8 text", path=path, line=int(numbers[bad])) from None
            yield arr, numbers


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True

"""Proposing a CSV spec for a user's own file: `infer_schema` reads a sample and explains each choice.

Usage: data/README.md. The sample is the first `sample_rows` data lines of a file with a header,
parsed as `CsvReader` parses them (bad lines skipped and reported). Each column's line states the
decision with its numbers (distinct values, missing share, numeric share):

- Separator: the given `sep`, else the one of `,` tab `;` `|` that splits the header into the
  most columns among those that split the most sampled lines into the header's count.
- Labels: the columns named in `labels`, each with at most 2 distinct values, each a recognised
  spelling (whitespace-trimmed, any case): 1 / true / yes / y / t / 1.0 positive; 0 / false /
  no / n / f / 0.0 / -1 negative; anything else is a `DephnError` listing the values found.
  The spellings found become the spec's `positive` / `negative` (shared by all tasks); a
  spelling whose partner never occurs in the sample gets it added (no -> yes).
- Numeric: every non-missing sampled value is a finite number ("nan" counts as missing).
- Dense: numeric columns, except integer columns with an id-like name (`id`, `user_id`,
  `itemId`, or an empty name: a written row index) and integer columns with at most
  `SMALL_INT_DISTINCT` (10) distinct values (codes such as a weekday or a rating: categorical,
  one embedding per value). With `dense=[...]`, exactly those (each numeric in the sample).
- Sparse: every other column, written as `"sparse": "rest"`.
- Row keys: a would-be sparse column whose non-missing values are (nearly) all distinct
  (unique ratio >= `ROW_KEY_RATIO`, 0.99, over at least `MIN_KEY_ROWS`, 50, values) cannot
  generalise (every value seen about once; below min_count it shares the out-of-vocabulary id
  anyway): it goes to `ignore`. Above `HIGH_CARDINALITY_RATIO` (0.9) it stays sparse, flagged.
- Dense transform: "none" when every sampled dense value lies in [-1, 1] (already scaled),
  else "log1p" (sign-preserving, for counts and amounts with a long tail).
"""
from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, DephnError
from ..fileio import atomic_write
from .readers.csv import REST, CsvSpec
from .readers.delimited import DelimitedFile, require_file

SEPARATORS = (",", "\t", ";", "|")
SNIFF_BYTES = 1 << 16
SMALL_INT_DISTINCT = 10
HIGH_CARDINALITY_RATIO = 0.9
ROW_KEY_RATIO = 0.99
MIN_KEY_ROWS = 50
POSITIVE_WORDS = ("1", "true", "yes", "y", "t", "1.0")
NEGATIVE_WORDS = ("0", "false", "no", "n", "f", "0.0", "-1")
_PARTNER = dict(zip(NEGATIVE_WORDS, ("1", "true", "yes", "y", "t", "1.0", "1")))
_PARTNER.update({p: n for n, p in list(_PARTNER.items()) if n != "-1"})
_ID_SUFFIX = re.compile(r"(^|[_\-\s.])id$", re.IGNORECASE)     # id, user_id, item-ID
_ID_CAMEL = re.compile(r"[a-z0-9](Id|ID)$")                     # itemId, userID (not "paid")


@dataclass(frozen=True)
class ColumnStats:
    """What the sample says about one column."""

    name: str
    rows: int                # sampled rows
    missing: int             # empty fields
    distinct: int            # distinct non-missing values
    numeric: int             # non-missing values that are finite numbers (or "nan")
    integer: bool            # numeric throughout, and every number whole
    max_abs: float           # largest |number| (0.0 when none)
    top: tuple[str, ...]     # the most frequent values (trimmed), at most 5
    top_counts: tuple[int, ...]   # their counts

    @property
    def present(self) -> int:
        return self.rows - self.missing

    @property
    def is_numeric(self) -> bool:
        return self.present > 0 and self.numeric == self.present

    @property
    def unique_ratio(self) -> float:
        return self.distinct / self.present if self.present else 0.0

    def numbers(self) -> str:
        """The column's numbers, as its explanation quotes them."""
        share = self.numeric / self.present if self.present else 0.0
        return (f"[{self.distinct:,} distinct, {self.missing / max(self.rows, 1):.1%} missing, "
                f"{share:.0%} numeric]")


@dataclass
class SchemaProposal:
    """A proposed CSV spec (JSON-ready `CsvSpec` fields, paths absolute), one explanation line per
    column in file order, and notes about the whole file."""

    spec: dict
    explanations: list[str]
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Notes, then one line per column: what a command prints."""
        return self.notes + self.explanations


def infer_schema(path, labels: list[str], *, dense: list[str] | None = None, sep: str | None = None,
                 sample_rows: int = 100_000) -> SchemaProposal:
    """Propose a CSV spec for the delimited file `path` (rules: the module docstring): `labels` name the
    label columns; `dense` and `sep`, when given, are taken as they are."""
    path = require_file(path)
    labels = [labels] if isinstance(labels, str) else list(labels)
    dense = [dense] if isinstance(dense, str) else (None if dense is None else list(dense))
    if not labels:
        raise DephnError("infer_schema: name at least one label column")
    if len(set(labels)) < len(labels):
        raise DephnError(f"infer_schema: a label column is named twice in {labels}")
    if sample_rows < 1:
        raise DephnError(f"sample_rows must be >= 1, got {sample_rows}")
    notes = []
    if sep is None:
        sep, why = sniff_separator(path)
        notes.append(why)
    f = DelimitedFile(path, sep=sep, header=True, on_bad_lines="skip")
    columns = f.columns
    dup = sorted({c for c in columns if columns.count(c) > 1})
    if dup:
        raise DataError(f"column name(s) {dup} appear more than once in the header: rename them so each "
                        "column can be named in the spec", path=path, line=1)
    for role, names in (("label", labels), ("dense", dense or [])):
        for name in names:
            if name not in columns:
                shown = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
                raise DataError(f"missing {role} column {name!r}; the file's columns (its header line) are: "
                                f"{shown}", path=path, column=name)
    both = sorted(set(labels) & set(dense or []))
    if both:
        raise DephnError(f"column(s) {both} are given as both labels and dense")

    table = _sample(f, sample_rows)
    stats = [column_stats(name, table.column(i)) for i, name in enumerate(columns)]
    notes.append(f"sample: the first {table.num_rows:,} data rows of {path.name}"
                 + (f"; {f.skipped_lines} malformed line(s) skipped there, e.g. {f.skipped_examples[0]} "
                    '(load with on_bad_lines="skip")' if f.skipped_lines else ""))
    by_name = {s.name: s for s in stats}

    positive, negative, explanations = set(), set(), {}
    for name in labels:
        pos, neg, explanations[name] = _label(by_name[name], path)
        positive |= pos
        negative |= neg
    _add_partners(positive, negative, notes)

    chosen_dense, ignore = [], []
    for s in stats:
        if s.name in labels:
            continue
        role, why = _feature_role(s, dense)
        if role == "dense":
            chosen_dense.append(s.name)
        elif role == "ignore":
            ignore.append(s.name)
        explanations[s.name] = f"{s.name!r}: {role} - {why} {s.numbers()}"
    n_sparse = len(columns) - len(labels) - len(chosen_dense) - len(ignore)
    if not chosen_dense and not n_sparse:
        raise DephnError(f"{path}: no feature column is left besides the labels {labels} and ignored "
                         f"row keys {ignore}")

    max_abs = max((by_name[c].max_abs for c in chosen_dense), default=0.0)
    transform = "none" if max_abs <= 1.0 else "log1p"
    if chosen_dense:
        notes.append(f"dense_transform {transform!r}: the largest |value| of a dense column is {max_abs:g} "
                     + ("(already scaled)" if transform == "none" else "(sign-preserving log1p tames long tails)"))
    spec = {"paths": [str(path.resolve())], "sep": sep, "header": True, "tasks": labels,
            "dense": chosen_dense, "sparse": REST}
    if ignore:
        spec["ignore"] = ignore
    spec.update(positive=_ordered(positive, POSITIVE_WORDS), negative=_ordered(negative, NEGATIVE_WORDS),
                dense_transform=transform)
    CsvSpec.from_dict(spec)  # the proposal must be a valid spec
    return SchemaProposal(spec=spec, explanations=[explanations[c] for c in columns], notes=notes)


def write_schema(proposal: SchemaProposal, path) -> Path:
    """Write the proposal's spec as JSON at `path` (atomically), its data paths relative to
    the JSON file's folder (as `CsvSpec.from_json` reads them). Returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    spec = dict(proposal.spec)
    if "paths" in spec:
        spec["paths"] = [_relative(p, path.parent) for p in spec["paths"]]
    return atomic_write(path, (json.dumps(spec, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))


def sniff_separator(path) -> tuple[str, str]:
    """(separator, a note saying why) for a delimited file with a header (see the module doc)."""
    path = require_file(path)
    with open(path, "rb") as fh:
        block = fh.read(SNIFF_BYTES)
        cut = fh.read(1) != b""
    try:
        text = block.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if not cut or e.start < len(block) - 4:   # not just a character cut by the block end
            raise DataError("not valid UTF-8 text: expected a header line of column names and data lines",
                            path=path, line=block[:e.start].count(b"\n") + 1) from None
        text = block[:e.start].decode("utf-8-sig")
    lines = [line for line in text.splitlines() if line.strip()]
    if cut and len(lines) > 1:
        lines = lines[:-1]                        # the last line may be cut
    if not lines:
        raise DataError("empty file: expected a header line and data lines", path=path)
    best = None
    for rank, sep in enumerate(SEPARATORS):
        rows = csv.reader(lines, delimiter=sep)
        try:
            counts = [len(fields) for fields in rows]
        except csv.Error as e:   # a field over Python's csv limit (131072 characters)
            raise DataError(f"{e}: expected a header line of column names and data lines", path=path,
                            line=rows.line_num) from None
        agree = sum(c == counts[0] for c in counts) / len(counts)
        score = (counts[0] >= 2, agree, counts[0], -rank)
        if best is None or score > best[0]:
            best = (score, sep, counts[0], agree)
    (ok, *_), sep, n, agree = best
    if not ok:
        raise DataError("cannot tell the separator: none of ',', tab, ';', '|' splits line 1 into 2 or more "
                        "columns; give sep", path=path, line=1)
    shown = "tab" if sep == "\t" else repr(sep)
    return sep, (f"separator {shown}: splits the header into {n} columns and {agree:.0%} of the first "
                 f"{len(lines)} lines alike")


def column_stats(name: str, column) -> ColumnStats:
    """The statistics of one sampled column (a pyarrow string column, null = empty field)."""
    values = column.to_pandas()
    present = values.dropna().astype(str).str.strip()
    counts = present.value_counts()
    numbers = pd.to_numeric(present, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(numbers)
    nan_word = (present.str.lower() == "nan").to_numpy()
    n_numeric = int(finite.sum() + (nan_word & ~finite).sum())
    whole = finite.any() and bool(np.all(numbers[finite] == np.floor(numbers[finite])))
    return ColumnStats(name=name, rows=len(values), missing=int(values.isna().sum()), distinct=int(len(counts)),
                       numeric=n_numeric, integer=bool(whole and n_numeric == len(present)),
                       max_abs=float(np.abs(numbers[finite]).max()) if finite.any() else 0.0,
                       top=tuple(str(v) for v in counts.index[:5]),
                       top_counts=tuple(int(c) for c in counts.to_numpy()[:5]))


def _sample(f: DelimitedFile, sample_rows: int):
    chunks = f.iter_tables(list(range(len(f.columns))), sample_rows)
    try:
        table, _ = next(chunks)
    except StopIteration:
        raise DataError("no usable data lines: every line has the wrong number of fields", path=f.path) from None
    finally:
        chunks.close()
    return table


def _label(s: ColumnStats, path) -> tuple[set, set, str]:
    """(positive spellings, negative spellings, explanation) of a label column."""
    if s.present == 0:
        raise DataError(f"label column {s.name!r} is empty in the sampled {s.rows:,} rows", path=path, column=s.name)
    found = list(s.top) if s.distinct <= 5 else []
    pos = {v for v in found if v.lower() in POSITIVE_WORDS}
    neg = {v for v in found if v.lower() in NEGATIVE_WORDS}
    if s.distinct > 2 or len(pos) + len(neg) < s.distinct:
        shown = ", ".join(map(repr, s.top)) + (", ..." if s.distinct > len(s.top) else "")
        raise DataError(f"label column {s.name!r} is not binary: {s.distinct:,} distinct values in the sample "
                        f"({shown}); a label holds at most 2 values, a positive one (1, true, yes) and a negative "
                        "one (0, false, no)", path=path, column=s.name)
    n_pos = sum(c for v, c in zip(s.top, s.top_counts) if v in pos)
    what = (f"task label: positive {sorted(pos) or 'none seen'}, negative {sorted(neg) or 'none seen'}, "
            f"positive rate {n_pos / s.present:.1%}")
    if s.missing:
        what += '; rows with an empty label are bad lines (on_bad_lines="skip" drops them)'
    return pos, neg, f"{s.name!r}: {what} {s.numbers()}"


def _add_partners(positive: set, negative: set, notes: list) -> None:
    """Add the partner spelling of a side no label showed (only "no" seen: "yes" is positive)."""
    for have, other, side in ((negative, positive, "positive"), (positive, negative, "negative")):
        if other or not have:
            continue
        word = sorted(have)[0]
        partner = _PARTNER[word.lower()]
        partner = partner.upper() if word.isupper() else partner.title() if word.istitle() else partner
        other.add(partner)
        notes.append(f"no {side} label value in the sample: {partner!r} assumed (the partner of {word!r})")


def _feature_role(s: ColumnStats, dense: list[str] | None) -> tuple[str, str]:
    """("dense" | "sparse" | "ignore", why) for a feature column."""
    if dense is not None:
        if s.name in dense:
            if not s.is_numeric:
                bad = next((v for v in s.top if not _is_number(v)), None)
                raise DephnError(f"column {s.name!r} is given as dense but {s.present - s.numeric:,} of its "
                                 f"{s.present:,} sampled values are not numbers (e.g. {bad!r})")
            return "dense", "given as dense"
        why = "not given as dense"
    elif s.is_numeric and s.integer and _looks_like_id(s.name):
        why = "integer codes under an id-like name: categorical"
    elif s.is_numeric and s.integer and s.distinct <= SMALL_INT_DISTINCT:
        why = (f"integer codes with {s.distinct} distinct values (<= {SMALL_INT_DISTINCT}): categorical, one "
               'embedding per value; list it in "dense" to keep it a number')
    elif s.is_numeric:
        return "dense", "numbers"
    elif s.present == 0:
        why = "empty in the sample"
    elif s.numeric:
        why = f"mostly text ({s.numeric:,} of {s.present:,} values are numbers): categorical"
    else:
        why = "text: categorical"
    if s.present >= MIN_KEY_ROWS and s.unique_ratio >= ROW_KEY_RATIO:
        return "ignore", (f"near-unique ({s.unique_ratio:.1%} of its values distinct): a row key, not a "
                          'feature (every value seen about once); move it from "ignore" to keep it')
    if s.unique_ratio > HIGH_CARDINALITY_RATIO and s.present >= MIN_KEY_ROWS:
        why += (f"; high cardinality ({s.unique_ratio:.1%} of its values distinct): most values occur once, "
                "and values seen fewer than min_count times in training share the out-of-vocabulary id")
    return "sparse", why


def _looks_like_id(name: str) -> bool:
    name = name.strip()
    return name == "" or bool(_ID_SUFFIX.search(name) or _ID_CAMEL.search(name))


def _is_number(text: str) -> bool:
    try:
        return np.isfinite(float(text)) or text.strip().lower() == "nan"
    except ValueError:
        return False


def _ordered(values: set, order: tuple[str, ...]) -> list[str]:
    """Spellings in the order of the recognised words (then as found)."""
    return sorted(values, key=lambda v: (order.index(v.lower()) if v.lower() in order else len(order), v))


def _relative(p: str, folder: Path) -> str:
    try:
        return os.path.relpath(p, folder)
    except ValueError:  # another drive (Windows): keep it absolute
        return p

"""Ali-CCP as released (sample_skeleton + common_features) and in PaddleRec's ESMM text layout.

Ali-CCP (Ma et al., "Entire Space Multi-Task Model", SIGIR 2018) ships per split two files:
  sample_skeleton_{train,test}.csv: sample_id, click, conversion, common feature index (md5),
      feature count, feature list
  common_features_{train,test}.csv: common feature index (md5), feature count, feature list
A feature list is items `field_id \\x02 feature_id \\x03 value` joined by `\\x01`; the common
features (user and context fields) are joined to each sample by md5.

Each sparse field takes ONE token per sample: the first item of that field, the sample's own items
before its common ones (as the usual processed versions keep); item values are not used. The ESMM
text layout (`sample_id,click,conversion,field:feature,...`) is read alike. The common-features
table (md5 -> one token per field, ~150-300 MB for the full train file) is parsed once per reader;
samples are streamed.
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Iterator, NamedTuple, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import DataError, DephnError
from ..schema import Schema
from . import convert
from .base import Reader
from .delimited import check_on_bad_lines, iter_line_chunks, require_file

# The standard Ali-CCP field set (as in torch-rechub's and PaddleRec's processed versions).
ALICCP_FIELDS = ("101", "121", "122", "124", "125", "126", "127", "128", "129", "205", "206", "207",
                 "210", "216", "508", "509", "702", "853", "301", "109_14", "110_14", "127_14", "150_14")
ALICCP_TASKS = ("click", "purchase")  # purchase = the files' "conversion" label

RAW_ITEM = "^(?P<field>[^\x01\x02\x03]+)\x02(?P<feature>[^\x01\x02\x03]+)\x03"
RAW_FORM = "field\\x02feature\\x03value"
ESMM_ITEM = "^(?P<field>[^:]+):(?P<feature>.+)$"
SKELETON_FIELDS = "sample_id, click, conversion, common feature index, feature count, feature list"
COMMON_FIELDS = "common feature index, feature count, feature list"


def default_common_path(skeleton: Path) -> Path:
    """common_features_X.csv beside sample_skeleton_X.csv."""
    name = skeleton.name
    if "sample_skeleton" not in name:
        raise DephnError(f"cannot derive the common-features file from {skeleton} (its name has no "
                         "'sample_skeleton'): pass common_features=")
    return skeleton.with_name(name.replace("sample_skeleton", "common_features"))


def _row_check(numbers: np.ndarray, path, on_bad_lines: str, log: convert.SkipLog | None = None) -> convert.RowCheck:
    """A RowCheck for rows at the 1-based lines `numbers`, noting skipped rows in `log` (if any)."""
    def note(i: int, message: str, column: str | None) -> None:
        log.add(int(numbers[i]), message, path=path, line=int(numbers[i]), column=column)
    return convert.RowCheck(len(numbers), path=path, line_of=lambda i: int(numbers[i]), on_bad_lines=on_bad_lines,
                            note=note if log is not None else None)


def first_feature_per_field(items, pattern: str, fields: Sequence[str], check: convert.RowCheck,
                            expected: str) -> dict[str, pa.Array]:
    """For each field, the first item's feature token per row (null where the row has none).

    items: list<string> array, one list of items per row; pattern: regex with groups `field`
    and `feature`; an item that does not match flags its row (`expected` says the form)."""
    n = len(items)
    flat = pc.list_flatten(items)
    parent = np.asarray(pc.list_parent_indices(items).to_numpy(zero_copy_only=False), dtype=np.int64)
    parsed = pc.extract_regex(flat, pattern)
    ok = np.asarray(parsed.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    if not ok.all():
        bad_items = np.flatnonzero(~ok)
        rows, at = np.unique(parent[bad_items], return_index=True)  # each bad row's first bad item
        first_bad = dict(zip(rows.tolist(), bad_items[at].tolist()))
        bad = np.zeros(n, dtype=bool)
        bad[rows] = True
        check.flag(bad, lambda i: f"malformed feature item {flat[first_bad[i]].as_py()!r}: expected {expected}")
    feature = pc.struct_field(parsed, "feature")
    fidx = pc.index_in(pc.struct_field(parsed, "field"), value_set=pa.array(list(fields), pa.string()))
    fidx = np.asarray(pc.fill_null(fidx, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    sel = np.flatnonzero(fidx >= 0)
    # items are in file order, so the first occurrence of (row, field) is the row's first item
    _, first = np.unique(parent[sel] * len(fields) + fidx[sel], return_index=True)
    first = sel[first]
    out = {}
    for j, name in enumerate(fields):
        pick = first[fidx[first] == j]
        idx = np.full(n, -1, dtype=np.int64)
        idx[parent[pick]] = pick
        out[name] = pc.take(feature, pa.array(idx, mask=idx < 0))
    return out


def _split_records(lines: pa.Array, numbers: np.ndarray, n_fields: int, path, on_bad_lines: str,
                   expected: str, log: convert.SkipLog | None = None) -> tuple[list[pa.Array], np.ndarray, int]:
    """Split comma-separated records into `n_fields` columns (the last keeps any further commas).
    Returns (columns, line numbers, count of records dropped for a wrong field count)."""
    parts = pc.split_pattern(lines, ",", max_splits=n_fields - 1)
    found = np.asarray(pc.list_value_length(parts).to_numpy(zero_copy_only=False))
    check = _row_check(numbers, path, on_bad_lines, log)
    check.flag(found != n_fields, lambda i: f"expected {n_fields} comma-separated fields ({expected}), "
                                            f"found {found[i]}")
    if check.bad.any():
        parts, numbers = parts.filter(pa.array(~check.bad)), numbers[~check.bad]
    return [pc.list_element(parts, k) for k in range(n_fields)], numbers, check.n_bad


def _feature_lists(text: pa.Array, declared: pa.Array | None, check: convert.RowCheck) -> pa.Array:
    """Split raw feature lists on \\x01 (an empty list has no items); check the declared count."""
    items = pc.split_pattern(convert.null_if_empty(text), "\x01")
    if declared is not None:
        count = np.asarray(pc.fill_null(pc.list_value_length(items), 0).to_numpy(zero_copy_only=False))
        stated = pd.to_numeric(declared.to_pandas(), errors="coerce").to_numpy()
        check.flag(~(stated == count), lambda i: f"feature count field says {declared[i].as_py()!r} but the "
                                                 f"feature list has {count[i]} items")
    return items


def _labels(click: pa.Array, conversion: pa.Array, check: convert.RowCheck) -> dict[str, np.ndarray]:
    return {"click": convert.labels(click, convert.BINARY, check, "click"),
            "purchase": convert.labels(conversion, convert.BINARY, check, "conversion")}


def _require_rows(n_rows: int, skipped: int, path) -> None:
    """A file that yielded no row is an error, telling a skipped-everything file from an empty one."""
    if n_rows == 0:
        raise DataError(f"no usable rows ({skipped} bad lines skipped)" if skipped
                        else "empty file: expected sample lines", path=path)


class CommonFeatures(NamedTuple):
    index: pd.Index                # md5 -> row
    columns: dict[str, pa.Array]   # field -> token per row (null: the row has no item of the field)


class _LineReader(Reader):
    """A text file of Ali-CCP samples, one per line (tasks click, purchase; no dense fields)."""

    dense_transform = "none"

    def __init__(self, path, fields: Sequence[str], on_bad_lines: str):
        self.path = require_file(path)
        self.schema = Schema(tasks=ALICCP_TASKS, dense=(), sparse=tuple(fields))
        self.on_bad_lines = check_on_bad_lines(on_bad_lines)
        self.skipped_lines = 0          # lines dropped in "skip" mode, last pass
        self.skips = convert.SkipLog()  # the first of them

    def sources(self) -> list[Path]:
        return [self.path]

    @property
    def skipped_examples(self) -> list[str]:
        return self.skips.texts()


class RawAliCCPReader(_LineReader):
    """A sample_skeleton file joined with its common_features file (default: the same name with
    "common_features"). check_feature_count: compare each line's feature-count field with its list
    (catches truncated lines); dropped common lines are counted in `skipped_common_lines`."""

    def __init__(self, path, *, common_features=None, fields: Sequence[str] = ALICCP_FIELDS,
                 check_feature_count: bool = True, on_bad_lines: str = "error", common_chunk_rows: int = 2_000):
        super().__init__(path, fields, on_bad_lines)
        self.common_path = require_file(common_features if common_features is not None
                                        else default_common_path(self.path))
        self.check_feature_count = check_feature_count
        self.common_chunk_rows = common_chunk_rows
        self.skipped_common_lines = 0

    def sources(self) -> list[Path]:
        return [self.path, self.common_path]

    @cached_property
    def common(self) -> CommonFeatures:
        """The common-features table (md5 -> one token per field), parsed on first use."""
        fields = self.schema.sparse
        keys, numbers_all, parts = [], [], {f: [] for f in fields}
        self.skipped_common_lines = 0
        for lines, numbers in iter_line_chunks(self.common_path, self.common_chunk_rows):
            (md5, declared, text), numbers, dropped = _split_records(
                lines, numbers, 3, self.common_path, self.on_bad_lines, COMMON_FIELDS)
            check = _row_check(numbers, self.common_path, self.on_bad_lines)
            items = _feature_lists(text, declared if self.check_feature_count else None, check)
            firsts = first_feature_per_field(items, RAW_ITEM, fields, check, RAW_FORM)
            keep = pa.array(~check.bad)
            keys.append(md5.filter(keep))
            numbers_all.append(numbers[~check.bad])
            for f in fields:
                parts[f].append(firsts[f].filter(keep))
            self.skipped_common_lines += dropped + check.n_bad
        if not keys:
            raise DataError("empty file: expected common-features lines", path=self.common_path)
        index = pd.Index(pa.chunked_array(keys, pa.string()).to_pandas())
        dup = np.asarray(index.duplicated())
        check = _row_check(np.concatenate(numbers_all), self.common_path, self.on_bad_lines)
        check.flag(dup, lambda i: f"common feature index {index[i]!r} appears on an earlier line too")
        columns = {f: pa.concat_arrays(parts[f]) for f in fields}
        if dup.any():  # "skip" mode: the first line of an index wins
            keep = pa.array(~dup)
            index, columns = index[~dup], {f: c.filter(keep) for f, c in columns.items()}
            self.skipped_common_lines += int(dup.sum())
        return CommonFeatures(index, columns)

    def iter_chunks(self, chunk_rows: int = 200_000) -> Iterator[pd.DataFrame]:
        common_index, common_columns = self.common
        self.skipped_lines = 0
        self.skips.clear()
        n_rows = 0
        for lines, numbers in iter_line_chunks(self.path, chunk_rows):
            (_, click, conversion, md5, declared, text), numbers, dropped = _split_records(
                lines, numbers, 6, self.path, self.on_bad_lines, SKELETON_FIELDS, self.skips)
            check = _row_check(numbers, self.path, self.on_bad_lines, self.skips)
            cols = _labels(click, conversion, check)
            items = _feature_lists(text, declared if self.check_feature_count else None, check)
            own = first_feature_per_field(items, RAW_ITEM, self.schema.sparse, check, RAW_FORM)
            at = common_index.get_indexer(md5.to_pandas())
            check.flag(at < 0, lambda i: f"common feature index {md5[i].as_py()!r} is not in {self.common_path.name}",
                       "common feature index")
            at = pa.array(at, mask=at < 0)
            for f in self.schema.sparse:
                cols[f] = convert.sparse(pc.coalesce(own[f], pc.take(common_columns[f], at)))
            frame = convert.assemble(cols, check)
            self.skipped_lines += dropped + check.n_bad
            n_rows += len(frame)
            if len(frame):
                yield frame
        _require_rows(n_rows, self.skipped_lines, self.path)


class EsmmTextReader(_LineReader):
    """PaddleRec's ESMM text layout, `sample_id,click,conversion,field:feature,...`: every item from the
    4th token on is read (PaddleRec's own reader starts at the 5th, dropping one: looks unintended)."""

    def __init__(self, path, *, fields: Sequence[str] = ALICCP_FIELDS, on_bad_lines: str = "error"):
        super().__init__(path, fields, on_bad_lines)

    def iter_chunks(self, chunk_rows: int = 200_000) -> Iterator[pd.DataFrame]:
        self.skipped_lines = 0
        self.skips.clear()
        n_rows = 0
        for lines, numbers in iter_line_chunks(self.path, chunk_rows):
            parts = pc.split_pattern(lines, ",")
            check = _row_check(numbers, self.path, self.on_bad_lines, self.skips)
            found = np.asarray(pc.list_value_length(parts).to_numpy(zero_copy_only=False))
            check.flag(found < 3, lambda i: f"expected sample_id,click,conversion,field:feature,... "
                                            f"but found {found[i]} comma-separated fields")
            if check.bad.any():  # "skip" mode: the short lines go before the columns are taken
                self.skipped_lines += check.n_bad
                parts, numbers = parts.filter(pa.array(~check.bad)), numbers[~check.bad]
                check = _row_check(numbers, self.path, self.on_bad_lines, self.skips)
            cols = _labels(pc.list_element(parts, 1), pc.list_element(parts, 2), check)
            own = first_feature_per_field(pc.list_slice(parts, 3), ESMM_ITEM, self.schema.sparse, check,
                                          "field:feature")
            for f in self.schema.sparse:
                cols[f] = convert.sparse(own[f])
            frame = convert.assemble(cols, check)
            self.skipped_lines += check.n_bad
            n_rows += len(frame)
            if len(frame):
                yield frame
        _require_rows(n_rows, self.skipped_lines, self.path)

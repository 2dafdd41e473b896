"""Any delimited text file, described by a `CsvSpec`: how users bring their own data.

The spec's keys are tabled in data/README.md ("Your own CSV"); from a dict or a JSON file (paths
relative to its folder), where an unknown key is an error. A spec may leave out `paths` and be
applied to a file given separately: `CsvReader("train.tsv", spec="spec.json")`.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Iterator, Mapping

import pandas as pd

from ...errors import DataError, DataWarning, DephnError
from ..schema import Schema
from . import convert
from .base import Reader
from .delimited import DelimitedFile

DENSE_TRANSFORMS = ("log1p", "none")
REST = "rest"   # `"sparse": "rest"`: every column not otherwise named


def _refs(value, key: str) -> tuple:
    """Column references: header names (str) or 0-based positions (int)."""
    refs = (value,) if isinstance(value, (str, int)) else tuple(value)
    for ref in refs:
        if isinstance(ref, bool) or not isinstance(ref, (str, int)) or (isinstance(ref, int) and ref < 0):
            raise DephnError(f"CsvSpec.{key}: {ref!r} is not a column name or a 0-based position")
    return refs


def _strings(value, key: str) -> tuple[str, ...]:
    """Label values, as trimmed strings."""
    values = (value,) if isinstance(value, (str, int)) else tuple(value)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise DephnError(f"CsvSpec.{key}: {v!r} is not a label value (a string)")
    return tuple(str(v).strip() for v in values)


@dataclass(frozen=True)
class CsvSpec:
    """How to read a delimited text file as a multi-task data set."""

    tasks: tuple[str | int, ...]            # binary label columns, one per task (name or position)
    paths: tuple[str, ...] = ()             # files with the same layout, read in order
    dense: tuple[str | int, ...] = ()       # numeric feature columns (empty = missing)
    sparse: tuple[str | int, ...] | str = ()  # categorical feature columns (any string; empty = missing),
                                            # or "rest": every column not named in tasks/dense/extras/ignore
    extras: tuple[str | int, ...] = ()      # numeric side columns carried along, not features
    sep: str = ","                          # one-character field separator ("\t" for TSV)
    header: bool = True                     # line 1 names the columns
    names: tuple[str, ...] | None = None    # column names when header is false (default col0, col1, ...)
    positive: tuple[str, ...] = ("1",)      # label values that mean 1
    negative: tuple[str, ...] | None = ("0",)  # label values that mean 0; null = anything else non-empty
    dense_transform: str = "log1p"          # encoder's dense transform: "log1p" (counts) or "none"
    ignore: tuple[str | int, ...] = ()      # columns not read (left out of "rest")

    def __post_init__(self):
        paths = (self.paths,) if isinstance(self.paths, (str, Path)) else tuple(self.paths)
        object.__setattr__(self, "paths", tuple(str(p) for p in paths))
        for key in ("tasks", "dense", "sparse", "extras", "ignore"):
            if not (key == "sparse" and self.sparse_is_rest):
                object.__setattr__(self, key, _refs(getattr(self, key), key))
        if not self.tasks:
            raise DephnError("CsvSpec.tasks: at least one label column is needed")
        if not (self.dense or self.sparse):
            raise DephnError("CsvSpec: at least one dense or sparse column is needed")
        if self.sparse_is_rest and not self.header and self.names is None:
            raise DephnError('CsvSpec.sparse "rest" (every column not named elsewhere) needs column names: '
                             'set header: true for a file whose line 1 names the columns, or give names')
        if not isinstance(self.sep, str) or len(self.sep) != 1:
            raise DephnError(f"CsvSpec.sep must be one character, got {self.sep!r}")
        if not isinstance(self.header, bool):
            raise DephnError(f"CsvSpec.header must be true or false, got {self.header!r}")
        if self.names is not None:
            object.__setattr__(self, "names", tuple(str(n) for n in self.names))
            if self.header:
                raise DephnError("CsvSpec.names is for files without a header (header: false)")
        object.__setattr__(self, "positive", _strings(self.positive, "positive"))
        if not self.positive:
            raise DephnError("CsvSpec.positive: at least one positive label value is needed")
        if self.negative is not None:
            object.__setattr__(self, "negative", _strings(self.negative, "negative"))
            both = sorted(set(self.positive) & set(self.negative))
            if both:
                raise DephnError(f"CsvSpec: label values {both} are both positive and negative")
        if self.dense_transform not in DENSE_TRANSFORMS:
            raise DephnError(f"CsvSpec.dense_transform must be one of {DENSE_TRANSFORMS}, "
                             f"got {self.dense_transform!r}")

    @property
    def sparse_is_rest(self) -> bool:
        return isinstance(self.sparse, str) and self.sparse == REST

    def resolve(self, f: DelimitedFile) -> "CsvSpec":
        """This spec with "rest" replaced by the names of `f`'s columns no other key uses."""
        used = {f.position(r) for r in self.tasks + self.dense + self.extras
                + (() if self.sparse_is_rest else self.sparse)}
        ignored = {f.position(r) for r in self.ignore}
        both = sorted(f.columns[i] for i in used & ignored)
        if both:
            raise DephnError(f"CsvSpec: column(s) {both} are both used and in ignore")
        if not self.sparse_is_rest:
            return self
        rest = tuple(name for i, name in enumerate(f.columns) if i not in used | ignored)
        if not (rest or self.dense):
            raise DephnError(f'CsvSpec: "sparse": "rest" leaves no column of {f.path} (all are tasks, extras '
                             "or ignored) and there is no dense column: no features")
        return replace(self, sparse=rest)

    @classmethod
    def from_dict(cls, data: Mapping, base_dir=None) -> "CsvSpec":
        """A spec from a mapping (e.g. parsed JSON); relative paths are joined to `base_dir`."""
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise DephnError(f"CsvSpec: unknown key(s) {unknown}; known keys: {known}")
        if "tasks" not in data:
            raise DephnError("CsvSpec: missing required key 'tasks'")
        data = dict(data)
        if base_dir is not None and "paths" in data:
            paths = [data["paths"]] if isinstance(data["paths"], str) else data["paths"]
            data["paths"] = [str(Path(base_dir) / p) for p in paths]
        return cls(**data)

    @classmethod
    def from_json(cls, path) -> "CsvSpec":
        """A spec from a JSON file (one object); relative paths are relative to the file's folder."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError("spec file not found", path=path) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            where = {"line": e.lineno} if isinstance(e, json.JSONDecodeError) else {}
            raise DataError(f"not valid JSON ({getattr(e, 'msg', e)}): a CSV spec is a JSON object; to read "
                            "a data file, pass its spec as well (CsvReader(data, spec=...))", path=path,
                            **where) from None
        if not isinstance(data, dict):
            raise DataError("a CSV spec must be a JSON object", path=path)
        return cls.from_dict(data, base_dir=path.parent)


def as_spec(spec: CsvSpec | Mapping | str | Path) -> CsvSpec:
    """A CsvSpec from a spec, a dict, or the path of a JSON spec file."""
    if isinstance(spec, CsvSpec):
        return spec
    if isinstance(spec, Mapping):
        return CsvSpec.from_dict(spec)
    return CsvSpec.from_json(spec)


class CsvReader(Reader):
    """Reads delimited files described by a `CsvSpec`: `source` is the spec (a CsvSpec, its dict or a
    JSON path), or, with `spec` given, the one data file. Schema names come from the first file."""

    def __init__(self, source: CsvSpec | Mapping | str | Path, *, spec: CsvSpec | Mapping | str | Path | None = None,
                 on_bad_lines: str = "error"):
        if spec is None:
            spec = as_spec(source)
        else:
            spec = replace(as_spec(spec), paths=(str(source),))
        if not spec.paths:
            raise DephnError("CsvSpec.paths: no data file given (set paths, or pass the file with spec=)")
        self.files = [DelimitedFile(p, sep=spec.sep, header=spec.header, names=spec.names,
                                    on_bad_lines=on_bad_lines) for p in spec.paths]
        self.spec = spec = spec.resolve(self.files[0])
        self._refs = spec.tasks + spec.dense + spec.sparse + spec.extras
        for f in self.files:  # every file must have every column, before any is read
            for ref in self._refs + spec.ignore:
                f.position(ref)
        first = self.files[0]
        named = [first.name(r) for r in self._refs]
        dup = sorted({n for n in named if named.count(n) > 1})
        if dup:
            raise DephnError(f"CsvSpec: column(s) {dup} are used more than once")
        nt, nd, ns = len(spec.tasks), len(spec.dense), len(spec.sparse)
        self.schema = Schema(tasks=named[:nt], dense=named[nt:nt + nd], sparse=named[nt + nd:nt + nd + ns])
        self.extras = tuple(named[nt + nd + ns:])
        self.dense_transform = spec.dense_transform
        self.labels = convert.LabelValues(spec.positive, spec.negative)
        self.skipped_lines = 0
        if not self.schema.sparse:
            warnings.warn(f"the CSV spec resolves to 0 sparse (categorical) fields: its {nd} dense column(s) "
                          'are the only features; list categorical columns in "sparse", or use "sparse": "rest"',
                          DataWarning, stacklevel=2)
        if not self.schema.dense:
            warnings.warn(f"the CSV spec resolves to 0 dense (numeric) fields: its {ns} sparse column(s) "
                          'are the only features; list numeric columns in "dense" if there are any',
                          DataWarning, stacklevel=2)

    def sources(self) -> list[Path]:
        return [f.path for f in self.files]

    @property
    def skipped_examples(self) -> list[str]:
        return convert.first_examples(f.skipped_examples for f in self.files)

    def iter_chunks(self, chunk_rows: int = 200_000) -> Iterator[pd.DataFrame]:
        self.skipped_lines = 0
        n_rows = 0
        s = self.schema
        names = s.tasks + s.dense + s.sparse + self.extras   # the columns of `_refs`, in order
        for f in self.files:
            for table, first in f.iter_tables(self._refs, chunk_rows):
                check = f.row_check(first, table.num_rows)
                cols = {}
                for k, name in enumerate(names):
                    arr, src = table.column(k), f.name(self._refs[k])
                    if name in s.tasks:
                        cols[name] = convert.labels(arr, self.labels, check, src)
                    elif name in s.sparse:
                        cols[name] = convert.sparse(arr)
                    else:  # dense and extras are numbers
                        cols[name] = convert.dense(arr, check, src)
                frame = convert.assemble(cols, check)
                self.skipped_lines += check.n_bad
                n_rows += len(frame)
                if len(frame):
                    yield frame
            self.skipped_lines += f.skipped_lines
        if n_rows == 0:
            raise DataError(f"no usable rows: all {self.skipped_lines} data lines were bad and skipped",
                            path=", ".join(self.spec.paths))

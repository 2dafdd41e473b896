"""Ali-CCP (Alibaba Click and Conversion Prediction; Ma et al., SIGIR 2018), in any of its layouts.

Tasks: click and purchase (conversion). Layouts ("auto" tells them apart by line 1):
  "torchrechub": torch-rechub's processed CSV (click, purchase, 23 label-encoded sparse fields,
      8 `D*` dense fields already min-max scaled, hence dense_transform "none");
  "aitm": PaddleRec's AITM CSV (click, purchase, 18 raw field ids);
  "raw": the released sample_skeleton + common_features files (`aliccp_raw.RawAliCCPReader`);
  "esmm": PaddleRec's ESMM text lines (`aliccp_raw.EsmmTextReader`).
In the CSV layouts `D<field>` columns are dense, the others but the labels sparse. A purchase
without a click breaks the click -> purchase funnel; torch-rechub drops such rows (2 of the 48 in
PaddleRec's AITM sample), and so does this reader by default (`unclicked_purchase="drop"`).
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Iterator, Sequence

import pandas as pd

from ...errors import DataError, DataWarning, DephnError
from .aliccp_raw import ALICCP_FIELDS, ALICCP_TASKS, EsmmTextReader, RawAliCCPReader
from .base import Reader
from .csv import CsvReader, CsvSpec
from .delimited import DelimitedFile, require_file

LAYOUTS = ("auto", "torchrechub", "aitm", "raw", "esmm")
UNCLICKED_PURCHASE = ("drop", "keep")


def detect_layout(path) -> str:
    """The Ali-CCP layout of a file, from line 1."""
    path = require_file(path)
    with open(path, "rb") as f:
        first = f.readline(1 << 20).rstrip(b"\r\n")
    if not first:
        raise DataError("empty file: expected Ali-CCP data", path=path)
    if any(sep in first for sep in (b"\x01", b"\x02", b"\x03")):
        return "raw"
    tokens = first.decode("utf-8", errors="replace").split(",")
    names = [t.strip() for t in tokens]
    if "click" in names and "purchase" in names:
        return "torchrechub" if any(_is_dense(n) for n in names) else "aitm"
    if len(tokens) > 3 and ":" in tokens[3]:
        return "esmm"
    raise DataError("cannot tell the Ali-CCP layout from line 1: expected a header with click and "
                    "purchase (processed CSV), a sample_skeleton line (raw, with \\x01/\\x02/\\x03 "
                    "feature lists) or an ESMM text line (sample_id,click,conversion,field:feature,...); "
                    f"pass layout= one of {LAYOUTS[1:]}", path=path, line=1)


def _is_dense(column: str) -> bool:
    """torch-rechub names the dense version of field X `DX` (D109_14, D508, ...)."""
    return column.startswith("D") and len(column) > 1


class AliCCPReader(Reader):
    """Ali-CCP in any layout: `path` is the data file (for "raw", the sample_skeleton file); `fields` are
    the raw and ESMM layouts' sparse fields (the CSVs take their header's)."""

    def __init__(self, path, *, layout: str = "auto", common_features=None,
                 fields: Sequence[str] = ALICCP_FIELDS, unclicked_purchase: str = "drop",
                 on_bad_lines: str = "error"):
        if layout not in LAYOUTS:
            raise DephnError(f"Ali-CCP layout must be one of {LAYOUTS}, got {layout!r}")
        if unclicked_purchase not in UNCLICKED_PURCHASE:
            raise DephnError(f"unclicked_purchase must be one of {UNCLICKED_PURCHASE}, got {unclicked_purchase!r}")
        self.layout = detect_layout(path) if layout == "auto" else layout
        if common_features is not None and self.layout != "raw":
            raise DephnError(f"common_features is for the raw layout, not {self.layout!r}")
        if self.layout == "raw":
            self.inner: Reader = RawAliCCPReader(path, common_features=common_features, fields=fields,
                                                 on_bad_lines=on_bad_lines)
        elif self.layout == "esmm":
            self.inner = EsmmTextReader(path, fields=fields, on_bad_lines=on_bad_lines)
        else:
            with warnings.catch_warnings():   # a layout without dense fields is Ali-CCP's, not a mistake
                warnings.simplefilter("ignore", DataWarning)
                self.inner = CsvReader(self._csv_spec(path), on_bad_lines=on_bad_lines)
        self.schema = self.inner.schema
        self.dense_transform = "none"  # no dense fields, or torch-rechub's already scaled to [0, 1]
        self.unclicked_purchase = unclicked_purchase
        self.skipped_lines = 0
        self.dropped_unclicked_purchases = 0

    @staticmethod
    def _csv_spec(path) -> CsvSpec:
        header = DelimitedFile(path).columns
        for task in ALICCP_TASKS:
            if task not in header:
                raise DataError(f"missing column {task!r}: an Ali-CCP CSV has click and purchase labels",
                                path=path, column=task)
        features = [c for c in header if c not in ALICCP_TASKS]
        return CsvSpec(paths=(str(path),), tasks=ALICCP_TASKS, dense=[c for c in features if _is_dense(c)],
                       sparse=[c for c in features if not _is_dense(c)], dense_transform="none")

    def sources(self) -> list[Path]:
        return self.inner.sources()

    @property
    def skipped_examples(self) -> list[str]:
        return self.inner.skipped_examples

    def iter_chunks(self, chunk_rows: int = 200_000) -> Iterator[pd.DataFrame]:
        self.dropped_unclicked_purchases = 0
        for frame in self.inner.iter_chunks(chunk_rows):
            self.skipped_lines = self.inner.skipped_lines
            if self.unclicked_purchase == "drop":
                odd = (frame["purchase"] == 1) & (frame["click"] == 0)
                if odd.any():
                    self.dropped_unclicked_purchases += int(odd.sum())
                    frame = frame.loc[~odd].reset_index(drop=True)
            if len(frame):
                yield frame
        self.skipped_lines = self.inner.skipped_lines

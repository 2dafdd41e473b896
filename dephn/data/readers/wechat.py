"""WeChat Big Data Challenge 2021 (WeChat Channels short videos): user actions joined with feed info.

Files (the challenge's `wechat_algo_data1/`):
  user_action.csv: userid, feedid, date_, device, read_comment, comment, like, play, stay,
      click_avatar, forward, follow, favorite (one row per user x feed exposure)
  feed_info.csv: feedid, authorid, videoplayseconds, bgm_song_id, bgm_singer_id,
      manual_tag_list, ... (other text columns unused)
Tasks: any of the seven action columns (defaults: docs/decisions.md#data-formats). Features: sparse
userid, feedid, device, authorid, bgm_song_id, bgm_singer_id (optionally the first manual tag);
dense videoplayseconds (log1p). `date_` (day 1..14) is carried as an extra, so a split by day stays
possible; `play` and `stay` leak the labels and are not features. feed_info (~106k feeds) is held
in memory by feedid; user_action (~7.3M rows) is streamed.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import DataError, DephnError
from ..schema import Schema
from . import convert
from .base import Reader
from .delimited import DelimitedFile

WECHAT_ACTIONS = ("read_comment", "comment", "like", "click_avatar", "forward", "follow", "favorite")
WECHAT_TASKS = ("read_comment", "like", "click_avatar", "forward")
WECHAT_PAPER_TASKS = ("read_comment", "like", "click_avatar")
ACTION_SPARSE = ("userid", "feedid", "device")
FEED_SPARSE = ("authorid", "bgm_song_id", "bgm_singer_id")
FEED_DENSE = ("videoplayseconds",)
MANUAL_TAG = "manual_tag"  # the first tag of manual_tag_list ("tag;tag;...")


@dataclass
class FeedTable:
    """feed_info.csv in memory: feedid index -> feed features."""

    index: pd.Index                 # feedid -> row
    sparse: dict[str, pa.Array]     # token per feed (null = missing)
    dense: dict[str, np.ndarray]    # float64 per feed (NaN = missing)


class WeChatReader(Reader):
    """user_action.csv (`path`, or the folder holding it) joined on feedid with feed_info.csv (default:
    beside it). on_bad_lines applies to user_action; a bad feed_info line is always an error."""

    dense_transform = "log1p"

    def __init__(self, path, *, feed_info=None, tasks: Sequence[str] = WECHAT_TASKS, manual_tag: bool = False,
                 keep_date: bool = True, on_bad_lines: str = "error"):
        path = Path(path)
        user_action = path / "user_action.csv" if path.is_dir() else path
        feed_info = Path(feed_info) if feed_info is not None else user_action.with_name("feed_info.csv")
        tasks = (tasks,) if isinstance(tasks, str) else tuple(tasks)
        unknown = [t for t in tasks if t not in WECHAT_ACTIONS]
        if unknown or not tasks or len(set(tasks)) < len(tasks):
            raise DephnError(f"WeChat tasks must be distinct action columns among {WECHAT_ACTIONS}, got {tasks}")
        self.actions = DelimitedFile(user_action, on_bad_lines=on_bad_lines)
        self.feeds = DelimitedFile(feed_info, on_bad_lines="error")
        self.manual_tag, self.keep_date = manual_tag, keep_date
        self._action_cols = ACTION_SPARSE + (("date_",) if keep_date else ()) + tasks
        self._feed_cols = ("feedid",) + FEED_SPARSE + FEED_DENSE + (("manual_tag_list",) if manual_tag else ())
        for ref in self._action_cols:  # fail before reading when a column is missing
            self.actions.position(ref)
        for ref in self._feed_cols:
            self.feeds.position(ref)
        self.schema = Schema(tasks=tasks, dense=FEED_DENSE,
                             sparse=ACTION_SPARSE + FEED_SPARSE + ((MANUAL_TAG,) if manual_tag else ()))
        self.extras = ("date_",) if keep_date else ()
        self.skipped_lines = 0

    def sources(self) -> list[Path]:
        return [self.actions.path, self.feeds.path]

    @property
    def skipped_examples(self) -> list[str]:
        return self.actions.skipped_examples

    @cached_property
    def feed_table(self) -> FeedTable:
        """feed_info parsed (on first use, then kept)."""
        f = self.feeds
        keys, sparse, dense = [], {c: [] for c in FEED_SPARSE}, {c: [] for c in FEED_DENSE}
        tags = []
        for table, first in f.iter_tables(self._feed_cols, 50_000):
            check = f.row_check(first, table.num_rows)
            keys.append(table.column("feedid"))
            for c in FEED_SPARSE:
                sparse[c].append(convert.null_if_empty(table.column(c)))
            for c in FEED_DENSE:
                dense[c].append(convert.dense(table.column(c), check, c))
            if self.manual_tag:
                first_tag = pc.list_element(pc.split_pattern(table.column("manual_tag_list"), ";"), 0)
                tags.append(convert.null_if_empty(pc.utf8_trim_whitespace(first_tag)))
        index = pd.Index(pa.chunked_array(keys, pa.string()).to_pandas())
        dup = np.flatnonzero(np.asarray(index.duplicated()))
        if len(dup):
            raise DataError(f"feedid {index[dup[0]]!r} appears on an earlier line too", path=f.path,
                            line=f.line_of(int(dup[0])), column="feedid")
        sparse_cols = {c: pa.chunked_array(v, pa.string()).combine_chunks() for c, v in sparse.items()}
        if self.manual_tag:
            sparse_cols[MANUAL_TAG] = pa.chunked_array(tags, pa.string()).combine_chunks()
        return FeedTable(index=index, sparse=sparse_cols, dense={c: np.concatenate(v) for c, v in dense.items()})

    def iter_chunks(self, chunk_rows: int = 200_000) -> Iterator[pd.DataFrame]:
        feeds = self.feed_table
        a = self.actions
        self.skipped_lines = 0
        n_rows = 0
        for table, first in a.iter_tables(self._action_cols, chunk_rows):
            check = a.row_check(first, table.num_rows)
            cols = {t: convert.labels(table.column(t), convert.BINARY, check, t) for t in self.schema.tasks}
            feedid = table.column("feedid")
            at = feeds.index.get_indexer(feedid.to_pandas())
            check.flag(at < 0, lambda i: f"feedid {feedid[i].as_py()!r} is not in {self.feeds.path.name}", "feedid")
            safe = np.where(at < 0, 0, at)  # rows with an unknown feed are bad; any row stands in
            for c in FEED_DENSE:
                cols[c] = feeds.dense[c][safe]
            for c in ACTION_SPARSE:
                cols[c] = convert.sparse(table.column(c))
            taken = pa.array(at, mask=at < 0)
            for c, values in feeds.sparse.items():
                cols[c] = convert.sparse(pc.take(values, taken))
            for c in self.extras:
                cols[c] = convert.dense(table.column(c), check, c)
            frame = convert.assemble(cols, check)
            self.skipped_lines += check.n_bad
            n_rows += len(frame)
            if len(frame):
                yield frame
        self.skipped_lines += a.skipped_lines
        if n_rows == 0:
            raise DataError(f"no usable rows: all {self.skipped_lines} data lines were bad and skipped", path=a.path)

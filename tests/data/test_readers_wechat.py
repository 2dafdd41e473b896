"""WeChat-2021 reader on files generated in the challenge's layout (no public sample exists)."""
from __future__ import annotations

import pandas as pd
import pytest

from dephn.data.readers.wechat import WECHAT_TASKS, WeChatReader
from dephn.errors import DataError, DephnError
from tests.data._reader_fixtures import read_all, write_wechat


@pytest.fixture
def wechat(tmp_path):
    return write_wechat(tmp_path / "wechat_algo_data1", n_rows=240, n_feeds=50, n_users=30, seed=11)


def test_default_schema_and_join(wechat):
    r = WeChatReader(wechat.path.parent)
    assert r.schema.tasks == WECHAT_TASKS == ("read_comment", "like", "click_avatar", "forward")
    assert r.schema.dense == ("videoplayseconds",) and r.extras == ("date_",) and r.dense_transform == "log1p"
    assert r.schema.sparse == ("userid", "feedid", "device", "authorid", "bgm_song_id", "bgm_singer_id")
    got = read_all(r)
    assert "play" not in got and "stay" not in got  # leakage: never features
    pd.testing.assert_frame_equal(got, wechat.expected[list(got.columns)])
    assert got["bgm_song_id"].isna().any() and got["read_comment"].sum() > 0


def test_chunking_does_not_change_the_result(wechat):
    whole = read_all(WeChatReader(wechat.path.parent, manual_tag=True))
    pd.testing.assert_frame_equal(read_all(WeChatReader(wechat.path, manual_tag=True), chunk_rows=13), whole)
    assert whole["manual_tag"].equals(wechat.expected["manual_tag"]) and whole["manual_tag"].isna().any()


def test_task_subset_explicit_feed_file_and_no_date(wechat, tmp_path):
    moved = tmp_path / "feeds.csv"
    moved.write_bytes(wechat.paths[1].read_bytes())
    r = WeChatReader(wechat.path, feed_info=moved, tasks=["like", "follow"], keep_date=False)
    got = read_all(r)
    assert r.schema.tasks == ("like", "follow") and r.extras == () and "date_" not in got
    assert got["follow"].tolist() == wechat.expected["follow"].tolist()
    assert r.sources() == [wechat.path, moved]
    with pytest.raises(DephnError, match="distinct action columns"):
        WeChatReader(wechat.path, tasks=["play"])
    with pytest.raises(DephnError, match="distinct action columns"):
        WeChatReader(wechat.path, tasks=["like", "like"])


def test_unknown_feed_names_feedid_file_and_line(wechat):
    lines = wechat.path.read_text().splitlines()
    fields = lines[5].split(",")
    fields[1] = "999999"
    lines[5] = ",".join(fields)
    wechat.path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"user_action\.csv, line 6, column 'feedid': feedid '999999' is not in "
                                        r"feed_info\.csv") as e:
        read_all(WeChatReader(wechat.path))
    r = WeChatReader(wechat.path, on_bad_lines="skip")
    assert len(read_all(r)) == 239 and r.skipped_lines == 1
    assert r.skipped_examples == [str(e.value)]


def test_bad_feed_info_lines_are_errors(wechat):
    feeds = pd.read_csv(wechat.paths[1], dtype=str, keep_default_na=False)
    dup = pd.concat([feeds, feeds.iloc[[3]]], ignore_index=True)
    dup.to_csv(wechat.paths[1], index=False)
    with pytest.raises(DataError, match=rf"feed_info\.csv, line {len(feeds) + 2}, column 'feedid': feedid "
                                        rf"'{feeds.feedid[3]}' appears on an earlier line"):
        read_all(WeChatReader(wechat.path))
    feeds.loc[4, "videoplayseconds"] = "long"
    feeds.to_csv(wechat.paths[1], index=False)
    with pytest.raises(DataError, match=r"feed_info\.csv, line 6, column 'videoplayseconds': dense value 'long'"):
        read_all(WeChatReader(wechat.path, on_bad_lines="skip"))  # skip covers user_action only
    feeds.drop(columns=["bgm_singer_id"]).to_csv(wechat.paths[1], index=False)
    with pytest.raises(DataError, match=r"feed_info\.csv.*missing column 'bgm_singer_id'"):
        WeChatReader(wechat.path)


def test_missing_files_and_columns(wechat, tmp_path):
    with pytest.raises(DataError, match=r"user_action\.csv: file not found"):
        WeChatReader(tmp_path)
    actions = pd.read_csv(wechat.path).drop(columns=["click_avatar"])
    actions.to_csv(wechat.path, index=False)
    with pytest.raises(DataError, match=r"user_action\.csv.*missing column 'click_avatar'"):
        WeChatReader(wechat.path)
    assert len(read_all(WeChatReader(wechat.path, tasks=["read_comment", "like"]))) == 240

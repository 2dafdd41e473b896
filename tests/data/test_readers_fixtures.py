"""The layout file generators: deterministic, in layout, and rich enough to exercise the readers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dephn.data.readers.aliccp_raw import ALICCP_FIELDS
from tests.data import _reader_fixtures as fx

WRITERS = {
    "aliccp_raw": lambda d, seed: fx.write_aliccp_raw(d, n_rows=80, seed=seed),
    "aliccp_esmm": lambda d, seed: fx.write_aliccp_esmm(d / "e.txt", n_rows=40, seed=seed),
    "aliccp_torchrechub": lambda d, seed: fx.write_aliccp_csv(d / "t.csv", n_rows=40, seed=seed),
    "aliccp_aitm": lambda d, seed: fx.write_aliccp_csv(d / "a.csv", layout="aitm", n_rows=40, seed=seed),
    "aliexpress": lambda d, seed: fx.write_aliexpress(d / "ae.csv", n_rows=40, seed=seed),
    "wechat": lambda d, seed: fx.write_wechat(d, n_rows=40, seed=seed),
    "csv": lambda d, seed: fx.write_csv_example(d, n_rows=40, seed=seed),
}


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, name):
    a = WRITERS[name](tmp_path / "a", 0)
    b = WRITERS[name](tmp_path / "b", 0)
    c = WRITERS[name](tmp_path / "c", 1)
    assert [p.read_bytes() for p in a.paths] == [p.read_bytes() for p in b.paths]
    assert a.paths[0].read_bytes() != c.paths[0].read_bytes()
    pd.testing.assert_frame_equal(a.expected, b.expected)
    assert a.path == a.paths[0]
    assert len(a.expected) == (80 if name == "aliccp_raw" else 40)


def test_raw_aliccp_has_what_the_reader_must_handle(tmp_path):
    f = fx.write_aliccp_raw(tmp_path, n_rows=300, seed=0)
    e = f.expected
    assert list(e.columns) == ["click", "purchase", *ALICCP_FIELDS]
    assert ((e["purchase"] == 1) & (e["click"] == 0)).any() and (e["purchase"] == 1).sum() > 5
    assert e["509"].isna().mean() > 0.3 and e["101"].notna().mean() > 0.7
    skeleton = f.paths[0].read_text().splitlines()
    # multi-item fields: some line lists a field twice (the reader must take the first)
    assert any(line.split(",")[5].count("210\x02") > 1 for line in skeleton)
    fields = [line.split(",") for line in skeleton]
    assert all(int(parts[4]) == (len(parts[5].split("\x01")) if parts[5] else 0) for parts in fields)
    md5s = {line.split(",")[0] for line in f.paths[1].read_text().splitlines()}
    assert {parts[3] for parts in fields} <= md5s


def test_wechat_fixture_layout(tmp_path):
    f = fx.write_wechat(tmp_path, n_rows=50, n_feeds=20, seed=0)
    actions = pd.read_csv(f.paths[0])
    feeds = pd.read_csv(f.paths[1])
    assert list(actions.columns) == ["userid", "feedid", "date_", "device", "read_comment", "comment", "like",
                                     "play", "stay", "click_avatar", "forward", "follow", "favorite"]
    assert list(feeds.columns) == ["feedid", "authorid", "videoplayseconds", "description", "ocr", "asr",
                                   "bgm_song_id", "bgm_singer_id", "manual_keyword_list", "machine_keyword_list",
                                   "manual_tag_list", "machine_tag_list", "description_char", "ocr_char", "asr_char"]
    assert feeds["feedid"].is_unique and set(actions["feedid"]) <= set(feeds["feedid"])
    assert np.all(actions["stay"] >= actions["play"])

"""Ali-CCP reader: layout detection, the shared samples of each processed layout, the purchase rule."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dephn.data.readers.aliccp import AliCCPReader, detect_layout
from dephn.data.readers.aliccp_raw import ALICCP_FIELDS
from dephn.errors import DataError, DephnError
from tests.data._reader_fixtures import (read_all, sample, write, write_aliccp_csv, write_aliccp_esmm,
                                        write_aliccp_raw)

TORCHRECHUB = ["torchrechub_ali_ccp_train_sample.csv", "torchrechub_ali_ccp_val_sample.csv",
               "torchrechub_ali_ccp_test_sample.csv"]


@pytest.mark.parametrize("name", TORCHRECHUB)
def test_torchrechub_sample_matches_an_independent_pandas_read(name):
    path = sample(f"aliccp/{name}")
    r = AliCCPReader(path)
    assert r.layout == "torchrechub" and r.schema.tasks == ("click", "purchase")
    assert r.schema.sparse == ALICCP_FIELDS and r.schema.dense == ("D109_14", "D110_14", "D127_14", "D150_14",
                                                                   "D508", "D509", "D702", "D853")
    got = read_all(r, chunk_rows=13)
    ref = pd.read_csv(path, dtype={f: str for f in ALICCP_FIELDS})
    assert len(got) == len(ref) and r.dropped_unclicked_purchases == 0
    np.testing.assert_array_equal(got[["click", "purchase"]].to_numpy(), ref[["click", "purchase"]].to_numpy())
    np.testing.assert_array_equal(got[list(r.schema.dense)].to_numpy(), ref[list(r.schema.dense)].to_numpy())
    assert got[list(ALICCP_FIELDS)].astype(object).equals(ref[list(ALICCP_FIELDS)].astype(object))


def test_aitm_sample_drops_purchases_without_click_unless_kept():
    path = sample("aliccp/paddlerec_aitm_sample_train.csv")
    ref = pd.read_csv(path, dtype=str)
    odd = int(((ref["click"] == "0") & (ref["purchase"] == "1")).sum())
    assert odd == 2  # the sample's own oddity, the reason the rule exists
    dropped = AliCCPReader(path)
    got = read_all(dropped, chunk_rows=10)
    assert dropped.layout == "aitm" and dropped.schema.dense == () and len(dropped.schema.sparse) == 18
    assert len(got) == len(ref) - odd and dropped.dropped_unclicked_purchases == odd
    assert not ((got["click"] == 0) & (got["purchase"] == 1)).any()
    kept = read_all(AliCCPReader(path, unclicked_purchase="keep"))
    assert len(kept) == len(ref) and kept["205"].tolist() == ref["205"].tolist()


def test_esmm_sample_takes_the_first_item_of_each_field():
    path = sample("aliccp/paddlerec_esmm_small_train.txt")
    r = AliCCPReader(path, unclicked_purchase="keep")
    got = read_all(r, chunk_rows=3)
    assert r.layout == "esmm" and len(got) == 10
    # reference: plain Python over the same lines
    for k, line in enumerate(path.read_text().splitlines()):
        tokens = line.split(",")
        assert (got["click"][k], got["purchase"][k]) == (int(tokens[1]), int(tokens[2]))
        first = {}
        for item in tokens[3:]:
            field, feature = item.split(":")
            first.setdefault(field, feature)
        for field in ALICCP_FIELDS:
            value = got[field][k]
            assert (None if pd.isna(value) else value) == first.get(field)
    assert got["150_14"].notna().all() and got["126"].isna().all()  # multi-item and absent fields


@pytest.mark.parametrize("layout", ["torchrechub", "aitm"])
def test_generated_csv_layouts_round_trip(tmp_path, layout):
    fx = write_aliccp_csv(tmp_path / "p.csv", layout=layout, n_rows=90, seed=2)
    r = AliCCPReader(fx.path, unclicked_purchase="keep")
    assert r.layout == layout
    pd.testing.assert_frame_equal(read_all(r, chunk_rows=20), fx.expected)


def test_detect_layout_on_generated_files(tmp_path):
    raw = write_aliccp_raw(tmp_path / "raw", n_rows=20)
    assert detect_layout(raw.paths[0]) == "raw"
    assert detect_layout(write_aliccp_esmm(tmp_path / "e.txt", n_rows=5).path) == "esmm"
    with pytest.raises(DataError, match=r"x\.csv, line 1: cannot tell the Ali-CCP layout"):
        detect_layout(write(tmp_path, "x.csv", "a,b,c\n1,2,3\n"))
    with pytest.raises(DataError, match="empty file"):
        detect_layout(write(tmp_path, "e.csv", ""))


def test_forced_layout_and_raw_through_the_facade(tmp_path):
    fx = write_aliccp_raw(tmp_path, n_rows=60, seed=4)
    r = AliCCPReader(fx.path, layout="raw")
    got = read_all(r)
    expected = fx.expected
    odd = (expected["purchase"] == 1) & (expected["click"] == 0)
    assert odd.any()  # the fixture holds some, so the rule is exercised
    pd.testing.assert_frame_equal(got, expected[~odd].reset_index(drop=True))
    assert r.dropped_unclicked_purchases == int(odd.sum()) and r.sources() == list(fx.paths)


def test_missing_label_column_and_bad_options(tmp_path):
    path = write(tmp_path, "p.csv", "click,purchase,101\n0,0,5\n")
    with pytest.raises(DataError, match=r"q\.csv.*missing column 'purchase'"):
        AliCCPReader(write(tmp_path, "q.csv", "click,buy,101\n0,0,5\n"), layout="aitm")
    with pytest.raises(DephnError, match="layout must be one of"):
        AliCCPReader(path, layout="parquet")
    with pytest.raises(DephnError, match="unclicked_purchase"):
        AliCCPReader(path, unclicked_purchase="fix")
    with pytest.raises(DephnError, match="common_features is for the raw layout"):
        AliCCPReader(path, common_features=path)


def test_bad_label_in_processed_csv_names_line_and_skip_counts(tmp_path):
    path = write(tmp_path, "p.csv", "click,purchase,101,D101\n0,0,5,0.5\n1,x,6,0.1\n1,1,7,0.2\n")
    with pytest.raises(DataError, match=r"p\.csv, line 3, column 'purchase': label 'x'"):
        read_all(AliCCPReader(path))
    r = AliCCPReader(path, on_bad_lines="skip")
    assert read_all(r)["101"].tolist() == ["5", "7"] and r.skipped_lines == 1
    assert r.skipped_examples == [f"{path}, line 3, column 'purchase': label 'x' is not binary: "
                                  "expected '1' (positive) or '0' (negative)"]

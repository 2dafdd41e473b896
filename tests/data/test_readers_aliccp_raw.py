"""Raw Ali-CCP (sample_skeleton joined with common_features) and the ESMM text layout."""
from __future__ import annotations

import pandas as pd
import pytest

from dephn.data.readers.aliccp_raw import EsmmTextReader, RawAliCCPReader, default_common_path
from dephn.errors import DataError, DephnError
from tests.data._reader_fixtures import read_all, write, write_aliccp_esmm, write_aliccp_raw

FIELDS = ("101", "205", "210", "150_14")


def items(*triples) -> str:
    return "\x01".join(f"{f}\x02{i}\x03{v}" for f, i, v in triples)


def raw_pair(tmp_path, skeleton_lines, common_lines):
    skeleton = write(tmp_path, "sample_skeleton_train.csv", "".join(line + "\n" for line in skeleton_lines))
    write(tmp_path, "common_features_train.csv", "".join(line + "\n" for line in common_lines))
    return skeleton


COMMON = [f"u1,3,{items(('101', 'U1', '1.0'), ('150_14', 'h1', '0.5'), ('150_14', 'h2', '0.7'))}",
          f"u2,1,{items(('101', 'U2', '1.0'))}"]


def test_join_takes_first_item_per_field_own_before_common(tmp_path):
    skeleton = raw_pair(tmp_path, [
        f"1,1,0,u1,3,{items(('210', 't1', '1.0'), ('205', 'i1', '1.0'), ('210', 't2', '1.0'))}",
        f"2,0,0,u1,2,{items(('205', 'i2', '1.0'), ('150_14', 'own', '1.0'))}",
        "3,1,1,u1,0,",  # no own items: everything comes from the common line
        f"4,0,0,u2,1,{items(('150_14', 'h9', '1.0'))}",
    ], COMMON)
    r = RawAliCCPReader(skeleton, fields=FIELDS)
    got = read_all(r)
    assert got["click"].tolist() == [1, 0, 1, 0] and got["purchase"].tolist() == [0, 0, 1, 0]
    assert got["210"].iloc[0] == "t1" and pd.isna(got["210"].iloc[1])
    # the sample's own item wins over the user's (both exist for line 2)
    assert got["150_14"].tolist() == ["h1", "own", "h1", "h9"]
    assert got["101"].tolist() == ["U1", "U1", "U1", "U2"] and got["205"].tolist()[:2] == ["i1", "i2"]
    assert r.sources() == [skeleton, tmp_path / "common_features_train.csv"] and r.dense_transform == "none"


def test_fixture_round_trip_independent_of_chunk_sizes(tmp_path):
    fx = write_aliccp_raw(tmp_path, n_rows=250, n_users=30, seed=7)
    whole = read_all(RawAliCCPReader(fx.path))
    pd.testing.assert_frame_equal(whole, fx.expected)
    small = RawAliCCPReader(fx.path, common_chunk_rows=4)
    pd.testing.assert_frame_equal(read_all(small, chunk_rows=17), whole)
    assert small.common.index.size == 30


def test_common_file_location(tmp_path):
    assert default_common_path(tmp_path / "sample_skeleton_test.csv") == tmp_path / "common_features_test.csv"
    with pytest.raises(DephnError, match="pass common_features="):
        default_common_path(tmp_path / "samples.csv")
    skeleton = write(tmp_path, "sample_skeleton_train.csv", "1,0,0,u1,0,\n")
    with pytest.raises(DataError, match=r"common_features_train\.csv: file not found"):
        RawAliCCPReader(skeleton)
    other = write(tmp_path, "users.csv", COMMON[0] + "\n")
    assert read_all(RawAliCCPReader(skeleton, common_features=other, fields=FIELDS))["101"].tolist() == ["U1"]


@pytest.mark.parametrize("line, message", [
    ("2,0,0,u1", r"line 2: expected 6 comma-separated fields \(sample_id, .*\), found 4"),
    (f"2,0,3,u1,1,{items(('205', 'i', '1'))}", r"line 2, column 'conversion': label '3' is not binary"),
    ("2,0,0,u1,2," + items(("205", "i", "1")), r"line 2: feature count field says '2' but the feature list has 1"),
    ("2,0,0,u1,1,205\x02i", r"line 2: malformed feature item '205\\x02i': expected field\\x02feature\\x03value"),
    (f"2,0,0,u9,1,{items(('205', 'i', '1'))}", r"line 2, column 'common feature index': common feature index "
                                                r"'u9' is not in common_features_train\.csv"),
])
def test_bad_skeleton_lines_name_file_and_line(tmp_path, line, message):
    good = f"1,0,0,u1,1,{items(('205', 'i', '1'))}"
    skeleton = raw_pair(tmp_path, [good, line, good], COMMON)
    with pytest.raises(DataError, match=r"sample_skeleton_train\.csv, " + message) as e:
        read_all(RawAliCCPReader(skeleton, fields=FIELDS))
    r = RawAliCCPReader(skeleton, fields=FIELDS, on_bad_lines="skip")
    assert len(read_all(r)) == 2 and r.skipped_lines == 1
    assert r.skipped_examples == [str(e.value)]


def test_feature_count_check_can_be_turned_off(tmp_path):
    skeleton = raw_pair(tmp_path, ["1,0,0,u1,7," + items(("205", "i", "1"))], COMMON)
    assert read_all(RawAliCCPReader(skeleton, fields=FIELDS, check_feature_count=False))["205"].tolist() == ["i"]


def test_bad_common_lines(tmp_path):
    skeleton = raw_pair(tmp_path, ["1,0,0,u1,0,"], COMMON + [COMMON[0]])
    with pytest.raises(DataError, match=r"common_features_train\.csv, line 3: common feature index 'u1' "
                                        "appears on an earlier line"):
        read_all(RawAliCCPReader(skeleton, fields=FIELDS))
    r = RawAliCCPReader(skeleton, fields=FIELDS, on_bad_lines="skip")
    assert read_all(r)["150_14"].tolist() == ["h1"] and r.skipped_common_lines == 1
    skeleton = raw_pair(tmp_path, ["1,0,0,u1,0,"], ["u1,x"])
    with pytest.raises(DataError, match=r"common_features_train\.csv, line 1: expected 3 comma-separated"):
        read_all(RawAliCCPReader(skeleton, fields=FIELDS))


def test_empty_raw_files(tmp_path):
    skeleton = raw_pair(tmp_path, [], COMMON)
    with pytest.raises(DataError, match=r"sample_skeleton_train\.csv: empty file"):
        read_all(RawAliCCPReader(skeleton))
    skeleton = raw_pair(tmp_path, ["1,0,0,u1,0,"], [])
    with pytest.raises(DataError, match=r"common_features_train\.csv: empty file"):
        read_all(RawAliCCPReader(skeleton))


def test_esmm_fixture_round_trip_and_bad_lines(tmp_path):
    fx = write_aliccp_esmm(tmp_path / "e.txt", n_rows=80, seed=1)
    pd.testing.assert_frame_equal(read_all(EsmmTextReader(fx.path), chunk_rows=9), fx.expected)
    bad = write(tmp_path, "b.txt", "1,0,0,101:5\n2,1\n3,1,0,101-7\n4,1,1,101:8\n")
    with pytest.raises(DataError, match=r"b\.txt, line 2: expected sample_id,click,conversion"):
        read_all(EsmmTextReader(bad))
    r = EsmmTextReader(bad, on_bad_lines="skip")
    assert read_all(r)["101"].tolist() == ["5", "8"] and r.skipped_lines == 2
    assert [e.split(": ")[0] for e in r.skipped_examples] == [f"{bad}, line 2", f"{bad}, line 3"]
    with pytest.raises(DataError, match=r"line 3: malformed feature item '101-7': expected field:feature"):
        read_all(EsmmTextReader(write(tmp_path, "c.txt", "1,0,0,101:5\n\n3,1,0,101-7\n")))

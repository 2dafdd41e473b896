"""Files that are not what a reader expects: one `DataError` naming file and line, never a traceback."""
from __future__ import annotations

import random

import pytest

from dephn.data.infer import infer_schema
from dephn.data.readers.criteo import CriteoReader
from dephn.data.readers.csv import CsvReader
from dephn.errors import DataError

SPEC = {"tasks": ["y"], "dense": ["a"], "sparse": ["b"]}
LONG = "x" * 200_000     # over Python's csv field limit (131072 characters)


def read_csv(path):
    return [row for frame in CsvReader(path, spec=SPEC).iter_chunks() for row in frame.itertuples()]


def garbage(n: int = 5000) -> bytes:
    return random.Random(0).randbytes(n)


def test_a_header_field_over_the_csv_limit_is_one_clear_error(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(f"a,{LONG},y\n1,q,1\n")
    expected = r"long\.csv, line 1: field larger than field limit \(131072\): expected a header line of column names"
    with pytest.raises(DataError, match=expected):
        read_csv(path)
    with pytest.raises(DataError, match=expected):
        infer_schema(path, ["y"])


def test_a_data_field_over_the_csv_limit_is_read_whole(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(f"a,b,y\n1,q,1\n2,{LONG},0\n")
    assert [row.b for row in read_csv(path)] == ["q", LONG]
    assert infer_schema(path, ["y"]).spec["tasks"] == ["y"]


@pytest.mark.parametrize("read, expected", [
    (read_csv, "a header line of column names"),
    (lambda p: list(CriteoReader(p).iter_tables()), r"lines of 40 tab-separated fields \(label, I1\.\.I13, C1\.\.C26\)"),
    (lambda p: infer_schema(p, ["y"]), "a header line of column names and data lines"),
])
def test_binary_garbage_is_one_clear_error(tmp_path, capfd, read, expected):
    path = tmp_path / "garbage.bin"
    path.write_bytes(garbage())
    with pytest.raises(DataError, match=rf"garbage\.bin, line 1: not valid UTF-8 text: expected {expected}"):
        read(path)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("read, head", [
    (read_csv, b"a,b,y\n1,q,1\n"),
    (lambda p: list(CriteoReader(p, on_bad_lines="skip").iter_tables()), b"0" + b"\t" * 39 + b"\n" * 2),
])
def test_binary_garbage_after_good_lines_names_its_line_and_prints_nothing_else(tmp_path, capfd, read, head):
    path = tmp_path / "tail.bin"
    path.write_bytes(head + garbage())
    with pytest.raises(DataError, match=r"tail\.bin, line 3: not valid UTF-8 text: expected"):
        read(path)
    assert capfd.readouterr().err == ""      # pyarrow's own report of the undecodable line is held back


def test_a_bad_value_above_a_wrong_field_count_is_reported_first(tmp_path):
    path = tmp_path / "order.csv"
    path.write_text("a,b,y\n1,q,1\nfoo,q,1\n3,z,1\n4\n5,w,1\n")
    with pytest.raises(DataError, match=r"order\.csv, line 3, column 'a': dense value 'foo'"):
        read_csv(path)
    path.write_text("a,b,y\n1,q,1\n2,q,1\n3,z,1\n4\nbar,w,1\n")
    with pytest.raises(DataError, match=r"order\.csv, line 5: expected 3 fields"):
        read_csv(path)

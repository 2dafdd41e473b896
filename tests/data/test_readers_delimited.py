"""Streaming delimited files: column lookup, exact chunking, line-accurate errors."""
from __future__ import annotations

import pytest

from dephn.data.readers.delimited import DelimitedFile, iter_line_chunks
from dephn.errors import DataError, DephnError
from tests.data._reader_fixtures import write

TEN = "a,b,c\n" + "".join(f"{i},x{i},{i * 1.5}\n" for i in range(10))


def test_columns_from_header_names_and_default(tmp_path):
    assert DelimitedFile(write(tmp_path, "h.csv", TEN)).columns == ["a", "b", "c"]
    raw = write(tmp_path, "n.csv", "1,2,3\n")
    assert DelimitedFile(raw, header=False).columns == ["col0", "col1", "col2"]
    assert DelimitedFile(raw, header=False, names=["x", "y", "z"]).columns == ["x", "y", "z"]
    with pytest.raises(DataError, match="3 fields but 2 column names"):
        DelimitedFile(raw, header=False, names=["x", "y"])


def test_position_by_name_and_index_and_errors(tmp_path):
    f = DelimitedFile(write(tmp_path, "h.csv", TEN))
    assert f.position("c") == 2 and f.position(1) == 1 and f.name(0) == "a"
    with pytest.raises(DataError, match=r"h\.csv.*missing column 'zz'.*a, b, c"):
        f.position("zz")
    with pytest.raises(DataError, match="position 3 is out of range"):
        f.position(3)
    dup = DelimitedFile(write(tmp_path, "d.csv", "a,a,b\n1,2,3\n"))
    with pytest.raises(DataError, match="appears 2 times"):
        dup.position("a")
    table, _ = next(dup.iter_tables([1, "b"], 10))
    assert table.column(0).to_pylist() == ["2"]


@pytest.mark.parametrize("chunk_rows, sizes", [(3, [3, 3, 3, 1]), (5, [5, 5]), (100, [10])])
def test_chunks_are_exact_and_ordinals_count_rows(tmp_path, chunk_rows, sizes):
    f = DelimitedFile(write(tmp_path, "h.csv", TEN))
    got = list(f.iter_tables(["b", "a"], chunk_rows))
    assert [t.num_rows for t, _ in got] == sizes
    assert [first for _, first in got] == [sum(sizes[:k]) for k in range(len(sizes))]
    assert got[0][0].column_names == ["b", "a"]
    values = [v for t, _ in got for v in t.column("a").to_pylist()]
    assert values == [str(i) for i in range(10)]


@pytest.mark.parametrize("row, found", [("1,2,3,4", 4), ("1,2", 2)])
def test_wrong_field_count_names_the_physical_line(tmp_path, row, found):
    # a blank line before the bad one: the reported line is the file's, not the row index
    path = write(tmp_path, "bad.csv", "a,b,c\n1,2,3\n\n4,5,6\n" + row + "\n7,8,9\n")
    f = DelimitedFile(path)
    with pytest.raises(DataError, match=rf"bad\.csv, line 5: expected 3 fields .*found {found}"):
        list(f.iter_tables(["a"], 2))


def test_skip_mode_drops_and_counts_bad_records(tmp_path):
    path = write(tmp_path, "bad.csv", "a,b\n1,2\n1,2,3\n3\n4,5\n")
    f = DelimitedFile(path, on_bad_lines="skip")
    rows = [v for t, _ in f.iter_tables(["a"], 10) for v in t.column("a").to_pylist()]
    assert rows == ["1", "4"] and f.skipped_lines == 2


def test_line_of_skips_header_and_blank_lines(tmp_path):
    f = DelimitedFile(write(tmp_path, "b.csv", "a\n1\n\n2\r\n\n\n3\n"))
    assert [v for t, _ in f.iter_tables(["a"], 10) for v in t.column("a").to_pylist()] == ["1", "2", "3"]
    assert [f.line_of(k) for k in range(3)] == [2, 4, 7]


def test_empty_and_header_only_files(tmp_path):
    with pytest.raises(DataError, match=r"e\.csv: empty file"):
        DelimitedFile(write(tmp_path, "e.csv", ""))
    with pytest.raises(DataError, match="empty file"):
        DelimitedFile(write(tmp_path, "nl.csv", "\n\n"))
    only = DelimitedFile(write(tmp_path, "h.csv", "a,b\n"))
    with pytest.raises(DataError, match=r"h\.csv: no data lines after the header"):
        list(only.iter_tables(["a"], 10))
    with pytest.raises(DataError, match="not found"):
        DelimitedFile(tmp_path / "nope.csv")


def test_options_are_checked(tmp_path):
    path = write(tmp_path, "h.csv", TEN)
    with pytest.raises(DephnError, match="one character"):
        DelimitedFile(path, sep="::")
    with pytest.raises(DephnError, match="on_bad_lines"):
        DelimitedFile(path, on_bad_lines="ignore")
    with pytest.raises(DephnError, match="chunk_rows"):
        list(DelimitedFile(path).iter_tables(["a"], 0))


def test_tab_separator_and_quoted_separator(tmp_path):
    f = DelimitedFile(write(tmp_path, "t.tsv", 'a\tb\n"x\ty"\t2\n'), sep="\t")
    table, _ = next(f.iter_tables(["a", "b"], 10))
    assert table.column("a").to_pylist() == ["x\ty"] and table.column("b").to_pylist() == ["2"]


def test_line_chunks_keep_line_numbers_and_strip_endings(tmp_path):
    path = write(tmp_path, "l.txt", "a\x01b\r\n\nc\n\nd")
    got = list(iter_line_chunks(path, 2))
    assert [arr.to_pylist() for arr, _ in got] == [["a\x01b"], ["c"], ["d"]]
    assert [nb.tolist() for _, nb in got] == [[1], [3], [5]]


def test_line_chunks_reject_invalid_utf8_with_line(tmp_path):
    path = tmp_path / "u.txt"
    path.write_bytes(b"ok\nfine\n\xff\xfe\n")
    with pytest.raises(DataError, match=r"u\.txt, line 3: not valid UTF-8"):
        list(iter_line_chunks(path, 10))


def test_invalid_utf8_in_data_is_a_data_error(tmp_path):
    path = tmp_path / "u.csv"
    path.write_bytes(b"a,b\n1,\xff\n")
    with pytest.raises(DataError, match=r"u\.csv, line 2: not valid UTF-8 text: expected delimited text lines"):
        list(DelimitedFile(path).iter_tables(["a", "b"], 10))
    path.write_bytes(b"a,\xff\n1,2\n")
    with pytest.raises(DataError, match=r"u\.csv, line 1: not valid UTF-8"):
        DelimitedFile(path)

"""CriteoReader: the real sample, the schema-terms contract, and every malformed-line case."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dephn.data.readers.criteo import CRITEO_DENSE, CRITEO_SCHEMA, CRITEO_SPARSE, CriteoReader
from dephn.errors import DataError, DephnError


def read_all(reader: CriteoReader, chunk_rows: int = 200_000) -> pa.Table:
    return pa.concat_tables(reader.iter_tables(chunk_rows))


def replace_field(line: str, index: int, value: str) -> str:
    fields = line.split("\t")
    fields[index] = value
    return "\t".join(fields)


# --- the real sample ---------------------------------------------------------------
def test_real_sample_rows_and_click_rate(criteo_sample):
    table = read_all(CriteoReader(criteo_sample / "train.txt"))
    assert table.num_rows == 7200
    assert table.column_names == ["click", *CRITEO_DENSE, *CRITEO_SPARSE]
    assert 0.20 < np.asarray(table.column("click")).mean() < 0.23   # README: about 0.216


def test_real_sample_missing_values_are_null(criteo_sample):
    table = read_all(CriteoReader(criteo_sample / "train.txt"))
    i12 = table.column("I12").to_numpy(zero_copy_only=False)
    assert 0.7 < np.isnan(i12).mean() < 0.85                        # README: I12 ~78% missing
    c22 = table.column("C22")
    assert c22.null_count / len(c22) > 0.7
    first = (criteo_sample / "train.txt").read_text().splitlines()[0].split("\t")
    assert table.column("I1")[0].as_py() == float(first[1])
    assert table.column("C1")[0].as_py() == first[14]


def test_pandas_chunks_follow_the_reader_contract(criteo_sample):
    reader = CriteoReader(criteo_sample / "dev.txt")
    chunks = list(reader.iter_chunks(chunk_rows=100))
    assert all(isinstance(c, pd.DataFrame) for c in chunks)
    assert sum(map(len, chunks)) == 409
    df = chunks[0]
    assert set(df["click"].unique()) <= {0, 1}
    assert all(df[c].dtype == np.float64 for c in CRITEO_DENSE)
    assert df["C1"].map(lambda v: isinstance(v, str)).all()
    assert reader.schema == CRITEO_SCHEMA and reader.sources() == [criteo_sample / "dev.txt"]


def test_chunk_rows_bounds_chunks_without_losing_rows(generated_criteo):
    sizes = [t.num_rows for t in CriteoReader(generated_criteo(3000)).iter_tables(chunk_rows=1000)]
    assert sum(sizes) == 3000 and len(sizes) >= 2


def test_negative_dense_values_are_read(write_text):
    line = "0\t-2" + "\t" * 12 + "\t" + "\t".join(["a1b2c3d4"] * 26)
    table = read_all(CriteoReader(write_text("neg.txt", [line])))
    assert table.column("I1")[0].as_py() == -2.0


# --- malformed input ---------------------------------------------------------------
def test_wrong_field_count_names_file_and_line(criteo_lines, write_text):
    lines = criteo_lines[:10]
    lines[6] = "\t".join(lines[6].split("\t")[:30])
    path = write_text("short.txt", lines)
    with pytest.raises(DataError, match=r"short\.txt, line 7: expected 40 tab-separated fields.*got 30") as e:
        read_all(CriteoReader(path))
    assert e.value.line == 7 and e.value.path == path


def test_non_numeric_dense_value_names_line_and_column(criteo_lines, write_text):
    lines = criteo_lines[:50]
    lines[41] = replace_field(lines[41], 5, "12x")                   # I5
    with pytest.raises(DataError, match=r"line 42, column 'I5': expected a finite number, got '12x'"):
        read_all(CriteoReader(write_text("bad.txt", lines)))


def test_nan_is_not_a_missing_value(criteo_lines, write_text):
    lines = criteo_lines[:5]
    lines[2] = replace_field(lines[2], 1, "nan")
    with pytest.raises(DataError, match=r"line 3, column 'I1'.*'nan'"):
        read_all(CriteoReader(write_text("nan.txt", lines)))


def test_non_binary_label(criteo_lines, write_text):
    lines = criteo_lines[:5]
    lines[4] = replace_field(lines[4], 0, "2")
    with pytest.raises(DataError, match=r"line 5, column 'label': label must be 0 or 1, got '2'"):
        read_all(CriteoReader(write_text("label.txt", lines)))


def test_empty_line(criteo_lines, write_text):
    lines = criteo_lines[:5]
    lines.insert(3, "")
    with pytest.raises(DataError, match=r"line 4: empty line"):
        read_all(CriteoReader(write_text("blank.txt", lines)))


def test_first_error_in_file_order_is_reported(criteo_lines, write_text):
    lines = criteo_lines[:20]
    lines[15] = "1\t2"                                              # dropped by the parser
    lines[9] = replace_field(lines[9], 3, "abc")                     # a bad value, earlier
    with pytest.raises(DataError, match=r"line 10, column 'I3'"):
        read_all(CriteoReader(write_text("two.txt", lines)))


def test_line_numbers_stay_exact_after_dropped_lines(criteo_lines, write_text):
    # rows after lines the parser dropped must still be reported at their physical line
    lines = criteo_lines[:3000]
    for i in (10, 11, 500, 2500):
        lines[i] = "0\t1"
    lines[2700] = replace_field(lines[2700], 0, "x")
    path = write_text("many.txt", lines)
    reader = CriteoReader(path, on_bad_lines="skip", block_size=1 << 14)
    read_all(reader, chunk_rows=500)
    assert reader.skipped_lines == 5
    # the first five skipped lines in file order, each worded like the error of "error" mode
    assert [e.split(":")[0] for e in reader.skipped_examples] == [
        f"{path}, line {n}" for n in ("11", "12", "501", "2501", "2701, column 'label'")]
    assert reader.skipped_examples[-1] == f"{path}, line 2701, column 'label': label must be 0 or 1, got 'x'"
    assert reader.skipped_examples[0].startswith(f"{path}, line 11: expected 40 tab-separated fields")


def test_skip_mode_drops_and_counts_bad_lines(criteo_lines, write_text):
    lines = criteo_lines[:100]
    lines[3] = "1\t2\t3"
    lines[20] = replace_field(lines[20], 7, "?")
    lines[50] = replace_field(lines[50], 0, "")
    lines.insert(70, "")
    reader = CriteoReader(write_text("skip.txt", lines), on_bad_lines="skip")
    table = read_all(reader)
    assert table.num_rows == 100 - 3
    assert reader.skipped_lines == 4
    assert len(reader.skipped_examples) == 4
    good = [line for i, line in enumerate(lines) if i not in (3, 20, 50, 70)]
    assert table.column("C7").to_pylist() == [line.split("\t")[20] or None for line in good]


def test_empty_file(write_text):
    with pytest.raises(DataError, match=r"empty\.txt: empty file"):
        read_all(CriteoReader(write_text("empty.txt", "")))


def test_file_of_only_bad_lines_in_skip_mode(write_text):
    reader = CriteoReader(write_text("junk.txt", ["a\tb", "c"]), on_bad_lines="skip")
    with pytest.raises(DataError, match=r"no valid rows \(2 bad lines skipped\)"):
        read_all(reader)


def test_missing_file_and_bad_option(tmp_path):
    with pytest.raises(DephnError, match="not found"):
        CriteoReader(tmp_path / "nope.txt")
    (tmp_path / "x.txt").write_text("0\n")
    with pytest.raises(DephnError, match="on_bad_lines"):
        CriteoReader(tmp_path / "x.txt", on_bad_lines="ignore")


def test_windows_line_endings_and_a_missing_final_newline(criteo_lines, write_text):
    crlf = write_text("crlf.txt", "\r\n".join(criteo_lines[:5]) + "\r\n")
    table = read_all(CriteoReader(crlf))
    assert table.num_rows == 5
    assert table.column("C26")[0].as_py() == criteo_lines[0].split("\t")[-1]    # no stray "\r"
    assert read_all(CriteoReader(write_text("tail.txt", "\n".join(criteo_lines[:5])))).num_rows == 5

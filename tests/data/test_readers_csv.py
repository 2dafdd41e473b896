"""CsvSpec (dict / JSON, strict keys) and CsvReader on user files."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from dephn.data.readers.csv import CsvReader, CsvSpec
from dephn.errors import DataError, DataWarning, DephnError
from tests.data._reader_fixtures import read_all, write, write_csv_example

DATA = "y1,y2,price,city,shop\n1,0,3.5,paris,a\n0,0,,lyon,b\n1,1,10,,a\n"


def spec(path, **kw) -> CsvSpec:
    base = dict(paths=[str(path)], tasks=["y1", "y2"], dense=["price"], sparse=["city", "shop"])
    base.update(kw)
    return CsvSpec.from_dict(base)


def test_reads_schema_terms(tmp_path):
    r = CsvReader(spec(write(tmp_path, "d.csv", DATA)))
    assert (r.schema.tasks, r.schema.dense, r.schema.sparse) == (("y1", "y2"), ("price",), ("city", "shop"))
    got = read_all(r)
    assert list(got.columns) == ["y1", "y2", "price", "city", "shop"]
    assert got["y1"].tolist() == [1, 0, 1] and got["y1"].dtype == np.int8
    np.testing.assert_array_equal(got["price"].to_numpy(), [3.5, np.nan, 10.0])
    assert got["city"].iloc[0] == "paris" and pd.isna(got["city"].iloc[2])
    assert r.dense_transform == "log1p" and r.sources() == [tmp_path / "d.csv"]


def test_example_fixture_through_its_json_spec_and_chunking(tmp_path):
    fx = write_csv_example(tmp_path, n_rows=150, seed=3)
    whole = read_all(CsvReader(fx.paths[1]))
    pd.testing.assert_frame_equal(whole, fx.expected)
    pd.testing.assert_frame_equal(read_all(CsvReader(fx.paths[1]), chunk_rows=7), whole)


def test_positions_without_header_use_names_or_col_i(tmp_path):
    path = write(tmp_path, "d.tsv", "yes\t1.5\tred\nno\t\tblue\n")
    r = CsvReader(dict(paths=[str(path)], sep="\t", header=False, tasks=[0], dense=[1], sparse=[2],
                       positive=["yes"], negative=["no"]))
    assert r.schema.tasks == ("col0",) and r.schema.sparse == ("col2",)
    assert read_all(r)["col0"].tolist() == [1, 0]
    named = CsvReader(dict(paths=[str(path)], sep="\t", header=False, names=["buy", "x", "colour"],
                           tasks=["buy"], dense=[1], sparse=["colour"], positive="yes", negative="no"))
    assert named.schema.dense == ("x",) and read_all(named)["colour"].tolist() == ["red", "blue"]


def test_position_with_header_takes_the_header_name(tmp_path):
    r = CsvReader(spec(write(tmp_path, "d.csv", DATA), tasks=[0, "y2"], sparse=[3, 4]))
    assert r.schema.tasks == ("y1", "y2") and r.schema.sparse == ("city", "shop")


def test_several_files_are_read_in_order_even_with_other_column_order(tmp_path):
    a = write(tmp_path, "a.csv", DATA)
    b = write(tmp_path, "b.csv", "shop,city,price,y2,y1\nc,oslo,1,0,0\n")
    got = read_all(CsvReader(spec(a, paths=[str(a), str(b)])), chunk_rows=2)
    assert got["shop"].tolist() == ["a", "b", "a", "c"] and got["city"].iloc[3] == "oslo"


def test_missing_column_names_column_and_file_before_reading(tmp_path):
    a = write(tmp_path, "a.csv", DATA)
    b = write(tmp_path, "b.csv", "y1,y2,price,city\n1,0,1,x\n")
    with pytest.raises(DataError, match=r"b\.csv.*column 'shop'.*missing column 'shop'"):
        CsvReader(spec(a, paths=[str(a), str(b)]))


def test_non_binary_label_names_file_line_column_value_expected(tmp_path):
    path = write(tmp_path, "d.csv", DATA + "1,2,4,x,y\n")
    with pytest.raises(DataError) as e:
        read_all(CsvReader(spec(path)))
    assert str(e.value).endswith("d.csv, line 5, column 'y2': label '2' is not binary: "
                                 "expected '1' (positive) or '0' (negative)")


def test_non_numeric_dense_and_field_count_name_file_and_line(tmp_path):
    with pytest.raises(DataError, match=r"d\.csv, line 3, column 'price': dense value 'cheap'"):
        read_all(CsvReader(spec(write(tmp_path, "d.csv", "y1,y2,price,city,shop\n1,0,1,a,b\n0,0,cheap,a,b\n"))))
    with pytest.raises(DataError, match=r"e\.csv, line 3: expected 5 fields .*found 6"):
        read_all(CsvReader(spec(write(tmp_path, "e.csv", "y1,y2,price,city,shop\n1,0,1,a,b\n0,0,1,a,b,c\n"))))


def test_skip_mode_counts_every_kind_of_bad_line(tmp_path):
    text = DATA + "2,0,1,a,b\n1,0,x,a,b\n1,0,1,a\n1,0,1,a,b,c\n0,1,2,z,z\n"
    r = CsvReader(spec(write(tmp_path, "d.csv", text)), on_bad_lines="skip")
    got = read_all(r, chunk_rows=2)
    assert len(got) == 4 and got["city"].iloc[-1] == "z"
    assert r.skipped_lines == 4


def test_skip_mode_keeps_the_first_five_reasons_in_file_order(tmp_path):
    # wrong field counts (found by the parser) and bad values (found later, per chunk), around
    # blank lines: each reason is reported at its physical line, worded as in "error" mode
    lines = ["y1,y2,price,city,shop", "1,0,1,a,b", "1,0,1,a", "", "1,0,1,a,b,c", "0,0,2,b,b", "1,0,x,a,b",
             "1,0,1", "1,1,3,c,c", "2,0,1,a,b", "0,5,1,a,b", "0,0,4,d,d"]
    path = write(tmp_path, "d.csv", "\n".join(lines) + "\n")
    r = CsvReader(spec(path), on_bad_lines="skip")
    assert len(read_all(r, chunk_rows=2)) == 4 and r.skipped_lines == 6
    assert r.skipped_examples == [
        f"{path}, line 3: expected 5 fields (as on the header), found 4",
        f"{path}, line 5: expected 5 fields (as on the header), found 6",
        f"{path}, line 7, column 'price': dense value 'x' is not a finite number: expected a number, "
        "or an empty field for a missing one",
        f"{path}, line 8: expected 5 fields (as on the header), found 3",
        f"{path}, line 10, column 'y1': label '2' is not binary: expected '1' (positive) or '0' (negative)"]
    with pytest.raises(DataError) as e:   # the same words as the error of "error" mode
        read_all(CsvReader(spec(write(tmp_path, "e.csv", "\n".join(lines[:2] + lines[6:7]) + "\n"))))
    assert str(e.value) == r.skipped_examples[2].replace("d.csv", "e.csv").replace("line 7", "line 3")
    again = read_all(r, chunk_rows=5)   # a second pass starts afresh
    assert len(again) == 4 and r.skipped_lines == 6 and len(r.skipped_examples) == 5


def test_all_lines_bad_in_skip_mode_is_an_error(tmp_path):
    r = CsvReader(spec(write(tmp_path, "d.csv", "y1,y2,price,city,shop\n5,0,1,a,b\n")), on_bad_lines="skip")
    with pytest.raises(DataError, match="no usable rows: all 1 data lines were bad"):
        read_all(r)


def test_empty_and_header_only_files_are_data_errors(tmp_path):
    with pytest.raises(DataError, match=r"e\.csv: empty file"):
        CsvReader(spec(write(tmp_path, "e.csv", "")))
    with pytest.raises(DataError, match=r"h\.csv: no data lines"):
        read_all(CsvReader(spec(write(tmp_path, "h.csv", "y1,y2,price,city,shop\n"))))


def test_extras_are_numbers_outside_the_schema(tmp_path):
    r = CsvReader(spec(write(tmp_path, "d.csv", DATA), sparse=["city"], extras=["shop"]))
    with pytest.raises(DataError, match="dense value 'a'"):
        read_all(r)
    path = write(tmp_path, "c.csv", "y1,y2,price,city,conf\n1,0,1,a,0.25\n")
    r = CsvReader(spec(path, sparse=["city"], extras=["conf"]))
    assert r.extras == ("conf",) and "conf" not in r.schema.sparse
    assert read_all(r)["conf"].tolist() == [0.25]


def test_spec_rejects_unknown_keys_and_bad_values():
    with pytest.raises(DephnError, match=r"unknown key\(s\) \['seperator'\]"):
        CsvSpec.from_dict({"paths": ["x"], "tasks": ["y"], "sparse": ["a"], "seperator": ";"})
    with pytest.raises(DephnError, match=r"missing required key 'tasks'"):
        CsvSpec.from_dict({"paths": ["x"], "sparse": ["a"]})
    bad = [dict(tasks=[]), dict(dense=[], sparse=[]), dict(sep=";;"), dict(positive=["1"], negative=["1", "0"]),
           dict(dense_transform="log"), dict(names=["a"]), dict(tasks=[-1]), dict(tasks=[True]), dict(positive=[])]
    for kw in bad:
        args = dict(paths=["x"], tasks=["y"], sparse=["a"])
        args.update(kw)
        with pytest.raises(DephnError):
            CsvSpec(**args)


def test_same_column_twice_is_an_error(tmp_path):
    with pytest.raises(DephnError, match=r"\['city'\] are used more than once"):
        CsvReader(spec(write(tmp_path, "d.csv", DATA), sparse=["city", 3]))


def test_spec_json_round_trip_and_relative_paths(tmp_path):
    write(tmp_path, "data/d.csv", DATA)
    s = CsvSpec(paths="d.csv", tasks=["y1"], dense=["price"], sparse=["city"], negative=None, positive=[1])
    assert s.paths == ("d.csv",) and s.positive == ("1",)
    (tmp_path / "data" / "spec.json").write_text(json.dumps(dataclasses.asdict(s)))
    loaded = CsvSpec.from_json(tmp_path / "data" / "spec.json")
    assert loaded.paths == (str(tmp_path / "data" / "d.csv"),) and loaded.negative is None
    assert read_all(CsvReader(loaded))["y1"].tolist() == [1, 0, 1]


def test_one_spec_applied_to_a_data_file(tmp_path):
    data = write(tmp_path, "valid.csv", DATA)
    spec_file = write(tmp_path, "spec.json", json.dumps({"tasks": ["y1", "y2"], "sparse": ["city"]}))
    with pytest.warns(DataWarning, match="0 dense"):
        r = CsvReader(data, spec=spec_file, on_bad_lines="skip")
    assert r.sources() == [data] and read_all(r)["city"].iloc[1] == "lyon"
    with pytest.raises(DataError, match=r"valid\.csv, line 1: not valid JSON .*CsvReader\(data, spec=\.\.\.\)"):
        CsvReader(data)  # a data file alone is taken for a spec, and the error says what to do
    with pytest.raises(DephnError, match="no data file given"):
        CsvReader(spec_file)
    with pytest.raises(DephnError, match="on_bad_lines"):
        CsvReader(data, spec=spec_file, on_bad_lines="warn")


def test_spec_json_errors_name_the_file(tmp_path):
    with pytest.raises(DataError, match=r"s\.json, line 2: not valid JSON"):
        CsvSpec.from_json(write(tmp_path, "s.json", '{"paths": ["a"],\n "tasks": [1,}'))
    with pytest.raises(DataError, match="must be a JSON object"):
        CsvSpec.from_json(write(tmp_path, "l.json", "[1]"))
    with pytest.raises(DataError, match="spec file not found"):
        CsvSpec.from_json(tmp_path / "none.json")

"""Strings to schema terms: labels, dense values, sparse tokens, and how bad rows are reported."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dephn.data.readers import convert
from dephn.errors import DataError


def check(n, mode="error"):
    # row i of the chunk sits on file line 10 + i
    return convert.RowCheck(n, path="f.csv", line_of=lambda i: 10 + i, on_bad_lines=mode)


def test_labels_map_positive_and_negative_values():
    values = convert.LabelValues(positive=("1", "yes"), negative=("0", "no"))
    got = convert.labels(pa.array(["yes", " 0", "1 ", "no"]), values, check(4), "y")
    assert got.dtype == np.int8 and got.tolist() == [1, 0, 1, 0]


def test_label_outside_both_sets_names_file_line_column_value_and_expected():
    with pytest.raises(DataError) as e:
        convert.labels(pa.array(["0", "1", "2"]), convert.BINARY, check(3), "click")
    msg = str(e.value)
    assert msg.startswith("f.csv, line 12, column 'click':")
    assert "'2'" in msg and "'1' (positive) or '0' (negative)" in msg
    assert (e.value.line, e.value.column) == (12, "click")


def test_open_negative_set_accepts_anything_but_empty():
    values = convert.LabelValues(positive=("buy",), negative=None)
    assert convert.labels(pa.array(["buy", "view", "cart"]), values, check(3), "y").tolist() == [1, 0, 0]
    with pytest.raises(DataError, match="line 11"):
        convert.labels(pa.array(["buy", ""]), values, check(2), "y")


def test_skip_mode_collects_bad_rows_and_keep_drops_them():
    c = check(4, "skip")
    y = convert.labels(pa.array(["1", "x", "0", ""]), convert.BINARY, c, "y")
    d = convert.dense(pa.array(["1.5", "2", "oops", "4"]), c, "d")
    assert c.bad.tolist() == [False, True, True, True] and c.n_bad == 3
    frame = convert.assemble({"y": y, "d": d}, c)
    assert frame.to_dict("list") == {"y": [1], "d": [1.5]}


def test_dense_parses_numbers_and_missing():
    got = convert.dense(pa.array(["1", " 2.5 ", "", "nan", "-3e2", "+4"]), check(6), "d")
    np.testing.assert_array_equal(got, [1.0, 2.5, np.nan, np.nan, -300.0, 4.0])
    assert got.dtype == np.float64


@pytest.mark.parametrize("value", ["abc", "1,5", "inf", "NA"])
def test_dense_non_number_names_line_and_value(value):
    with pytest.raises(DataError, match=rf"f\.csv, line 11, column 'I1': dense value '{value}' is not a finite"):
        convert.dense(pa.array(["1", value, "2"]), check(3), "I1")


def test_dense_slow_path_flags_every_bad_value_in_skip_mode():
    c = check(4, "skip")
    got = convert.dense(pa.array(["abc", "inf", "2", "-inf"]), c, "d")
    assert c.bad.tolist() == [True, True, False, True]
    np.testing.assert_array_equal(got, [np.nan, np.nan, 2.0, np.nan])


def test_sparse_keeps_tokens_and_makes_empty_missing():
    got = convert.sparse(pa.array(["a", "", "0", " b"]))
    assert isinstance(got, pd.Series)
    assert got.iloc[0] == "a" and pd.isna(got.iloc[1]) and got.iloc[2] == "0" and got.iloc[3] == " b"

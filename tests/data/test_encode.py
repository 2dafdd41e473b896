"""Encoder: dense transform, vocabularies fitted on train only, OOV, persistence, chunking."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dephn.data.encode import Encoder, encode_stream, limit_rows, transform_dense
from dephn.data.readers.criteo import CRITEO_SCHEMA, CriteoReader
from dephn.data.schema import Schema
from dephn.errors import DataError, DephnError

SCHEMA = Schema(tasks=("y",), dense=("x",), sparse=("a", "b"))


def frame(a, b, x=None, y=None) -> pd.DataFrame:
    n = len(a)
    return pd.DataFrame({"y": y if y is not None else [0] * n, "x": x if x is not None else [1.0] * n,
                         "a": a, "b": b})


def splits_by(ids):
    """split_of returning the given split ids (0 train, 1 valid, 2 test) row by row."""
    ids = np.asarray(ids, dtype=np.int8)
    return lambda start, n: ids[start:start + n]


def test_dense_transform_is_sign_preserving_log1p_with_missing_zero():
    out = transform_dense(np.array([0.0, 1.0, np.e - 1, -3.0, np.nan, 1e9]))
    np.testing.assert_allclose(out, [0.0, np.log(2), 1.0, -np.log(4), 0.0, np.log1p(1e9)], rtol=1e-6)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(transform_dense(np.array([-2.5, np.nan]), "none"), [-2.5, 0.0])
    with pytest.raises(DephnError, match="dense_transform"):
        transform_dense(np.zeros(1), "log")


def test_vocabulary_is_fitted_on_train_rows_only():
    # "z" occurs only in valid/test rows, three times: still out-of-vocabulary
    df = frame(a=["p", "p", "q", "q", "z", "z", "z"], b=["u"] * 7)
    encoder, splits = encode_stream([df], SCHEMA, min_count=1, split_of=splits_by([0, 0, 0, 0, 1, 2, 2]))
    assert encoder.vocabs["a"] == ["p", "q"]
    assert splits["valid"].sparse[:, 0].tolist() == [0]
    assert splits["test"].sparse[:, 0].tolist() == [0, 0]
    assert splits["train"].sparse[:, 0].tolist() == [1, 1, 2, 2]


def test_min_count_rare_and_missing_map_to_oov_and_ids_follow_frequency():
    a = ["r", "c", "c", "c", "d", "d", None, "e"]
    encoder, splits = encode_stream([frame(a=a, b=["u"] * 8)], SCHEMA, min_count=2)
    assert encoder.vocabs["a"] == ["c", "d"]          # most frequent first; "r", "e" rare
    assert splits["train"].sparse[:, 0].tolist() == [0, 1, 1, 1, 2, 2, 0, 0]
    assert encoder.vocab_sizes == (3, 2)
    with pytest.raises(DephnError, match="min_count"):
        encode_stream([frame(a=a, b=a)], SCHEMA, min_count=0)


def test_ties_are_broken_by_value_so_ids_do_not_depend_on_row_order():
    one, _ = encode_stream([frame(a=["y", "x", "y", "x"], b=["u"] * 4)], SCHEMA, min_count=1)
    two, _ = encode_stream([frame(a=["x", "y", "x", "y"], b=["u"] * 4)], SCHEMA, min_count=1)
    assert one.vocabs["a"] == two.vocabs["a"] == ["x", "y"]


def test_chunking_and_chunk_type_do_not_change_the_result(generated_criteo):
    path = generated_criteo(3000)
    split_of = splits_by(np.arange(3000) % 3)
    enc_a, a = encode_stream(CriteoReader(path).iter_tables(5000), CRITEO_SCHEMA, split_of=split_of)
    enc_b, b = encode_stream(CriteoReader(path).iter_chunks(700), CRITEO_SCHEMA, split_of=split_of)
    assert enc_a.vocabs == enc_b.vocabs
    for s in ("train", "valid", "test"):
        np.testing.assert_array_equal(a[s].sparse, b[s].sparse)
        np.testing.assert_array_equal(a[s].dense, b[s].dense)
        np.testing.assert_array_equal(a[s].labels, b[s].labels)


def test_fitted_encoder_round_trips_and_encodes_new_chunks_alike(generated_criteo, tmp_path):
    path = generated_criteo(3000)
    encoder, splits = encode_stream(CriteoReader(path).iter_tables(), CRITEO_SCHEMA, min_count=2)
    encoder.save(tmp_path / "encoder.json")
    loaded = Encoder.load(tmp_path / "encoder.json")
    assert loaded.vocabs == encoder.vocabs and loaded.vocab_sizes == encoder.vocab_sizes
    again = loaded.transform(next(CriteoReader(path).iter_chunks(1000)))
    np.testing.assert_array_equal(again.sparse, splits["train"].sparse[:1000])
    np.testing.assert_array_equal(again.dense, splits["train"].dense[:1000])
    unseen = frame(a=["never-seen"], b=[None])
    unseen_schema = Schema(tasks=("y",), dense=("x",), sparse=("a", "b"))
    small, _ = encode_stream([frame(a=["k", "k"], b=["v", "v"])], unseen_schema, min_count=1)
    assert small.transform(unseen).sparse.tolist() == [[0, 0]]


def test_missing_column_names_it():
    with pytest.raises(DataError, match="column 'b'"):
        encode_stream([pd.DataFrame({"y": [0], "x": [1.0], "a": ["p"]})], SCHEMA)
    with pytest.raises(DataError, match="column 'x'"):
        encode_stream([pa.table({"y": [0], "a": ["p"], "b": ["q"]})], SCHEMA)


def test_non_binary_or_missing_labels_are_rejected():
    with pytest.raises(DataError, match=r"column 'y'.*labels must be 0 or 1, got 2.0 in data row 2"):
        encode_stream([frame(a=["p", "q"], b=["u", "u"], y=[0, 2])], SCHEMA)
    with pytest.raises(DataError, match="column 'y'"):
        encode_stream([frame(a=["p", "q"], b=["u", "u"], y=[0.0, np.nan])], SCHEMA)


def test_integral_float_categories_match_their_integer_form():
    # a reader may give an id column as float where a chunk has missing values, int elsewhere
    ints = frame(a=[7, 7, 8], b=["u"] * 3)
    floats = frame(a=[7.0, np.nan, 8.0], b=["u"] * 3)
    encoder, splits = encode_stream([ints, floats], SCHEMA, min_count=1)
    assert encoder.vocabs["a"] == ["7", "8"]
    assert splits["train"].sparse[:, 0].tolist() == [1, 1, 2, 1, 0, 2]


def test_extras_are_carried_as_float32():
    schema = Schema(tasks=("y",), dense=("x",), sparse=("a",))
    df = pd.DataFrame({"y": [1, 0], "x": [0.0, 3.0], "a": ["p", "q"], "confidence": [0.5, -1.25]})
    _, splits = encode_stream([df], schema, extras=("confidence",), min_count=1)
    np.testing.assert_array_equal(splits["train"].extras["confidence"], np.float32([0.5, -1.25]))


def test_limit_rows_cuts_the_last_chunk():
    chunks = [frame(a=["p"] * 4, b=["u"] * 4), frame(a=["q"] * 4, b=["u"] * 4)]
    assert [len(c) for c in limit_rows(chunks, 6)] == [4, 2]
    assert [len(c) for c in limit_rows(chunks, None)] == [4, 4]

"""AliExpress reader: the shared torch-rechub samples, a generated file, bad input."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dephn.data.readers.aliexpress import ALIEXPRESS_DENSE, ALIEXPRESS_SPARSE, AliExpressReader
from dephn.errors import DataError
from tests.data._reader_fixtures import read_all, sample, write, write_aliexpress


@pytest.mark.parametrize("name, rows", [("torchrechub_aliexpress_train_sample.csv", 100),
                                        ("torchrechub_aliexpress_test_sample.csv", 20)])
def test_real_sample_matches_an_independent_pandas_read(name, rows):
    path = sample(f"aliexpress/{name}")
    r = AliExpressReader(path)
    got = read_all(r, chunk_rows=16)
    assert r.schema.tasks == ("click", "conversion") and len(r.schema.sparse) == 16 and len(r.schema.dense) == 63
    assert len(got) == rows and "search_id" not in got and r.dense_transform == "none"
    ref = pd.read_csv(path, dtype={c: str for c in ALIEXPRESS_SPARSE})
    for task in ("click", "conversion"):
        np.testing.assert_array_equal(got[task].to_numpy(), ref[task].to_numpy())
    np.testing.assert_array_equal(got[list(ALIEXPRESS_DENSE)].to_numpy(), ref[list(ALIEXPRESS_DENSE)].to_numpy())
    assert got[list(ALIEXPRESS_SPARSE)].astype(object).equals(ref[list(ALIEXPRESS_SPARSE)].astype(object))
    assert got["click"].sum() > 0  # the sample has positives: the comparison above is not all zeros


def test_generated_file_round_trips_at_any_chunk_size(tmp_path):
    fx = write_aliexpress(tmp_path / "ae.csv", n_rows=120, seed=5)
    whole = read_all(AliExpressReader(fx.path))
    pd.testing.assert_frame_equal(whole, fx.expected)
    pd.testing.assert_frame_equal(read_all(AliExpressReader(fx.path), chunk_rows=11), whole)


def test_missing_column_is_named_with_the_file(tmp_path):
    fx = write_aliexpress(tmp_path / "ae.csv", n_rows=10)
    frame = pd.read_csv(fx.path).drop(columns=["numerical_63"])
    frame.to_csv(tmp_path / "cut.csv", index=False)
    with pytest.raises(DataError, match=r"cut\.csv.*missing column 'numerical_63'"):
        AliExpressReader(tmp_path / "cut.csv")


def test_bad_label_and_skip_mode(tmp_path):
    fx = write_aliexpress(tmp_path / "ae.csv", n_rows=30)
    lines = fx.path.read_text().splitlines()
    lines[7] = lines[7][: lines[7].rfind(",")] + ",2"  # conversion = 2 on file line 8
    bad = write(tmp_path, "bad.csv", "\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"bad\.csv, line 8, column 'conversion': label '2' is not binary") as e:
        read_all(AliExpressReader(bad))
    r = AliExpressReader(bad, on_bad_lines="skip")
    assert len(read_all(r, chunk_rows=4)) == 29 and r.skipped_lines == 1
    assert r.skipped_examples == [str(e.value)]

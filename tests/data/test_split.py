"""Seeded split assignment and the user's own split files."""
from __future__ import annotations

import numpy as np
import pytest

from dephn.data.split import assign_splits, check_fractions, row_uniforms, split_files
from dephn.errors import DephnError


def test_assignment_is_a_function_of_seed_and_row_index():
    whole = assign_splits(3, 0, 10_000)
    pieces = np.concatenate([assign_splits(3, lo, n) for lo, n in ((0, 1234), (1234, 5000), (6234, 3766))])
    np.testing.assert_array_equal(whole, pieces)
    assert not np.array_equal(whole, assign_splits(4, 0, 10_000))


def test_fractions_hold_in_expectation():
    ids = assign_splits(0, 0, 100_000, (0.7, 0.2, 0.1))
    shares = np.bincount(ids, minlength=3) / len(ids)
    np.testing.assert_allclose(shares, [0.7, 0.2, 0.1], atol=0.01)


def test_uniforms_look_uniform():
    u = row_uniforms(0, 0, 50_000)
    assert 0.0 <= u.min() and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01 and abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.02


@pytest.mark.parametrize("bad", [(0.8, 0.1), (0.8, 0.3, 0.1), (0.0, 0.5, 0.5), (1.1, -0.1, 0.0), "abc"])
def test_bad_fractions(bad):
    with pytest.raises(DephnError):
        check_fractions(bad)


def test_split_files(tmp_path):
    for s in ("train", "valid", "test"):
        (tmp_path / s).write_text("x")
    files = split_files({s: tmp_path / s for s in ("train", "valid", "test")})
    assert files["valid"] == tmp_path / "valid"
    assert split_files(tmp_path / "train") is None
    with pytest.raises(DephnError, match=r"missing \['test'\], unknown \['dev'\]"):
        split_files({"train": tmp_path / "train", "valid": tmp_path / "valid", "dev": tmp_path / "x"})
    with pytest.raises(DephnError, match="test file not found"):
        split_files({"train": tmp_path / "train", "valid": tmp_path / "valid", "test": tmp_path / "nope"})

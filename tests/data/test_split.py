"""Seeded split assignment and the user's own split files."""
from __future__ import annotations

import numpy as np
import pytest

from dephn.data.split import (assign_splits, check_fractions, random_split, row_uniforms, split_counts, split_files,
                               split_plan)
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


@pytest.mark.parametrize("n, fractions, counts", [
    (1003, (0.8, 0.1, 0.1), (803, 100, 100)),     # 100.3 -> 100 twice, train takes the rest
    (1005, (0.8, 0.1, 0.1), (803, 101, 101)),     # 100.5 rounds half up
    (10, (0.5, 0.25, 0.25), (4, 3, 3)),           # 2.5 -> 3
    (1, (0.8, 0.1, 0.1), (1, 0, 0)),
    (7, (1.0, 0.0, 0.0), (7, 0, 0)),
])
def test_random_split_counts_are_exact(n, fractions, counts):
    assert split_counts(n, fractions) == counts
    ids = random_split(5, n, fractions)
    assert ids.dtype == np.int8 and ids.shape == (n,)
    assert tuple(np.bincount(ids, minlength=3)) == counts


def test_random_split_is_a_seeded_permutation():
    a, b, c = random_split(5, 1003), random_split(5, 1003), random_split(6, 1003)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and tuple(np.bincount(c)) == (803, 100, 100)
    assert a[:100].tolist() != sorted(a[:100].tolist())            # shuffled, not blocks in file order
    with pytest.raises(DephnError, match="split seed must be an integer >= 0"):
        random_split(-1, 10)


def test_split_plan_names_methods_fractions_and_seeds():
    default = split_plan()
    assert (default.method, default.fractions, default.seed) == ("hash", (0.8, 0.1, 0.1), 0)
    assert default.describe() == {"fractions": [0.8, 0.1, 0.1], "seed": 0}      # as before the methods existed
    assert split_plan("hash", seed=3).describe() == {"fractions": [0.8, 0.1, 0.1], "seed": 3}
    plan = split_plan("random", seed=3, split_seed=5)
    assert plan.describe() == {"fractions": [0.8, 0.1, 0.1], "seed": 5, "method": "random"}
    assert split_plan((0.7, 0.2, 0.1), "random").fractions == (0.7, 0.2, 0.1)
    with pytest.raises(DephnError, match="unknown split method 'exact'; known: hash, random"):
        split_plan("exact")
    with pytest.raises(DephnError, match="disagree"):
        split_plan("random", "hash")
    with pytest.raises(DephnError, match="sum to 1"):
        split_plan((0.5, 0.1, 0.1), "random")

"""Train / valid / test splits: a seeded split of one source, or the user's own files (data/README.md).

"hash" (the default): row i's split is a pure function of (seed, i) through splitmix64, so it does
not depend on the chunk size and the vocabulary is fitted in the same single pass; the fractions
hold in expectation. "random": exact sizes (`split_counts`), a seeded shuffle once all rows are read.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DephnError

SPLITS = ("train", "valid", "test")
DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)
SPLIT_METHODS = ("hash", "random")
DEFAULT_METHOD = "hash"
_RANDOM_STREAM = 0x5B117   # mixed into the seed of the "random" split's generator
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def check_fractions(fractions) -> tuple[float, float, float]:
    """Validate (train, valid, test) fractions: three non-negative numbers summing to 1."""
    try:
        values = tuple(float(f) for f in fractions)
    except (TypeError, ValueError):
        raise DephnError(f"split fractions must be three numbers, got {fractions!r}") from None
    if len(values) != 3:
        raise DephnError(f"split fractions must be three numbers (train, valid, test), got {len(values)}")
    if any(v < 0 for v in values) or abs(sum(values) - 1.0) > 1e-6:
        raise DephnError(f"split fractions must be >= 0 and sum to 1, got {values}")
    if values[0] == 0:
        raise DephnError("the train fraction must be > 0: the encoding is fitted on it")
    return values


def check_seed(seed) -> int:
    """A split seed: an integer >= 0."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DephnError(f"the split seed must be an integer >= 0, got {seed!r}")
    return seed


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """Steele et al.'s splitmix64 finaliser, vectorised; uint64 arithmetic wraps by design."""
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def row_uniforms(seed: int, start: int, n: int) -> np.ndarray:
    """(n,) float64 in [0, 1) for rows start..start+n-1: a pure function of (seed, row index)."""
    base = _splitmix64(np.array([seed], dtype=np.uint64))[0]
    bits = _splitmix64(np.arange(start, start + n, dtype=np.uint64) + base)   # (n,) uint64
    return (bits >> np.uint64(11)).astype(np.float64) * 2.0 ** -53            # top 53 bits -> [0, 1)


def assign_splits(seed: int, start: int, n: int, fractions=DEFAULT_FRACTIONS) -> np.ndarray:
    """(n,) int8 split ids (0 train, 1 valid, 2 test) of rows start..start+n-1 ("hash")."""
    train, valid, _ = check_fractions(fractions)
    u = row_uniforms(seed, start, n)
    return np.where(u < train, 0, np.where(u < train + valid, 1, 2)).astype(np.int8)


def split_counts(n: int, fractions=DEFAULT_FRACTIONS) -> tuple[int, int, int]:
    """Rows per split of "random" for n rows (train >= 0 as f_train > 0)."""
    _, valid, test = check_fractions(fractions)
    n_valid, n_test = math.floor(valid * n + 0.5), math.floor(test * n + 0.5)
    return n - n_valid - n_test, n_valid, n_test


def random_split(seed: int, n: int, fractions=DEFAULT_FRACTIONS) -> np.ndarray:
    """(n,) int8 split ids with exactly `split_counts(n)` of each: [0]*n_train + [1]*n_valid +
    [2]*n_test shuffled by numpy's default generator (PCG64) seeded with [seed, 0x5B117]."""
    ids = np.repeat(np.arange(3, dtype=np.int8), split_counts(n, fractions))   # (n,)
    np.random.default_rng([check_seed(seed), _RANDOM_STREAM]).shuffle(ids)
    return ids


@dataclass(frozen=True)
class SplitPlan:
    """How one source is split: method ("hash" | "random"), fractions and seed."""

    method: str
    fractions: tuple[float, float, float]
    seed: int

    def describe(self) -> dict:
        """The split as the cache key and the meta record it: {"fractions", "seed"}, plus "method" for
        any but "hash" (so keys from before the methods existed stay valid)."""
        out = {"fractions": list(self.fractions), "seed": self.seed}
        if self.method != DEFAULT_METHOD:
            out["method"] = self.method
        return out


def split_plan(split=DEFAULT_FRACTIONS, method: str | None = None, seed: int = 0,
               split_seed: int | None = None) -> SplitPlan:
    """The split `load_dataset`'s options ask for (see there)."""
    if isinstance(split, str):
        if method is not None and method != split:
            raise DephnError(f"split={split!r} and split_method={method!r} disagree; give one of them")
        method, fractions = split, DEFAULT_FRACTIONS
    else:
        fractions = check_fractions(split)
    method = DEFAULT_METHOD if method is None else method
    if method not in SPLIT_METHODS:
        raise DephnError(f"unknown split method {method!r}; known: {', '.join(SPLIT_METHODS)} "
                         "(or give three fractions)")
    return SplitPlan(method=method, fractions=fractions, seed=check_seed(seed if split_seed is None else split_seed))


def split_files(path) -> dict[str, Path] | None:
    """The user's own split files when `path` is a mapping {train, valid, test}; None for one source."""
    if not isinstance(path, Mapping):
        return None
    unknown = sorted(set(path) - set(SPLITS))
    missing = [s for s in SPLITS if s not in path]
    if unknown or missing:
        raise DephnError(f"split files need exactly the keys {list(SPLITS)}; "
                         f"missing {missing}, unknown {unknown}")
    files = {s: Path(path[s]) for s in SPLITS}
    for s, p in files.items():
        if not p.exists():
            raise DephnError(f"{s} file not found: {p}")
    return files

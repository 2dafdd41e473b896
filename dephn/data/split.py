"""Train / valid / test splits: a seeded random split of one source, or the user's own files.

The random split draws one uniform number per row from a counter-based hash
(splitmix64 of seed and row index) instead of a stateful generator: the
assignment of row i depends only on (seed, i), so it is the same whatever the
chunk size the source is streamed in, and the vocabulary can be fitted on the
training rows in the same single pass that reads them. The price is that the
split fractions hold in expectation (a 7,200-row file gets 720 +/- 27
validation rows at 0.1), not exactly.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import DephnError

SPLITS = ("train", "valid", "test")
DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)

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


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """Steele et al.'s splitmix64 finaliser, vectorised; uint64 arithmetic wraps by design."""
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def row_uniforms(seed: int, start: int, n: int) -> np.ndarray:
    """(n,) float64 in [0, 1) for rows start..start+n-1: a pure function of (seed, row index)."""
    if seed < 0:
        raise DephnError(f"seed must be >= 0, got {seed}")
    base = _splitmix64(np.array([seed], dtype=np.uint64))[0]
    index = np.arange(start, start + n, dtype=np.uint64)      # (n,)
    bits = _splitmix64(index + base)                          # (n,) uint64
    return (bits >> np.uint64(11)).astype(np.float64) * 2.0 ** -53  # top 53 bits -> [0, 1)


def assign_splits(seed: int, start: int, n: int, fractions=DEFAULT_FRACTIONS) -> np.ndarray:
    """(n,) int8 split ids (0 train, 1 valid, 2 test) of rows start..start+n-1."""
    train, valid, _ = check_fractions(fractions)
    u = row_uniforms(seed, start, n)
    return np.where(u < train, 0, np.where(u < train + valid, 1, 2)).astype(np.int8)


def split_files(path) -> dict[str, Path] | None:
    """The user's own split files when `path` is a mapping {train, valid, test}; None for one source.

    Missing keys or files are a `DephnError` naming them.
    """
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

"""Binned median and prediction interval of y against x — the summary behind Fig. 7.

A scatter of 100k (c, logit) points hides its shape; per bin of x we show the median of y
and the central `level` interval of y (quantiles (1−level)/2 and (1+level)/2), i.e. where a
new sample of that bin falls with probability `level`. Bins hold equal numbers of samples
by default, so the tails of c (few samples) get wide bins instead of noisy quantiles.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DephnError

COLUMNS = ["x", "x_lo", "x_hi", "n", "median", "lower", "upper"]


def binned_band(x: np.ndarray, y: np.ndarray, *, bins: int = 40, level: float = 0.9,
                binning: str = "quantile", min_count: int = 5) -> pd.DataFrame:
    """Per bin of x: its median x, edges, count and the median and `level` interval of y.

    binning "quantile" (equal counts) or "uniform" (equal widths). Bins with fewer than
    `min_count` samples are dropped (their quantiles would be noise). Non-finite pairs are ignored.
    """
    if not 0.0 < level < 1.0:
        raise DephnError(f"interval level must lie in (0, 1), got {level}")
    if bins < 1:
        raise DephnError(f"bins must be >= 1, got {bins}")
    x = np.asarray(x, dtype=float).reshape(-1)
    y = np.asarray(y, dtype=float).reshape(-1)
    if x.shape != y.shape:
        raise DephnError(f"x and y differ in length: {len(x)} vs {len(y)}")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) == 0:
        return pd.DataFrame(columns=COLUMNS)
    if binning == "quantile":
        edges = np.unique(np.quantile(x, np.linspace(0.0, 1.0, bins + 1)))   # ties merge bins
    elif binning == "uniform":
        edges = np.linspace(x.min(), x.max(), bins + 1)
    else:
        raise DephnError(f"unknown binning {binning!r}; known: quantile, uniform")
    if len(edges) < 2:                       # constant x: one bin
        edges = np.array([x[0], x[0]])
    # right-closed last bin: every x lands in [edges[0], edges[-1]]
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)   # (N,)
    q_lo, q_hi = (1.0 - level) / 2.0, (1.0 + level) / 2.0
    rows = []
    for b in range(len(edges) - 1):
        sel = idx == b
        n = int(sel.sum())
        if n < min_count:
            continue
        lo, med, hi = np.quantile(y[sel], [q_lo, 0.5, q_hi])
        rows.append((float(np.median(x[sel])), edges[b], edges[b + 1], n, med, lo, hi))
    return pd.DataFrame(rows, columns=COLUMNS)

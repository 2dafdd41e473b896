"""Numbers as readers should see them: mean ± spread over seeds, and paired comparisons."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats


def summarize(frame: pd.DataFrame, by: Sequence[str], metrics: Sequence[str],
              level: float = 0.95) -> pd.DataFrame:
    """Per group: n, mean, std (ddof=1) and the t-interval of the mean for each metric."""
    rows = []
    for key, g in frame.groupby(list(by), dropna=False, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key))
        for m in metrics:
            vals = g[m].dropna().to_numpy(dtype=float)
            n = len(vals)
            mean = float(vals.mean()) if n else math.nan
            std = float(vals.std(ddof=1)) if n > 1 else math.nan
            half = float(stats.t.ppf(0.5 + level / 2, n - 1) * std / math.sqrt(n)) if n > 1 else math.nan
            row.update({f"{m}:n": n, f"{m}:mean": mean, f"{m}:std": std,
                        f"{m}:lo": mean - half, f"{m}:hi": mean + half})
        rows.append(row)
    return pd.DataFrame(rows)


def fmt_mean_std(mean: float, std: float, digits: int = 4) -> str:
    if math.isnan(mean):
        return "n/a"
    return f"{mean:.{digits}f} ± {std:.{digits}f}" if not math.isnan(std) else f"{mean:.{digits}f}"


def paired_comparison(frame: pd.DataFrame, metric: str, a: dict, b: dict, on: str = "seed") -> dict:
    """Compare config `a` against config `b` (column filters) over the seeds both ran.

    Returns n, mean difference a - b, its std, the paired t-test p-value, and how many seeds
    a won. With fewer than 2 pairs the p-value is NaN.
    """
    fa = _select(frame, a).set_index(on)[metric]
    fb = _select(frame, b).set_index(on)[metric]
    common = fa.index.intersection(fb.index)
    da, db = fa.loc[common].to_numpy(float), fb.loc[common].to_numpy(float)
    diff = da - db
    n = len(diff)
    p = math.nan
    if n > 1 and np.std(diff) > 0:
        p = float(stats.ttest_rel(da, db).pvalue)
    return {"n": n, "mean_a": float(da.mean()) if n else math.nan,
            "mean_b": float(db.mean()) if n else math.nan,
            "diff": float(diff.mean()) if n else math.nan,
            "diff_std": float(diff.std(ddof=1)) if n > 1 else math.nan,
            "p_value": p, "wins": int((diff > 0).sum())}


def t_half_width(std: float, n: int, level: float = 0.95) -> float:
    """Half width of the t-interval of a mean of n values with standard deviation `std`."""
    if n < 2 or std is None or math.isnan(std):
        return math.nan
    return float(stats.t.ppf(0.5 + level / 2, n - 1) * std / math.sqrt(n))


def detectable_effect(diff_std: float, n: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest mean paired difference a two-sided paired t-test at `alpha` detects with
    probability `power`, given the spread of the differences seen (n pairs):
    (t_{1-alpha/2, n-1} + t_{power, n-1}) * sd / sqrt(n). NaN below 2 pairs."""
    if n < 2 or diff_std is None or math.isnan(diff_std):
        return math.nan
    return float((stats.t.ppf(1 - alpha / 2, n - 1) + stats.t.ppf(power, n - 1)) * diff_std / math.sqrt(n))


def _select(frame: pd.DataFrame, filters: dict) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for col, val in filters.items():
        mask &= frame[col].isna() if val is None else frame[col] == val
    sel = frame[mask]
    if sel.duplicated(subset=["seed"]).any():
        raise ValueError(f"filter {filters} selects more than one run per seed")
    return sel

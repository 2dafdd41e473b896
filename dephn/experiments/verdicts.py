"""Verdicts a test over seeds can give: better, worse, or the same within ±δ.

- `tost_p`: two one-sided t-tests of a paired mean difference against the margin ±δ
  (equivalence when both reject, i.e. the 90% interval lies inside the margin);
- `holm`: Holm's step-down correction of a family of p-values (statsmodels);
- `verdict`: "better" / "worse" where the corrected test rejects no difference, "equivalent"
  where the corrected equivalence test rejects a difference of δ or more, else "inconclusive";
- `pooled_effect`: the settings of a sweep analysed together, a linear mixed model (statsmodels
  MixedLM) of each setting's paired difference with a random intercept per seed (the settings of
  one seed share their baseline run), sum-coded settings: the intercept is the overall effect,
  and a Wald test says whether the settings differ.

docs/decisions.md#verdicts-better-worse-or-the-same says why these tests and this margin.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

ALPHA = 0.05
MARGIN = 0.005          # AUC: differences inside ±MARGIN count as "the same" (the paper's effects: 0.001-0.01)
MARKS = {"better": "✓", "worse": "✗", "equivalent": "≈", "inconclusive": "?"}


def tost_p(diff: float, sd: float, n: int, margin: float = MARGIN) -> float:
    """p-value of the equivalence test H0: |mean difference| >= margin (the larger of the two
    one-sided t-tests' p-values; NaN below 2 pairs)."""
    if n < 2 or not np.isfinite(sd) or not np.isfinite(diff):
        return math.nan
    se = sd / math.sqrt(n)
    if se == 0:
        return 0.0 if abs(diff) < margin else 1.0
    lower = stats.t.sf((diff + margin) / se, n - 1)     # H0: diff <= -margin
    upper = stats.t.cdf((diff - margin) / se, n - 1)    # H0: diff >= +margin
    return float(max(lower, upper))


def holm(pvalues) -> np.ndarray:
    """Holm-corrected p-values of one family (NaNs stay NaN and take no part)."""
    from statsmodels.stats.multitest import multipletests
    p = np.asarray(pvalues, float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = multipletests(p[ok], alpha=ALPHA, method="holm")[1]
    return out


def verdict(diff: float, p: float, p_equivalent: float, alpha: float = ALPHA) -> str:
    if np.isfinite(p) and p < alpha:
        return "better" if diff > 0 else "worse"
    if np.isfinite(p_equivalent) and p_equivalent < alpha:
        return "equivalent"
    return "inconclusive"


def add_verdicts(frame: pd.DataFrame, family: list[str], margin: float = MARGIN) -> pd.DataFrame:
    """Columns p_holm, p_equiv_holm (the TOST p-value, Holm-corrected), verdict and mark for a
    frame of paired differences (columns diff, sd, n, p_value), each family (rows sharing
    `family`'s columns) corrected on its own."""
    out = frame.assign(p_equiv=[tost_p(d, s, n, margin) for d, s, n in zip(frame["diff"], frame["sd"], frame["n"])])
    out["p_holm"] = out.groupby(family, sort=False)["p_value"].transform(holm)
    out["p_equiv_holm"] = out.groupby(family, sort=False)["p_equiv"].transform(holm)
    out["verdict"] = [verdict(d, p, q) for d, p, q in zip(out["diff"], out["p_holm"], out["p_equiv_holm"])]
    out["mark"] = out["verdict"].map(MARKS)
    return out


def pooled_effect(long: pd.DataFrame, margin: float = MARGIN) -> dict:
    """`long`: one row per (seed, setting) with its paired difference `diff`. Returns the overall
    effect (mean over settings), its 95% interval and p-value, the equivalence p-value, the Wald
    test p-value that all settings have the same effect, and n seeds; NaNs where the model
    cannot be fitted (fewer than 3 seeds, or no spread)."""
    long = long.dropna(subset=["diff"])
    seeds, settings = long["seed"].nunique(), sorted(long["setting"].unique())
    empty = {"effect": float(long["diff"].mean()) if len(long) else math.nan, "lo": math.nan, "hi": math.nan,
             "p_value": math.nan, "p_equiv": math.nan, "p_settings_differ": math.nan, "seeds": int(seeds),
             "settings": len(settings)}
    if seeds < 3 or len(settings) < 2 or long["diff"].std() == 0:
        return empty
    from statsmodels.regression.mixed_linear_model import MixedLM
    codes = np.zeros((len(long), len(settings) - 1))             # sum coding: the last setting is minus the rest
    index = long["setting"].map({s: i for i, s in enumerate(settings)}).to_numpy()
    for i, k in enumerate(index):
        if k < len(settings) - 1:
            codes[i, k] = 1.0
        else:
            codes[i, :] = -1.0
    exog = np.column_stack([np.ones(len(long)), codes])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                          # convergence chatter on tiny samples
        try:
            fit = MixedLM(long["diff"].to_numpy(float), exog, groups=long["seed"].to_numpy()).fit(reml=True)
        except (np.linalg.LinAlgError, ValueError):
            return empty
        effect, se = float(fit.fe_params[0]), float(fit.bse_fe[0])
        contrast = np.zeros((len(settings) - 1, len(fit.params)))
        contrast[:, 1:len(settings)] = np.eye(len(settings) - 1)
        differ = fit.wald_test(contrast, scalar=True)
    df = seeds - 1                                               # the effect rests on the seeds' intercepts
    half = stats.t.ppf(0.975, df) * se
    p = float(2 * stats.t.sf(abs(effect) / se, df)) if se > 0 else math.nan
    equiv = float(max(stats.t.sf((effect + margin) / se, df), stats.t.cdf((effect - margin) / se, df))) if se > 0 \
        else math.nan
    return {**empty, "effect": effect, "lo": effect - half, "hi": effect + half, "p_value": p, "p_equiv": equiv,
            "p_settings_differ": float(np.asarray(differ.pvalue).item())}

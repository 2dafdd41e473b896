import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dephn.experiments.aggregate import detectable_effect, fmt_mean_std, paired_comparison, summarize, t_half_width


def _frame():
    rows = []
    for seed in range(5):
        rows.append({"model": "mmoe", "seed": seed, "label": "none", "test/a/auc": 0.70 + 0.01 * seed})
        rows.append({"model": "dephn", "seed": seed, "label": "none", "test/a/auc": 0.71 + 0.01 * seed + 0.001 * (seed % 2)})
    return pd.DataFrame(rows)


def test_summarize_mean_std_and_t_interval():
    s = summarize(_frame(), ["model"], ["test/a/auc"]).set_index("model")
    vals = np.array([0.70, 0.71, 0.72, 0.73, 0.74])
    assert s.loc["mmoe", "test/a/auc:mean"] == pytest.approx(vals.mean())
    assert s.loc["mmoe", "test/a/auc:std"] == pytest.approx(vals.std(ddof=1))
    half = stats.t.ppf(0.975, 4) * vals.std(ddof=1) / math.sqrt(5)
    assert s.loc["mmoe", "test/a/auc:hi"] - s.loc["mmoe", "test/a/auc:mean"] == pytest.approx(half)
    assert s.loc["mmoe", "test/a/auc:n"] == 5


def test_paired_comparison_matches_scipy():
    f = _frame()
    r = paired_comparison(f, "test/a/auc", {"model": "dephn"}, {"model": "mmoe"})
    a = f[f.model == "dephn"]["test/a/auc"].to_numpy()
    b = f[f.model == "mmoe"]["test/a/auc"].to_numpy()
    assert r["n"] == 5 and r["wins"] == 5
    assert r["diff"] == pytest.approx((a - b).mean())
    assert r["p_value"] == pytest.approx(stats.ttest_rel(a, b).pvalue)


def test_paired_comparison_rejects_ambiguous_filters():
    f = _frame()
    with pytest.raises(ValueError, match="more than one run per seed"):
        paired_comparison(f, "test/a/auc", {"label": "none"}, {"model": "mmoe"})


def test_format():
    assert fmt_mean_std(0.71234, 0.00321) == "0.7123 ± 0.0032"
    assert fmt_mean_std(float("nan"), 0.1) == "n/a"


def test_detectable_effect_is_the_power_formula():
    n, sd = 5, 0.004
    expected = (stats.t.ppf(0.975, 4) + stats.t.ppf(0.8, 4)) * sd / n ** 0.5
    assert detectable_effect(sd, n) == pytest.approx(expected)
    assert detectable_effect(sd, 10) < detectable_effect(sd, 5)          # more seeds see smaller effects
    assert math.isnan(detectable_effect(sd, 1)) and math.isnan(t_half_width(sd, 1))
    assert t_half_width(sd, n) == pytest.approx(stats.t.ppf(0.975, 4) * sd / n ** 0.5)

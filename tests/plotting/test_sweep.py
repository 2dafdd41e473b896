import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dephn.errors import DephnError
from dephn.plotting.sweep import gain_frame, gain_over_baseline


def gains():
    rows = []
    for ds in ("criteo-r", "criteo-ur"):
        for gamma in ("add_sqrt", "mul_cos", "add_cos"):       # not in the paper's order
            for corr in ("pearson", "cosine"):
                d = 0.002 if gamma == "add_sqrt" else -0.001
                p = 0.01 if (gamma == "add_sqrt" and corr == "pearson") else 0.4
                rows.append(dict(dataset=ds, gamma=gamma, corr=corr, task="t1", diff=d,
                                 lo=d - 0.001, hi=d + 0.0005, p_value=p))
    return pd.DataFrame(rows)


def test_bars_per_dataset_and_correlation_in_paper_gamma_order():
    fig = gain_over_baseline(gains())
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars) == 2 * 2                                # datasets x correlations
    first = bars[0]
    assert first.name == "pearson"
    # x ticks follow GAMMAS order: mul_cos, add_cos, add_sqrt
    assert list(fig.layout.xaxis.ticktext) == ["mul_cos", "add_cos", "add_sqrt"]
    np.testing.assert_allclose(first.y, [-0.001, -0.001, 0.002])
    np.testing.assert_allclose(first.error_y.array, [0.0005] * 3)
    np.testing.assert_allclose(first.error_y.arrayminus, [0.001] * 3)
    assert sum(t.showlegend for t in bars) == 2              # one legend entry per correlation
    assert "Fig. 5" in fig.layout.title.text and "MMoE" in fig.layout.yaxis.title.text


def test_verdict_marks_sit_beyond_their_bars_and_the_band_shows_the_margin():
    frame = gains().assign(mark=lambda f: np.where(f["p_value"] < 0.05, "✓", ""))
    fig = gain_over_baseline(frame, margin=0.004)
    stars = [t for t in fig.data if t.type == "scatter"]
    assert len(stars) == 2                                   # add_sqrt/pearson in each dataset
    pearson_bars = [t for t in fig.data if t.type == "bar" and t.name == "pearson"][0]
    assert stars[0].x[0] == pytest.approx(pearson_bars.x[2])
    assert stars[0].y[0] == pytest.approx(0.0025)           # at the top of the interval
    assert list(stars[0].text) == ["✓"]
    bands = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(bands) == 2 and bands[0].y0 == -0.004 and bands[0].y1 == 0.004


def test_without_verdicts_significant_bars_get_a_star():
    stars = [t for t in gain_over_baseline(gains()).data if t.type == "scatter"]
    assert [list(s.text) for s in stars] == [["★"], ["★"]]


def test_missing_columns_or_empty_frame_are_rejected():
    with pytest.raises(DephnError, match="p_value"):
        gain_over_baseline(gains().drop(columns="p_value"))
    with pytest.raises(DephnError, match="empty"):
        gain_over_baseline(gains().iloc[:0])


def results_frame():
    rng = np.random.default_rng(1)
    base = 0.70 + rng.normal(0, 0.003, size=5)
    rows = []
    for seed, b in enumerate(base):
        rows.append(dict(run_id=f"m{seed}", status="ok", model="mmoe", dataset="criteo-ur", seed=seed,
                         gamma=None, corr=None, virtual_gradient=False, **{"test/t1/auc": b}))
        rows.append(dict(run_id=f"v{seed}", status="ok", model="mmoe", dataset="criteo-ur", seed=seed,
                         gamma="add_sqrt", corr="pearson", virtual_gradient=True,
                         **{"test/t1/auc": b + 0.01 + 0.001 * (seed - 2)}))
        rows.append(dict(run_id=f"d{seed}", status="ok", model="dephn", dataset="criteo-ur", seed=seed,
                         gamma="add_sqrt", corr="pearson", virtual_gradient=True,
                         **{"test/t1/auc": b + 0.05}))
    return pd.DataFrame(rows)


def test_gain_frame_is_the_paired_difference_with_its_t_interval():
    res = results_frame()
    g = gain_frame(res, ["t1"])
    assert len(g) == 1                                       # only mmoe's VG setting
    row = g.iloc[0]
    diffs = 0.01 + 0.001 * (np.arange(5) - 2)
    assert row["n"] == 5 and row["diff"] == pytest.approx(diffs.mean())
    half = stats.t.ppf(0.975, 4) * diffs.std(ddof=1) / np.sqrt(5)
    assert (row["lo"], row["hi"]) == pytest.approx((diffs.mean() - half, diffs.mean() + half))
    vg = res[res.virtual_gradient & (res.model == "mmoe")]["test/t1/auc"].to_numpy()
    ref = res[~res.virtual_gradient]["test/t1/auc"].to_numpy()
    assert row["p_value"] == pytest.approx(stats.ttest_rel(vg, ref).pvalue)
    fig = gain_over_baseline(g)                              # feeds the figure directly
    assert len([t for t in fig.data if t.type == "scatter"]) == 1


def test_gain_frame_names_a_missing_metric():
    with pytest.raises(DephnError, match="test/t9/auc"):
        gain_frame(results_frame(), ["t9"])

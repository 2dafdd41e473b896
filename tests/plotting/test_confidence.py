import numpy as np
import pytest

from dephn.errors import DephnError
from dephn.plotting.confidence import confidence_plot, task_relation


def inputs(n=3000):
    rng = np.random.default_rng(0)
    c = rng.normal(size=n)
    acts = {"MMoE": {"t1": c + rng.normal(size=n), "t2": 0.5 * c},
            "DEPHN": {"t1": c + 0.3 * rng.normal(size=n), "t2": np.sin(2 * c)}}
    grid = np.linspace(-3, 3, 61)
    true = {"t1": (grid, grid), "t2": (grid[::-1], np.sin(2 * grid[::-1]))}     # unsorted on purpose
    return c, acts, true


def test_panel_per_task_with_band_median_and_true_curve_on_the_right_axis():
    c, acts, true = inputs()
    fig = confidence_plot(c, acts, true, level=0.8, bins=15)
    assert len(fig.data) == 2 * (2 * 2 + 1)                       # tasks x (models x 2 + truth)
    bands = [t for t in fig.data if t.fill == "toself"]
    medians = [t for t in fig.data if t.fill != "toself" and t.name in acts]
    truths = [t for t in fig.data if t.legendgroup == "true"]
    assert len(bands) == len(medians) == 4 and len(truths) == 2
    for band, med in zip(bands, medians):
        n = len(med.y)
        y = np.asarray(band.y)
        assert np.all(y[n:][::-1] <= np.asarray(med.y)) and np.all(np.asarray(med.y) <= y[:n])
    # the true curve sits on each panel's secondary axis, sorted by c
    assert {t.yaxis for t in truths} == {"y2", "y4"}
    assert np.all(np.diff(truths[1].x) > 0)
    np.testing.assert_allclose(truths[1].y, np.sin(2 * np.asarray(truths[1].x)))
    # each model in the legend once, grouped across panels
    assert sum(t.showlegend is not False for t in medians) == 2
    assert "Fig. 7" in fig.layout.title.text and "80%" in fig.layout.title.text
    assert "right axis" in fig.layout.yaxis4.title.text              # last panel's right axis
    assert fig.layout.yaxis.title.text == "model activation (logit)"


def test_median_tracks_the_activation_it_bins():
    c, acts, true = inputs(20000)
    fig = confidence_plot(c, {"DEPHN": acts["DEPHN"]}, true, tasks=["t2"], bins=30)
    med = fig.data[1]
    # inner bins only: the two tail bins are wide, and sin is not monotone over them
    np.testing.assert_allclose(med.y[1:-1], np.sin(2 * np.asarray(med.x[1:-1])), atol=0.05)


def test_colours_can_be_pinned_for_subsets():
    c, acts, true = inputs(500)
    fig = confidence_plot(c, {"x": acts["MMoE"]}, true, colors={"x": "#123456"})
    assert fig.data[1].line.color == "#123456"


def test_mismatched_lengths_and_missing_tasks_are_rejected():
    c, acts, true = inputs(500)
    with pytest.raises(DephnError, match="rows"):
        confidence_plot(c[:-1], acts, true)
    with pytest.raises(DephnError, match="no activation for task"):
        confidence_plot(c, acts, true, tasks=["t3"])


def test_task_relation_beside_the_true_relation():
    c, acts, _ = inputs()
    a1 = {m: a["t1"] for m, a in acts.items()}
    a2 = {m: a["t2"] for m, a in acts.items()}
    grid = np.linspace(-2, 2, 21)
    fig = task_relation(a1, a2, (grid, grid ** 2), tasks=("ctr", "cvr"))
    assert len(fig.data) == 2 * 2 + 1
    assert fig.data[-1].xaxis == "x2"
    np.testing.assert_allclose(fig.data[-1].y, grid ** 2)
    assert "cvr activation" in fig.layout.yaxis.title.text
    with pytest.raises(DephnError, match="different models"):
        task_relation(a1, {"MMoE": a2["MMoE"]}, (grid, grid))


def test_difference_per_band_of_c_is_paired_by_seed_with_a_t_interval():
    from dephn.plotting.confidence import ALL_C, confidence_difference, seed_count

    rng = np.random.default_rng(2)
    base = rng.normal(size=500)
    c = np.tile(base, 4)
    assert seed_count(c) == 4 and seed_count(base) == 1
    per_seed = np.array([0.1, 0.3, -0.1, 0.5])
    b = rng.normal(size=c.size)
    a = b + np.repeat(per_seed, base.size) + np.tile(base > np.median(base), 4)   # +1 on the upper half of c
    acts = {"mmoe": {"t": a}, "dephn": {"t": b}}
    d = confidence_difference(c, acts, bins=4)
    overall = d[d["band"] == ALL_C].iloc[0]
    expected = per_seed + (base > np.median(base)).mean()
    assert overall["seeds"] == 4 and overall["mean"] == pytest.approx(expected.mean())
    half = overall["upper"] - overall["mean"]
    from scipy import stats
    assert half == pytest.approx(stats.t.ppf(0.975, 3) * expected.std(ddof=1) / 2)
    bands = d[d["band"] != ALL_C]
    assert len(bands) == 4 and bands["rows"].sum() == base.size
    np.testing.assert_allclose(bands["mean"], per_seed.mean() + np.array([0, 0, 1, 1]), atol=1e-12)
    one = confidence_difference(base, {"mmoe": {"t": b[:500]}, "dephn": {"t": b[:500]}}, bins=2)
    assert one["seeds"].eq(1).all() and one["lower"].isna().all()      # no interval from one seed
    with pytest.raises(DephnError, match="no activations of model"):
        confidence_difference(c, {"mmoe": acts["mmoe"]})
    fig = confidence_plot(c, acts, {}, difference=("mmoe", "dephn"), difference_bins=4)
    assert [t.legendgroup for t in fig.data][-2:] == ["difference", "difference"]
    assert fig.data[-1].yaxis == "y3"                                   # the row below

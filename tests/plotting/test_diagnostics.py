import numpy as np
import pandas as pd
import pytest

from dephn.errors import DephnError
from dephn.plotting.confidence import band_means_plot, reranking_plot
from tests.plotting.conftest import figure_values


def bands_frame():
    rows = []
    for model, shift in (("MMoE", 0.0), ("DEPHN", 0.1)):
        for task in ("task1", "task2"):
            for b, c in enumerate(np.linspace(-2, 2, 8)):
                mean = 1 / (1 + np.exp(-c)) * 0.8 + shift
                rows.append({"model": model, "task": task, "bin": b, "c_mid": c, "mean": mean,
                             "min": mean - 0.05, "max": mean + 0.07, "true": float(abs(c) < 1)})
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0)       # unsorted on purpose


def test_band_means_panel_per_task_with_seed_range_mean_and_true_probability():
    frame = bands_frame()
    fig = band_means_plot(frame)
    assert len(fig.data) == 2 * (2 * 2 + 1)                   # tasks x (models x (band + line) + truth)
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    bands = [t for t in fig.data if t.fill == "toself"]
    truths = [t for t in fig.data if t.legendgroup == "true"]
    assert len(lines) == len(bands) == 4 and len(truths) == 2
    want = frame[(frame["model"] == "DEPHN") & (frame["task"] == "task2")].sort_values("c_mid")
    line = [t for t in lines if t.name == "DEPHN" and t.xaxis == "x2"][0]
    np.testing.assert_allclose(figure_values(line, "x"), want["c_mid"])
    np.testing.assert_allclose(figure_values(line, "y"), want["mean"])
    for band, med in zip(bands, lines):                        # the band spans min..max around the mean
        n, y = len(med.y), figure_values(band, "y")
        assert np.all(y[n:][::-1] < figure_values(med, "y")) and np.all(figure_values(med, "y") < y[:n])
    np.testing.assert_allclose(figure_values(truths[1], "y"), (np.abs(want["c_mid"]) < 1).astype(float))
    assert lines[0].line.color != lines[1].line.color         # one colour per model
    assert sum(t.showlegend is not False for t in lines) == 2
    assert "true probability" in fig.layout.title.text


def test_band_means_reject_missing_columns_and_tasks():
    with pytest.raises(DephnError, match="lacks column"):
        band_means_plot(bands_frame().drop(columns="true"))
    with pytest.raises(DephnError, match="no band means for task"):
        band_means_plot(bands_frame(), tasks=["task3"])


def reranking_inputs():
    per_seed = pd.DataFrame({"model": ["MMoE", "MMoE", "DEPHN", "DEPHN"], "seed": [0, 1, 0, 1],
                             "task2 AUC": [0.71, 0.72, 0.83, 0.85],
                             "task2 AUC by task1 logit": [0.70, 0.72, 0.69, 0.7]})
    ceil = pd.DataFrame({"task": ["task1", "task2"], "strictly monotone ceiling": [1.0, 0.74],
                         "monotone ceiling (ties allowed)": [1.0, 0.78],
                         "Bayes ceiling (true probability)": [1.0, 1.0]})
    return per_seed, ceil


def test_reranking_points_against_the_diagonal_and_the_ceilings():
    per_seed, ceil = reranking_inputs()
    fig = reranking_plot(per_seed, ceil, tasks=("task1", "task2"))
    diagonal, strict, monotone, bayes, *points = fig.data
    np.testing.assert_allclose(figure_values(diagonal, "x"), figure_values(diagonal, "y"))
    np.testing.assert_allclose(figure_values(strict, "y"), [0.74, 0.74])
    np.testing.assert_allclose(figure_values(monotone, "y"), [0.78, 0.78])
    np.testing.assert_allclose(figure_values(bayes, "y"), [1.0, 1.0])
    assert [p.name for p in points] == ["MMoE", "DEPHN"]
    np.testing.assert_allclose(figure_values(points[1], "x"), [0.69, 0.7])
    np.testing.assert_allclose(figure_values(points[1], "y"), [0.83, 0.85])
    lo = fig.layout.xaxis.range[0]
    assert lo < 0.69 and fig.layout.yaxis.range[1] > 1.0        # every point and ceiling in view


def test_reranking_rejects_missing_columns_and_ceilings():
    per_seed, ceil = reranking_inputs()
    with pytest.raises(DephnError, match="lacks column"):
        reranking_plot(per_seed.drop(columns="task2 AUC"), ceil, tasks=("task1", "task2"))
    with pytest.raises(DephnError, match="expected once"):
        reranking_plot(per_seed, ceil[ceil["task"] == "task1"], tasks=("task1", "task2"))

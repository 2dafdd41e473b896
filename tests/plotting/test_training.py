import numpy as np
import pandas as pd
import pytest

from dephn.errors import DephnError
from dephn.plotting.training import curve_stats, loss_curves


def losses(n_seeds=3):
    rows = []
    for gate, offset in (("tvg", 0.0), ("mg", 0.1)):
        for seed in range(n_seeds):
            for step in range(0, 50, 10):
                loss = 1.0 - step / 100 + offset + seed * 0.01
                rows.append(dict(step=step, seed=seed, gate=gate, loss=loss))
    return pd.DataFrame(rows)


def test_curve_stats_over_seeds():
    s = curve_stats(losses(), "gate")
    row = s[(s.gate == "tvg") & (s.step == 10)].iloc[0]
    assert row["mean"] == pytest.approx(0.91)
    assert (row["min"], row["max"], row["n"]) == pytest.approx((0.90, 0.92, 3))


def test_one_band_and_one_mean_line_per_group_band_around_the_line():
    fig = loss_curves(losses())
    assert len(fig.data) == 4
    bands = [t for t in fig.data if t.fill == "toself"]
    lines = [t for t in fig.data if t.mode == "lines"]
    assert {t.name for t in lines} == {"tvg", "mg"}
    for band, line in zip(bands, lines):
        y = np.asarray(band.y)
        n = len(line.y)
        upper, lower = y[:n], y[n:][::-1]
        assert np.all(lower <= np.asarray(line.y)) and np.all(np.asarray(line.y) <= upper)
        assert band.legendgroup == line.legendgroup
    assert "3 seeds" in fig.layout.title.text and "min–max" in fig.layout.title.text


def test_std_band_and_single_seed_without_band():
    fig = loss_curves(losses(), band="std")
    band = fig.data[0]
    line = fig.data[1]
    n = len(line.y)
    np.testing.assert_allclose(np.asarray(band.y)[:n] - np.asarray(line.y), 0.01, atol=1e-12)
    single = loss_curves(losses(n_seeds=1))
    assert len(single.data) == 2 and all(t.fill != "toself" for t in single.data)


def test_smoothing_is_a_per_run_trailing_mean():
    f = pd.DataFrame(dict(step=[0, 1, 2, 3], seed=0, gate="a", loss=[4.0, 0.0, 4.0, 0.0]))
    fig = loss_curves(f, smooth=2)
    np.testing.assert_allclose(fig.data[-1].y, [4.0, 2.0, 2.0, 2.0])
    assert "moving average" in fig.layout.yaxis.title.text


def test_bad_arguments():
    with pytest.raises(DephnError, match="lacks"):
        loss_curves(losses(), by="model")
    with pytest.raises(DephnError, match="band"):
        loss_curves(losses(), band="iqr")

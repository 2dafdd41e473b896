import numpy as np
import pytest

from dephn.errors import DephnError
from dephn.plotting.confidence import binned_band


def test_median_follows_a_linear_relation_and_band_contains_it():
    rng = np.random.default_rng(0)
    x = rng.uniform(-2.0, 2.0, size=20000)          # bins narrow enough for a linear median
    y = 2 * x + rng.normal(size=x.size)
    b = binned_band(x, y, bins=20, level=0.9)
    assert len(b) == 20
    np.testing.assert_allclose(b["median"], 2 * b["x"], atol=0.15)
    assert (b["lower"] <= b["median"]).all() and (b["median"] <= b["upper"]).all()
    # the 90% interval of N(0, 1) noise is ±1.645
    np.testing.assert_allclose(b["upper"] - b["lower"], 2 * 1.645, rtol=0.15)
    # quantile bins hold equal counts
    assert b["n"].max() - b["n"].min() <= 2


def test_interval_covers_the_requested_share_of_samples():
    rng = np.random.default_rng(1)
    x = rng.uniform(size=50000)
    y = rng.standard_t(3, size=x.size)
    b = binned_band(x, y, bins=10, level=0.8, binning="uniform")
    edges = np.r_[b["x_lo"], b["x_hi"].iloc[-1]]
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, 9)
    inside = (y >= b["lower"].to_numpy()[idx]) & (y <= b["upper"].to_numpy()[idx])
    assert inside.mean() == pytest.approx(0.8, abs=0.01)


def test_small_bins_nan_and_bad_arguments():
    x = np.r_[np.zeros(10), 100.0, np.nan]
    y = np.r_[np.arange(10.0), 1.0, 5.0]
    b = binned_band(x, y, bins=4, binning="uniform", min_count=5)
    assert len(b) == 1 and b["n"].iloc[0] == 10                   # the lone x = 100 bin dropped
    assert binned_band([], [], bins=3).empty
    with pytest.raises(DephnError, match="level"):
        binned_band(x, y, level=1.0)
    with pytest.raises(DephnError, match="binning"):
        binned_band(x, y, binning="log")
    with pytest.raises(DephnError, match="length"):
        binned_band([1.0], [1.0, 2.0])

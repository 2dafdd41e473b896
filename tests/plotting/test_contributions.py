import numpy as np
import pytest

from dephn.errors import DephnError
from dephn.plotting.gating import contributions


def test_bars_are_mean_absolute_contributions_with_signed_mean_in_hover():
    a = np.zeros((4, 2, 3))
    a[:, 0, 1] = [1.0, -1.0, 3.0, -3.0]          # expert 1 · sin: |.| mean 2, signed mean 0
    a[:, 1, 2] = 0.5
    fig = contributions({"contrib/ctr": a, "cvr": -a}, ["raw", "sin", "cos"], experts=["d1", "d2"])
    assert [t.name for t in fig.data] == ["ctr", "cvr"]
    bar = fig.data[0]
    assert list(bar.x)[:3] == ["d1 · raw", "d1 · sin", "d1 · cos"]
    np.testing.assert_allclose(bar.y, [0, 2, 0, 0, 0, 0.5])
    np.testing.assert_allclose(bar.customdata, [0, 0, 0, 0, 0, 0.5])
    np.testing.assert_allclose(fig.data[1].customdata[-1], -0.5)
    assert fig.layout.barmode == "group"


def test_default_expert_names_and_shape_checks():
    fig = contributions({"t": np.ones((2, 2, 1))}, ["raw"])
    assert list(fig.data[0].x) == ["expert 1 · raw", "expert 2 · raw"]
    with pytest.raises(DephnError, match="mapping names"):
        contributions({"t": np.ones((2, 2, 1))}, ["raw", "sin"])
    with pytest.raises(DephnError, match=r"\(B, K, P\)"):
        contributions({"t": np.ones((2, 2))}, ["raw"])

import math

import numpy as np
import pandas as pd
import pytest

from dephn.errors import DephnError
from dephn.plotting.gammas import FORMULAS, gamma_grid, gamma_heatmaps, gamma_point_table
from dephn.virtual_gradient import GAMMAS

# written out from docs/decisions.md#gamma-functions, independent of the torch implementation
REFERENCE = {
    "mul_cos": lambda x, y: np.cos(2 * np.pi * x * y) + 1,
    "mul_abs": lambda x, y: 2 * np.abs(2 * x * y - 1),
    "mul_square": lambda x, y: 2 * (2 * x * y - 1) ** 2,
    "mul_sqrt": lambda x, y: 2 * np.sqrt(np.abs(2 * x * y - 1)),
    "add_cos": lambda x, y: np.cos(np.pi * (x + y)) + 1,
    "add_abs": lambda x, y: 2 * np.abs(x + y - 1),
    "add_square": lambda x, y: 2 * (x + y - 1) ** 2,
    "add_sqrt": lambda x, y: 2 * np.sqrt(np.abs(x + y - 1)),
}


def test_grid_rows_follow_y_and_columns_follow_x():
    x, y, z = gamma_grid("add_abs", n=5)
    assert z.shape == (5, 5)
    assert z[0, 4] == pytest.approx(0.0)          # x = 1, y = 0: |1 + 0 - 1| = 0
    assert z[4, 4] == pytest.approx(2.0)          # x = y = 1
    assert z[1, 0] == pytest.approx(2 * 0.75)     # x = 0, y = 0.25


def test_heatmaps_show_every_gamma_on_the_grid_with_one_colour_scale():
    fig = gamma_heatmaps(n=11)
    assert len(fig.data) == len(GAMMAS) == 8
    assert [t.name for t in fig.data] == list(GAMMAS)
    for trace in fig.data:
        x, y = np.asarray(trace.x), np.asarray(trace.y)
        xx, yy = np.meshgrid(x, y)
        np.testing.assert_allclose(np.asarray(trace.z), REFERENCE[trace.name](xx, yy), atol=1e-12)
        assert trace.coloraxis == "coloraxis"
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (0.0, 2.0)
    titles = [a.text for a in fig.layout.annotations]
    assert all(any(name in t and FORMULAS[name] in t for t in titles) for name in GAMMAS)
    assert "Fig. 4" in fig.layout.title.text
    assert fig.layout.xaxis5.title.text == "label correlation x"      # bottom row
    assert fig.layout.yaxis.title.text == "gate difference y"


def test_heatmaps_accept_a_subset_by_name():
    fig = gamma_heatmaps(["add_sqrt", "mul_cos"], n=5, cols=2)
    assert [t.name for t in fig.data] == ["add_sqrt", "mul_cos"]
    with pytest.raises(DephnError, match="unknown"):
        gamma_heatmaps(["nope"])


def test_point_table_matches_hand_values():
    table = gamma_point_table(0.25, 0.5)
    assert isinstance(table, pd.DataFrame) and list(table["gamma"]) == list(GAMMAS)
    value = dict(zip(table["gamma"], table["value"]))
    assert value["mul_cos"] == pytest.approx(math.cos(math.pi / 4) + 1)     # 2xy = 1/4
    assert value["mul_abs"] == pytest.approx(2 * 0.75)
    assert value["add_abs"] == pytest.approx(0.5)                           # |0.75 - 1|
    assert value["add_sqrt"] == pytest.approx(2 * math.sqrt(0.25))
    assert value["add_square"] == pytest.approx(2 * 0.0625)


def test_point_outside_the_unit_square_is_rejected():
    with pytest.raises(DephnError, match=r"\[0, 1\]"):
        gamma_point_table(1.2, 0.5)


def test_orientation_with_an_asymmetric_function():
    # every paper γ is symmetric in (x, y), so only a custom one shows a swapped grid
    fig = gamma_heatmaps({"x_only": lambda x, y: 2 * x}, n=3, cols=1)
    z = np.asarray(fig.data[0].z)
    np.testing.assert_allclose(z, [[0.0, 1.0, 2.0]] * 3)                # varies along columns (x)
    assert fig.layout.xaxis.title.text == "label correlation x"

import numpy as np
import pytest

from dephn.errors import DephnError
from dephn.plotting.gammas import vg_coefficients


def test_histograms_pool_all_values_with_identical_bins():
    coefs = {"ctr": np.full((5, 4), 1.2), "cvr": np.linspace(0.0, 2.0, 30).reshape(3, 10)}
    fig = vg_coefficients(coefs, bins=20)
    assert len(fig.data) == 2
    assert len(fig.data[0].x) == 20 and len(fig.data[1].x) == 30
    assert fig.data[0].xbins == fig.data[1].xbins
    assert fig.data[0].xbins.start == pytest.approx(0.0)
    assert fig.data[0].histnorm == "probability" and fig.layout.barmode == "overlay"
    assert "(n=20)" in fig.data[0].name
    assert any(s.x0 == 1.0 for s in fig.layout.shapes)              # "unchanged" reference


def test_facets_put_each_label_on_its_own_row():
    fig = vg_coefficients({"a": [0.5, 1.0], "b": [1.5, np.nan]}, facet=True)
    assert [t.yaxis for t in fig.data] == ["y", "y2"]
    assert len(fig.data[1].x) == 1                                 # NaN dropped


def test_no_coefficients_is_an_error():
    with pytest.raises(DephnError, match="virtual gradient"):
        vg_coefficients({"a": np.zeros(0)})

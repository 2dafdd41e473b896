import numpy as np
import pytest

from dephn.errors import DephnError
from dephn.plotting.ssg import ssg_heatmap


def test_rows_in_paper_order_and_values_in_place():
    vecs = {"field": np.full(4, 0.3), "ssg/dnn": np.arange(4) / 10, "cross": np.full(4, 0.7)}
    fig = ssg_heatmap(vecs)
    hm = fig.data[0]
    assert list(hm.y) == ["dnn", "cross", "field"]
    z = np.asarray(hm.z)
    np.testing.assert_allclose(z[0], [0.0, 0.1, 0.2, 0.3])
    np.testing.assert_allclose(z[2], 0.3)
    assert list(hm.x) == [1, 2, 3, 4]
    assert hm.zmid == 0.5 and hm.zmin < 0.3 and hm.zmax > 0.7      # diverging around the init value
    assert "Fig. 3a" in fig.layout.title.text
    assert fig.layout.xaxis.title.text == "embedding dimension"


def test_seed_axis_shows_the_mean_with_the_std_in_hover():
    rng = np.random.default_rng(0)
    runs = {s: rng.normal(0.5, 0.1, size=(3, 6)) for s in ("dnn", "cross", "field")}
    fig = ssg_heatmap(runs)
    hm = fig.data[0]
    np.testing.assert_allclose(np.asarray(hm.z)[1], runs["cross"].mean(0))
    np.testing.assert_allclose(np.asarray(hm.customdata)[1, :, 0], runs["cross"].std(0, ddof=1))
    assert "std over" in hm.hovertemplate and "3 seeds" in fig.layout.title.text


def test_vectors_of_different_length_are_rejected():
    with pytest.raises(DephnError, match="differ in length"):
        ssg_heatmap({"dnn": np.zeros(4), "cross": np.zeros(5)})
    with pytest.raises(DephnError):
        ssg_heatmap({})

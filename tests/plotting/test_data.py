import numpy as np
import pytest

from dephn.errors import DephnError
from dephn.plotting.confidence import target_curves


def test_target_curves_are_sorted_by_c():
    c = np.array([1.0, -1.0, 0.0])
    fig = target_curves(c, {"c": c, "y_ur": np.sign(c) * 2 * np.sin(np.abs(c))})
    assert [t.name for t in fig.data] == ["c", "y_ur"]
    np.testing.assert_array_equal(fig.data[0].x, [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(fig.data[1].y, [-2 * np.sin(1), 0.0, 2 * np.sin(1)])
    assert fig.layout.xaxis.title.text.startswith("base confidence c")
    with pytest.raises(DephnError, match="values"):
        target_curves(c, {"bad": np.zeros(2)})


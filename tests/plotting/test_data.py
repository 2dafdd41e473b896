import numpy as np
import pandas as pd
import pytest

from dephn.errors import DephnError
from dephn.plotting.data import label_rates, target_curves


def test_target_curves_are_sorted_by_c():
    c = np.array([1.0, -1.0, 0.0])
    fig = target_curves(c, {"c": c, "y_ur": np.sign(c) * 2 * np.sin(np.abs(c))})
    assert [t.name for t in fig.data] == ["c", "y_ur"]
    np.testing.assert_array_equal(fig.data[0].x, [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(fig.data[1].y, [-2 * np.sin(1), 0.0, 2 * np.sin(1)])
    assert fig.layout.xaxis.title.text.startswith("base confidence c")
    with pytest.raises(DephnError, match="values"):
        target_curves(c, {"bad": np.zeros(2)})


def test_label_rates_on_a_log_axis_with_readable_labels():
    s = pd.DataFrame({"dataset": ["aliccp", "aliccp"], "task": ["click", "purchase"], "rate": [0.04, 0.0002]})
    fig = label_rates(s)
    assert [t.name for t in fig.data] == ["click", "purchase"]
    assert fig.layout.yaxis.type == "log"
    assert fig.data[0].text == ("4.00%",) and fig.data[1].text == ("2.00e-04",)
    assert label_rates(s, log_y=False).layout.yaxis.type == "linear"
    with pytest.raises(DephnError, match="rate"):
        label_rates(s.drop(columns="rate"))

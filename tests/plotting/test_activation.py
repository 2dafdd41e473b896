import numpy as np
import pandas as pd
import pytest

from dephn.errors import DephnError
from dephn.plotting.ssg import activation_ratio, public_share


def frame():
    # ctr: shares 0.75, 0.5, 1.0 ; cvr: 0.25 twice, plus a row with no activation at all
    return pd.DataFrame({
        "task": ["ctr", "ctr", "ctr", "cvr", "cvr", "cvr"],
        "seed": [0, 1, 2, 0, 1, 2],
        "public_abs": [3.0, 1.0, 2.0, 1.0, 0.5, 0.0],
        "private_abs": [1.0, 1.0, 0.0, 3.0, 1.5, 0.0],
    })


def test_public_share_per_task_over_seeds():
    s = public_share(frame()).set_index("task")
    assert s.loc["ctr", "mean"] == pytest.approx(0.75)
    assert s.loc["ctr", "std"] == pytest.approx(np.std([0.75, 0.5, 1.0], ddof=1))
    assert s.loc["cvr", "mean"] == pytest.approx(0.25)
    assert s.loc["cvr", "n"] == 2                      # the all-zero row has no share


def test_bars_show_the_mean_share_with_std_error_bars_in_unit_range():
    fig = activation_ratio(frame())
    bar = fig.data[0]
    assert list(bar.x) == ["ctr", "cvr"]
    np.testing.assert_allclose(bar.y, [0.75, 0.25])
    assert bar.error_y.array[0] == pytest.approx(0.25)
    assert all(0.0 <= v <= 1.0 for v in bar.y)
    assert tuple(fig.layout.yaxis.range) == (0, 1)
    assert "Fig. 3b" in fig.layout.title.text


def test_group_column_gives_one_bar_series_per_group():
    f = pd.concat([frame().assign(model="dephn"), frame().assign(model="mtphn", public_abs=1.0)])
    fig = activation_ratio(f, group="model")
    assert [t.name for t in fig.data] == ["dephn", "mtphn"]
    assert fig.data[0].marker.color != fig.data[1].marker.color


def test_bad_frames_are_rejected():
    with pytest.raises(DephnError, match="lacks column"):
        public_share(frame().drop(columns="seed"))
    with pytest.raises(DephnError, match=">= 0"):
        public_share(frame().assign(public_abs=-1.0))

import math

import pandas as pd
import pytest

from dephn.errors import DephnError
from dephn.plotting.tables import format_table, model_table_figure, table_figure


def summary():
    return pd.DataFrame({
        "model": ["mmoe", "dephn"], "dataset": ["aliccp", "aliccp"],
        "test/ctr/auc:mean": [0.71234, 0.72], "test/ctr/auc:std": [0.00123, math.nan],
        "test/ctr/auc:n": [3, 1], "test/ctr/auc:lo": [0.7, math.nan], "test/ctr/auc:hi": [0.72, math.nan],
    })


def test_mean_plus_minus_std_strings_with_identity_columns_in_front():
    t = format_table(summary(), {"test/ctr/auc": "CTR AUC"}, show_n=True)
    assert list(t.columns) == ["model", "dataset", "CTR AUC", "n"]
    assert t["CTR AUC"].tolist() == ["0.7123 ± 0.0012", "0.7200"]      # one seed: no spread
    assert t["n"].tolist() == [3, 1]
    t3 = format_table(summary(), ["test/ctr/auc"], digits=3, index=["model"])
    assert t3.columns.tolist() == ["model", "test/ctr/auc"] and t3.iloc[0, 1] == "0.712 ± 0.001"


def test_unknown_metric_is_rejected():
    with pytest.raises(DephnError, match="cvr"):
        format_table(summary(), ["test/cvr/auc"])


def test_table_figure_holds_every_cell():
    t = format_table(summary(), ["test/ctr/auc"])
    fig = table_figure(t, title="Table II")
    cells = fig.data[0].cells.values
    assert list(cells[0]) == ["mmoe", "dephn"] and list(cells[2]) == ["0.7123 ± 0.0012", "0.7200"]
    assert fig.layout.title.text == "Table II"


def test_model_table_figure_formats_and_counts_seeds():
    fig = model_table_figure(summary(), {"test/ctr/auc": "CTR AUC"}, title="Table I")
    header = list(fig.data[0].header.values)
    assert header == ["<b>model</b>", "<b>dataset</b>", "<b>CTR AUC</b>", "<b>n</b>"]
    assert list(fig.data[0].cells.values[3]) == ["3", "1"]

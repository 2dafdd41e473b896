import pandas as pd
import pytest

from dephn.errors import DephnError
from dephn.plotting import method_gains, vg_action


def _action():
    rows = []
    for model in ("mmoe", "dephn"):
        for regime in ("adam", "sgd"):
            for seed in (0, 1):
                for step in (5, 10):
                    rows.append({"model": model, "regime": regime, "seed": seed, "step": step, "coef_mean": 1.6,
                                 "coef_std": 0.01, "coef_min": 1.5, "coef_max": 1.7, "grad_rel_change": 0.7,
                                 "update_rel_change": 0.05 if regime == "adam" else 0.7})
    return pd.DataFrame(rows)


def test_vg_action_draws_a_band_a_line_and_two_probe_curves_per_model_and_regime():
    fig = vg_action(_action())
    names = [t.name for t in fig.data if t.name]
    assert "mmoe · adam" in names and "dephn · sgd: update" in names and "dephn · sgd: gradient" in names
    assert len(fig.data) == 4 * 4                    # per curve: band, mean, gradient, update


def test_vg_action_needs_its_columns():
    with pytest.raises(DephnError, match="lacks column"):
        vg_action(pd.DataFrame({"model": []}))
    with pytest.raises(DephnError, match="no virtual-gradient run"):
        vg_action(_action().iloc[:0])


def test_method_gains_one_panel_per_data_set_and_model():
    rows = [{"dataset": d, "model": m, "method": x, "task": t, "diff": 0.01, "lo": -0.01, "hi": 0.03,
             "p_value": 0.02 if x == "uw" else 0.5, "detectable": 0.02}
            for d in ("criteo-r", "criteo-ur") for m in ("mmoe", "dephn") for x in ("uw", "upgrad")
            for t in ("task1", "task2")]
    fig = method_gains(pd.DataFrame(rows))
    assert len(fig.layout.annotations) >= 4 and len(fig.data) == 4 * 2
    assert "★" in fig.data[0].text

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import pytest

from dephn.errors import DephnError
from dephn.plotting import widgets as W
from dephn.plotting.confidence import binned_band
from dephn.plotting.gammas import gamma_grid

from .conftest import figure_values
from .frontend import echo_trace_deltas


def test_gamma_explorer_controls_change_the_figure_and_readout():
    e = W.gamma_explorer(gamma="add_sqrt", n=21)
    assert isinstance(e, widgets.VBox) and isinstance(e.figure, go.FigureWidget)
    assert e.figure in e.children and e.readout in e.children
    np.testing.assert_allclose(np.asarray(e.figure.data[0].z), gamma_grid("add_sqrt", 21)[2])
    e.controls["gamma"].value = "mul_cos"
    np.testing.assert_allclose(np.asarray(e.figure.data[0].z), gamma_grid("mul_cos", 21)[2])
    assert "mul_cos" in e.figure.layout.title.text
    assert not any("add_sqrt" in (a.text or "") for a in e.figure.layout.annotations)  # no stale label
    e.controls["x"].value = 0.25
    e.controls["y"].value = 1.0
    assert e.figure.data[1].x == (0.25,) and e.figure.data[1].y == (1.0,)
    # mul_cos(0.25, 1) = cos(pi/2) + 1 = 1
    assert "γ(0.25, 1.00) = 1.0000" in e.figure.layout.title.text
    assert "<b>1.0000</b>" in e.readout.value and "add_sqrt" in e.readout.value   # all γ listed
    with pytest.raises(DephnError):
        W.gamma_explorer(gamma="nope")


def test_gate_explorer_follows_task_and_epoch():
    rng = np.random.default_rng(0)
    h = {"ctr": rng.dirichlet(np.ones(6), size=3).reshape(3, 2, 3),
         "cvr": rng.dirichlet(np.ones(6), size=3)}                     # flat (E, K*P) also accepted
    e = W.gate_explorer(h, ["e1", "e2"], ["raw", "sin", "cos"])
    np.testing.assert_allclose(np.asarray(e.figure.data[0].z), h["ctr"][-1])
    e.controls["epoch"].value = 1
    np.testing.assert_allclose(np.asarray(e.figure.data[0].z), h["ctr"][0])
    e.controls["task"].value = "cvr"
    np.testing.assert_allclose(np.asarray(e.figure.data[0].z), h["cvr"][0].reshape(2, 3))
    assert e.figure.layout.title.text == "Gate values of task 'cvr' after epoch 1"
    zmax = max(h["ctr"].max(), h["cvr"].max())
    assert e.figure.data[0].zmax == pytest.approx(zmax)                # one scale for all frames
    with pytest.raises(DephnError, match="epochs"):
        W.gate_explorer({"a": h["ctr"], "b": h["cvr"][:2]}, ["e1", "e2"], ["raw", "sin", "cos"])


def confidence_inputs():
    rng = np.random.default_rng(0)
    c = rng.normal(size=2000)
    acts = {"mmoe": {"a": c + rng.normal(size=c.size), "b": -c},
            "dephn": {"a": c, "b": np.sin(c) + 0.1 * rng.normal(size=c.size)}}
    g = np.linspace(-3, 3, 31)
    return c, acts, {"a": (g, g), "b": (g, np.sin(g))}


def test_confidence_explorer_level_model_and_task():
    c, acts, true = confidence_inputs()
    e = W.confidence_explorer(c, acts, true, bins=10)
    names = [t.name for t in e.figure.data]
    assert names == ["mmoe 90% interval", "mmoe", "dephn 90% interval", "dephn", "true target y(c)",
                     "mmoe − dephn 95% t-interval", "mmoe − dephn (mean over seeds)"]
    band0 = np.asarray(e.figure.data[0].y).copy()
    e.controls["level"].value = 0.5
    band1 = np.asarray(e.figure.data[0].y)
    assert np.ptp(band1) < np.ptp(band0)                               # a narrower interval
    assert e.figure.data[0].name == "mmoe 50% interval" and "50%" in e.figure.layout.title.text
    e.controls["model"].value = "dephn"
    assert visible_names(e) == ["dephn 50% interval", "dephn", "true target y(c)", "mmoe − dephn 95% t-interval", "mmoe − dephn (mean over seeds)"]
    assert "mmoe" not in e.figure.layout.title.text
    assert e.figure.data[3].line.color == W.colors_for(acts)["dephn"]  # keeps its colour alone
    e.controls["task"].value = "b"
    assert e.figure.layout.annotations[0].text == "task b"
    np.testing.assert_allclose(e.figure.data[4].y, np.sin(true["b"][0]))
    np.testing.assert_allclose(e.figure.data[3].y, np.sin(e.figure.data[3].x), atol=0.25)
    e.controls["model"].value = "all"
    assert len(e.figure.data) == 7 and len(visible_names(e)) == 7


def visible_names(e) -> list[str]:
    return [t.name for t in e.figure.data if t.visible is not False]


def test_confidence_explorer_handles_a_task_without_a_true_curve():
    c, acts, true = confidence_inputs()
    e = W.confidence_explorer(c, acts, {"a": true["a"]}, bins=10, difference=None)
    assert len(e.figure.data) == 5
    e.controls["task"].value = "b"                                      # no curve: hidden, kept
    assert visible_names(e) == ["mmoe 90% interval", "mmoe", "dephn 90% interval", "dephn"]
    e.controls["task"].value = "a"
    assert visible_names(e)[-1] == "true target y(c)"


def test_show_is_inert_in_batch_runs(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append((obj, raw)))
    e = W.gamma_explorer(n=11)
    W.show(e, interactive=True)
    assert shown[-1] == (e, False)
    W.show(e, interactive=False)
    bundle, raw = shown[-1]
    assert raw and set(bundle) == {"application/vnd.plotly.v1+json", "text/plain"}
    payload = bundle["application/vnd.plotly.v1+json"]
    assert len(payload["data"]) == 2 and "uid" not in payload["data"][0]
    assert "add_sqrt" in bundle["text/plain"]
    W.show(go.Figure(go.Bar(y=[1])), interactive=False)
    assert shown[-1][0]["application/vnd.plotly.v1+json"]["data"][0]["type"] == "bar"
    nested = widgets.VBox([widgets.HBox([widgets.Label("x"), go.FigureWidget(go.Scatter(y=[1]))])])
    assert W.static_figure(nested).data[0].type == "scatter"
    with pytest.raises(DephnError, match="no plotly figure"):
        W.static_figure(widgets.Label("x"))


def test_show_can_attach_a_png_when_a_browser_exists(monkeypatch):
    monkeypatch.setattr(W, "static_image", lambda fig, fmt="png": b"\x89PNG fake")   # the name widgets calls
    bundle = W.mime_bundle(go.Figure(go.Bar(y=[1])), png=True)
    assert bundle["image/png"] == "iVBORyBmYWtl"                      # base64 of the bytes


def _slider_values(slider) -> list[float]:
    """Every value a FloatSlider can take, ends included."""
    n = int(round((slider.max - slider.min) / slider.step))
    return [round(slider.min + i * slider.step, 10) for i in range(n + 1)]


def test_confidence_explorer_takes_every_slider_value_and_the_front_ends_reply():
    # JupyterLab's Log Console showed a ValueError (truth value of an array) for each move of the
    # interval slider: the front end's trace deltas against numpy arrays. Every value, ends included,
    # each followed by the reply the front end sends, and the other controls too.
    c, acts, true = confidence_inputs()
    acts["mmoe"]["b"] = np.full(c.size, np.nan)                          # an empty interval (no bin)
    e = W.confidence_explorer(c, acts, true, bins=10)
    level = e.controls["level"]
    values = _slider_values(level)
    assert values[0] == level.min and values[-1] == level.max
    for v in values:
        level.value = v
        echo_trace_deltas(e.figure)
        assert e.figure.data[0].name == f"mmoe {v:.0%} interval"
        np.testing.assert_allclose(figure_values(e.figure.data[0], "y"),
                                   _band_polygon(c, acts["mmoe"]["a"], v))
    for task in ("b", "a", "b"):
        e.controls["task"].value = task
        echo_trace_deltas(e.figure)
    assert len(e.figure.data[0].x) == 0                                 # mmoe has no band on task b
    for model in ("dephn", "mmoe", "all", "dephn"):
        e.controls["model"].value = model
        echo_trace_deltas(e.figure)
    for v in (level.min, level.max):
        level.value = v
        echo_trace_deltas(e.figure)
    shown = [t.name for t in e.figure.data if t.visible is not False]
    assert shown == [f"dephn {level.max:.0%} interval", "dephn", "true target y(c)", "mmoe − dephn 95% t-interval", "mmoe − dephn (mean over seeds)"]


def _band_polygon(c, a, level):
    s = binned_band(c, a, bins=10, level=level)
    return np.r_[s["upper"], s["lower"][::-1]]


def test_confidence_explorer_shows_the_difference_with_its_t_interval_over_seeds():
    rng = np.random.default_rng(1)
    base = rng.normal(size=600)
    seeds = 3
    c = np.tile(base, seeds)                                             # as items.activations stacks seeds
    offsets = np.array([0.5, 1.0, 1.5])                                  # mmoe − dephn per seed
    dephn = np.tile(np.sin(base), seeds)
    mmoe = dephn + np.repeat(offsets, base.size)
    acts = {"mmoe": {"a": mmoe}, "dephn": {"a": dephn}}
    e = W.confidence_explorer(c, acts, {}, bins=10)
    band, line = (t for t in e.figure.data if t.legendgroup == "difference")
    np.testing.assert_allclose(figure_values(line, "y"), 1.0)
    half = 4.302652729911275 * 0.5 / np.sqrt(3)                        # t(0.975, 2) * sd / sqrt(n)
    y = figure_values(band, "y")
    np.testing.assert_allclose(y[:len(y) // 2], 1.0 + half)
    np.testing.assert_allclose(y[len(y) // 2:], 1.0 - half)
    assert "mmoe − dephn" in e.figure.layout.annotations[1].text
    e.controls["level"].value = 0.6                                      # the prediction band's level only
    echo_trace_deltas(e.figure)
    np.testing.assert_allclose(figure_values(band, "y")[:len(y) // 2], 1.0 + half)

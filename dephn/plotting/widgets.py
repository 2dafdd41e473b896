"""Interactive explorers for the notebooks: ipywidgets controls driving a plotly FigureWidget
(under papermill `show(..., interactive=False)` emits a static plotly mime bundle instead).
"""
from __future__ import annotations

import base64
import json
from typing import Mapping, Sequence

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.basedatatypes import BaseFigure

from ..errors import DephnError
from ..virtual_gradient import GAMMAS
from .confidence import Curve, confidence_plot, confidence_title
from .gammas import FORMULAS, X_LABEL, Y_LABEL, gamma_grid, gamma_point_table
from .gating import as_epoch_grid, gate_heatmap
from .save import static_image
from .theme import SEQUENTIAL, colors_for, finish

ALL = "all"


class Explorer(widgets.VBox):
    """A VBox of [controls, figure, readout]: `controls` name -> widget (set a control's `.value` to
    drive the figure from code or a test), each calling `redraw(change)` when its value changes."""

    def __init__(self, figure: go.FigureWidget, controls: dict[str, widgets.Widget], redraw,
                 readout: widgets.HTML | None = None):
        parts = [widgets.HBox(list(controls.values())), figure] + ([readout] if readout else [])
        super().__init__(parts)
        self.figure = figure
        self.controls = controls
        self.readout = readout
        for w in controls.values():
            w.observe(redraw, names="value")


WIDE_LABEL = {"description_width": "initial"}   # the whole label, never cut to ipywidgets' default width

def gamma_explorer(gamma: str = "add_sqrt", x: float = 0.5, y: float = 0.5, n: int = 101) -> Explorer:
    """Pick a γ and a point (x, y): heat map of γ with a marker there, and a readout of every γ
    at that point (paper Fig. 4, one panel at a time)."""
    if gamma not in GAMMAS:
        raise DephnError(f"unknown γ {gamma!r}; known: {', '.join(GAMMAS)}")
    gx, gy, gz = gamma_grid(gamma, n)
    base = go.Figure([
        go.Heatmap(x=gx, y=gy, z=gz, name=gamma, zmin=0.0, zmax=2.0, colorscale=SEQUENTIAL,
                   colorbar=dict(title="γ"),
                   hovertemplate="x=%{x:.2f}<br>y=%{y:.2f}<br>γ=%{z:.3f}<extra></extra>"),
        go.Scatter(x=[x], y=[y], mode="markers", name="(x, y)", showlegend=False,
                   marker=dict(symbol="x", size=14, color="white", line=dict(width=2, color="black"))),
    ])
    base.update_xaxes(title_text=X_LABEL, range=[0, 1])
    base.update_yaxes(title_text=Y_LABEL, range=[0, 1])
    fig = go.FigureWidget(finish(base, f"γ = {gamma}", width=620, height=540))
    controls = {
        "gamma": widgets.Dropdown(options=list(GAMMAS), value=gamma, description="γ"),
        "x": widgets.FloatSlider(value=x, min=0.0, max=1.0, step=0.01, description="x: label correlation",
                                 style=WIDE_LABEL),
        "y": widgets.FloatSlider(value=y, min=0.0, max=1.0, step=0.01, description="y: gate difference",
                                 style=WIDE_LABEL),
    }
    readout = widgets.HTML()

    def redraw(change=None):
        name, px, py = (controls[k].value for k in ("gamma", "x", "y"))
        table = gamma_point_table(px, py)
        value = float(table.loc[table["gamma"] == name, "value"].iloc[0])
        with fig.batch_update():
            if change is None or change["owner"] is controls["gamma"]:
                fig.data[0].z = gamma_grid(name, n)[2]
                fig.data[0].name = name
            fig.data[1].x, fig.data[1].y = [px], [py]
            fig.layout.title.text = (f"γ = {name}: {FORMULAS.get(name, '')}; "
                                     f"γ({px:.2f}, {py:.2f}) = {value:.4f}")
        readout.value = (f"<b>{name}</b>({px:.2f}, {py:.2f}) = <b>{value:.4f}</b> "
                         "(multiplier on the gate's gradient)<br>"
                         + table.to_html(index=False, float_format=lambda v: f"{v:.4f}", border=0))

    explorer = Explorer(fig, controls, redraw, readout)
    redraw()
    return explorer


def gate_explorer(histories: Mapping[str, np.ndarray], experts: Sequence[str],
                  mappings: Sequence[str] | None, *, epochs: Sequence[int] | None = None) -> Explorer:
    """Pick a task and an epoch: that task's K × P gate heat map, one colour scale for all.
    histories: task -> gate history (see `gating.as_epoch_grid`)."""
    if not histories:
        raise DephnError("no gate history to explore")
    grids = {t: as_epoch_grid(h, experts, mappings) for t, h in histories.items()}   # (E, K, P)
    n_epochs = {len(g) for g in grids.values()}
    if len(n_epochs) != 1:
        counts = {t: len(g) for t, g in grids.items()}
        raise DephnError(f"tasks recorded different numbers of epochs: {counts}")
    n = n_epochs.pop()
    labels = list(epochs) if epochs is not None else list(range(1, n + 1))
    if len(labels) != n:
        raise DephnError(f"{len(labels)} epoch labels for {n} recorded epochs")
    zmax = max(float(g.max()) for g in grids.values())
    first = next(iter(grids))
    fig = go.FigureWidget(gate_heatmap(grids[first][-1], experts, mappings, task=first,
                                       epoch=labels[-1], zmax=zmax))
    controls = {
        "task": widgets.Dropdown(options=list(grids), value=first, description="task"),
        "epoch": widgets.SelectionSlider(options=labels, value=labels[-1], description="epoch"),
    }

    def redraw(change=None):
        task, epoch = controls["task"].value, controls["epoch"].value
        g = grids[task][labels.index(epoch)]                                      # (K, P)
        with fig.batch_update():
            fig.data[0].z = g
            fig.data[0].text = np.round(g, 3)
            fig.layout.title.text = f"Gate values of task {task!r} after epoch {epoch}"

    return Explorer(fig, controls, redraw)


def confidence_explorer(c: np.ndarray, activations: Mapping[str, Mapping[str, np.ndarray]],
                        true_curves: Mapping[str, Curve], *, level: float = 0.9,
                        bins: int = 40, difference: tuple[str, str] | None = ("mmoe", "dephn"),
                        seeds: int | None = None) -> Explorer:
    """Pick a task, a model (or all) and the interval level: one panel of Fig. 7, and below it the
    activation of difference[0] minus difference[1] per band of c, mean over seeds with its 95%
    t-interval (`confidence.confidence_difference`; shown when both models are there).

    The figure keeps the traces it was displayed with (a model not chosen is hidden, a task without
    a true curve hides that trace) and holds plain lists: plotly's front end compares the plotted
    traces with the displayed ones index by index, and its reply about a numpy array that changed
    raised a ValueError in the kernel at every move of a control."""
    if not activations:
        raise DephnError("no model activations to explore")
    tasks = list(next(iter(activations.values())))
    colors = colors_for(activations)
    placeholder = (np.zeros(0), np.zeros(0))
    pair = tuple(difference) if difference is not None and set(difference) <= set(activations) else None

    def build(task, lvl):
        curves = {task: true_curves.get(task, placeholder)}
        return confidence_plot(c, activations, curves, level=lvl, bins=bins, tasks=[task], colors=colors,
                               difference=pair, seeds=seeds)

    first = build(tasks[0], level)
    fig = go.FigureWidget(plain_figure(first))
    controls = {
        "task": widgets.Dropdown(options=tasks, value=tasks[0], description="task"),
        "model": widgets.Dropdown(options=[ALL, *activations], value=ALL, description="model"),
        "level": widgets.FloatSlider(value=level, min=0.5, max=0.99, step=0.01,
                                     description="interval level", readout_format=".0%", style=WIDE_LABEL),
    }

    def redraw(change=None):
        task, model, lvl = (controls[k].value for k in ("task", "model", "level"))
        new = build(task, lvl)
        chosen = activations if model == ALL else {model: activations[model]}
        with fig.batch_update():
            for old, trace in zip(fig.data, new.data):
                group = trace.legendgroup
                visible = (task in true_curves if group == "true" else
                           True if group == "difference" else model == ALL or group == model)
                old.update(x=plain(trace.x), y=plain(trace.y), customdata=plain(trace.customdata),
                           name=trace.name, hovertemplate=trace.hovertemplate, visible=visible)
            fig.layout.title.text = confidence_title(list(chosen), lvl)
            fig.layout.annotations = new.layout.annotations

    redraw()
    return Explorer(fig, controls, redraw)


def plain(value):
    """A trace value with every numpy array as a list (non-finite numbers as None, a gap)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def plain_figure(fig: go.Figure) -> go.Figure:
    """The figure with every trace's arrays as lists (see `confidence_explorer`)."""
    out = go.Figure(fig)
    for trace in out.data:
        for key in ("x", "y", "z", "text", "customdata"):
            if key in trace and trace[key] is not None:
                trace[key] = plain(trace[key])
    return out


def show(obj, interactive: bool, *, png: bool = False) -> None:
    """Display the live widget (interactive=True) or a static plotly mime bundle (papermill runs);
    png=True adds a PNG for viewers without plotly's renderer (GitHub)."""
    from IPython.display import display

    if interactive:
        display(obj)
        return
    display(mime_bundle(static_figure(obj), png=png), raw=True)


def static_figure(obj) -> go.Figure:
    """The plain figure behind a figure, FigureWidget, Explorer or any widget containing one."""
    if isinstance(obj, BaseFigure):
        return go.Figure(obj)
    if isinstance(obj, Explorer):
        return go.Figure(obj.figure)
    for child in getattr(obj, "children", ()):
        try:
            return static_figure(child)
        except DephnError:
            continue
    raise DephnError(f"no plotly figure in {type(obj).__name__}")


def mime_bundle(fig: go.Figure, *, png: bool = False) -> dict:
    """The plotly mime bundle of a figure, plus text and optional PNG."""
    title = fig.layout.title.text or "untitled"
    bundle = {"application/vnd.plotly.v1+json": json.loads(pio.to_json(fig, remove_uids=True)),
              "text/plain": f"<plotly figure: {title}>"}
    if png:
        data = static_image(fig, "png")
        if data is not None:
            bundle["image/png"] = base64.b64encode(data).decode()
    return bundle

"""Does the virtual gradient act? Its coefficient over training and what it changes.

Left: the coefficient's mean per recorded step (line) and its range over every gate entry and
sample (band). Right: how much the coefficient changed the gate parameters' gradient and their
update at the same steps (relative L2 change, from the probe of `dephn.train.probe`). Under
Adam a near-constant coefficient changes the gradient but not the update; with SGD on the
gates the update changes as much as the gradient.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..errors import DephnError
from .theme import colors_for, finish, rgba

REQUIRED = ("model", "regime", "seed", "step", "coef_mean", "coef_min", "coef_max")


def vg_action(frame: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """frame: one row per run and recorded step (`dephn.study.items.vg_action`)."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise DephnError(f"virtual-gradient action frame lacks column(s) {missing}")
    if frame.empty:
        raise DephnError("no virtual-gradient run recorded its coefficients")
    frame = frame.assign(curve=frame["model"] + " · " + frame["regime"])
    colors = colors_for(dict.fromkeys(frame["curve"]))
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=(
        "coefficient: mean per step, band = min–max over entries", "relative change by the coefficient"))
    for curve, part in frame.groupby("curve", sort=False):
        by_step = part.groupby("step").agg(mean=("coef_mean", "mean"), lo=("coef_min", "min"), hi=("coef_max", "max"))
        steps = list(by_step.index)
        fig.add_trace(go.Scatter(x=steps + steps[::-1], y=list(by_step["hi"]) + list(by_step["lo"])[::-1],
                                 fill="toself", fillcolor=rgba(colors[curve], 0.15), line=dict(width=0),
                                 hoverinfo="skip", showlegend=False, legendgroup=curve), row=1, col=1)
        fig.add_trace(go.Scatter(x=steps, y=by_step["mean"], mode="lines", name=curve, legendgroup=curve,
                                 line=dict(color=colors[curve])), row=1, col=1)
        for key, dash, word in (("grad_rel_change", "dot", "gradient"), ("update_rel_change", "solid", "update")):
            if key not in part.columns:
                continue
            probe = part.dropna(subset=[key]).groupby("step")[key].median()
            fig.add_trace(go.Scatter(x=list(probe.index), y=probe.values, mode="lines+markers", legendgroup=curve,
                                     name=f"{curve}: {word}", line=dict(color=colors[curve], dash=dash),
                                     marker=dict(size=4), showlegend=True), row=1, col=2)
    fig.add_hline(y=1.0, line_dash="dot", line_color="#444", row=1, col=1)
    fig.update_xaxes(title_text="training step")
    fig.update_yaxes(title_text="coefficient c", row=1, col=1)
    fig.update_yaxes(title_text="‖with − without‖ / ‖without‖ (median over seeds)", row=1, col=2)
    return finish(fig, title or "Does the virtual gradient act? Coefficient and its effect on the gate update",
                  width=1150, height=480, legend=dict(title="model · regime (dotted: gradient, solid: update)"))

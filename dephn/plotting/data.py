"""Figures of the data sets themselves: the Criteo-R/UR target curves and label rates (docs/decisions.md#label-rates)."""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..errors import DephnError
from .theme import colors_for, finish


def target_curves(c: np.ndarray, targets: Mapping[str, np.ndarray], *, mode: str = "lines",
                  title: str | None = None) -> go.Figure:
    """The true targets y(c) against the base confidence c, e.g. c itself, y_r and y_ur.

    c: (N,) grid or samples; targets: name -> (N,). Points are sorted by c so lines read left
    to right; mode "markers" suits targets with noise (y_r has an ε term).
    """
    c = np.asarray(c, dtype=float).reshape(-1)
    if not targets:
        raise DephnError("no target curve to plot")
    order = np.argsort(c, kind="stable")
    colors = colors_for(targets)
    fig = go.Figure()
    for name, y in targets.items():
        y = np.asarray(y, dtype=float).reshape(-1)
        if y.shape != c.shape:
            raise DephnError(f"target {name!r} has {len(y)} values, c has {len(c)}")
        fig.add_trace(go.Scatter(x=c[order], y=y[order], mode=mode, name=name,
                                 line=dict(color=colors[name], width=2),
                                 marker=dict(color=colors[name], size=3, opacity=0.5),
                                 hovertemplate=f"{name}<br>c %{{x:.3f}}<br>y %{{y:.3f}}<extra></extra>"))
    fig.add_hline(y=0, line_color="#bbb", line_width=1)
    fig.update_xaxes(title_text="base confidence c (teacher logit)")
    fig.update_yaxes(title_text="target y(c)")
    return finish(fig, title or "True targets against the base confidence c (Criteo-R / Criteo-UR, "
                                "paper §IV-A); labels threshold these curves",
                  width=850, height=480, legend=dict(title="target"))


def label_rates(summary: pd.DataFrame, *, log_y: bool = True, title: str | None = None) -> go.Figure:
    """Positive-label rate per task (colour) and data set (x). summary columns: dataset, task, rate.

    Log scale by default: Ali-CCP's conversion rate is orders of magnitude below its click rate.
    """
    missing = [c for c in ("dataset", "task", "rate") if c not in summary.columns]
    if missing:
        raise DephnError(f"label-rate frame lacks column(s) {missing}")
    tasks = list(dict.fromkeys(summary["task"]))
    colors = colors_for(tasks)
    fig = go.Figure()
    for task in tasks:
        part = summary[summary["task"] == task]
        fig.add_trace(go.Bar(x=part["dataset"], y=part["rate"], name=task, marker_color=colors[task],
                             text=[f"{r:.2%}" if r >= 0.001 else f"{r:.2e}" for r in part["rate"]],
                             textposition="outside",
                             hovertemplate=f"{task}<br>%{{x}}: %{{y:.4%}}<extra></extra>"))
    fig.update_xaxes(title_text="data set")
    fig.update_yaxes(title_text="positive-label rate" + (" (log scale)" if log_y else ""),
                     type="log" if log_y else "linear")
    return finish(fig, title or "Positive-label rate per task and data set", width=800, height=460,
                  barmode="group", legend=dict(title="task"))

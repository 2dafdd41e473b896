"""Paired gains of several methods over one baseline, per data set, model and task (notebook 09).

Each bar is the mean paired test-AUC difference over seeds against plain training, with its
t-interval; a star marks p < 0.05; the grey tick is the smallest difference the paired test
could detect at this number of seeds (80% power), so a bar inside it reads "inconclusive".
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..errors import DephnError
from .theme import colors_for, finish

REQUIRED = ("dataset", "model", "method", "task", "diff", "lo", "hi", "p_value")
SIGNIFICANT = 0.05


def method_gains(frame: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """frame: `dephn.study.items.paired_gains` (one row per data set, model, method, task)."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise DephnError(f"gain frame lacks column(s) {missing}")
    if frame.empty:
        raise DephnError("no method to compare with plain training")
    panels = list(dict.fromkeys(zip(frame["dataset"], frame["model"])))
    tasks = list(dict.fromkeys(frame["task"]))
    colors = colors_for(tasks)
    fig = make_subplots(rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=0.07,
                        subplot_titles=[f"{d} — {m}" for d, m in panels])
    for row, (dataset, model) in enumerate(panels, start=1):
        part = frame[(frame["dataset"] == dataset) & (frame["model"] == model)]
        for task in tasks:
            t = part[part["task"] == task]
            fig.add_trace(go.Bar(
                x=t["method"], y=t["diff"], name=task, legendgroup=task, showlegend=row == 1,
                marker_color=colors[task],
                error_y=dict(type="data", symmetric=False, array=t["hi"] - t["diff"], arrayminus=t["diff"] - t["lo"]),
                text=["★" if p < SIGNIFICANT else "" for p in t["p_value"]], textposition="outside",
                customdata=t[["p_value"] + (["detectable"] if "detectable" in t else [])].to_numpy(),
                hovertemplate=f"{task}<br>%{{x}}: %{{y:+.4f}}<br>p = %{{customdata[0]:.3g}}<extra></extra>"),
                row=row, col=1)
        fig.add_hline(y=0.0, line_color="#444", row=row, col=1)
        fig.update_yaxes(title_text="Δ test AUC", row=row, col=1)
    return finish(fig, title or "Paired test-AUC gain over plain training (mean, 95% interval, ★ p < 0.05)",
                  width=1100, height=300 * len(panels) + 160, barmode="group", legend=dict(title="task"))

"""Distribution of the virtual-gradient coefficients c^t_m seen during training (eq. 8).

c = 1 leaves a gate's gradient unchanged; c > 1 amplifies it, c < 1 damps it (γ ∈ [0, 2]).
Where the mass of the histogram sits tells whether a γ × correlation setting did anything.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..errors import DephnError
from .theme import colors_for, finish


def coefs_by_task(history: np.ndarray, tasks: Sequence[str]) -> dict[str, np.ndarray]:
    """Split the recorder's (steps, T, ...) coefficient history into {task: (steps, ...)}."""
    h = np.asarray(history)
    if h.ndim < 2 or h.shape[1] != len(tasks):
        raise DephnError(f"coefficient history of shape {h.shape} has no task axis of length {len(tasks)}")
    return {t: h[:, i] for i, t in enumerate(tasks)}


def vg_coefficients(coefs: Mapping[str, np.ndarray], *, bins: int = 50, facet: bool = False,
                    title: str | None = None) -> go.Figure:
    """Histograms of the coefficients (all steps and gate entries pooled) per label, e.g. task.

    Overlaid by default; facet=True puts each label in its own row with a shared x axis.
    Bars are the share of coefficients per bin, so labels with different counts compare.
    """
    values = {str(k): np.asarray(v, dtype=float).reshape(-1) for k, v in coefs.items()}
    values = {k: v[np.isfinite(v)] for k, v in values.items()}
    if not values or not any(len(v) for v in values.values()):
        raise DephnError("no virtual-gradient coefficient to plot (was the virtual gradient on?)")
    lo = min(float(v.min()) for v in values.values() if len(v))
    hi = max(float(v.max()) for v in values.values() if len(v))
    size = (hi - lo) / bins if hi > lo else 0.01
    xbins = dict(start=lo, end=hi + size, size=size)   # identical bins for every label
    colors = colors_for(values)
    rows = len(values) if facet else 1
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=list(values) if facet else None)
    for i, (label, v) in enumerate(values.items()):
        fig.add_trace(go.Histogram(
            x=v, name=f"{label} (n={len(v)})", xbins=xbins, histnorm="probability",
            marker_color=colors[label], opacity=1.0 if facet else 0.6,
            hovertemplate=f"{label}<br>c in %{{x}}<br>share %{{y:.3f}}<extra></extra>"),
            row=i + 1 if facet else 1, col=1)
    for r in range(1, rows + 1):
        fig.add_vline(x=1.0, line_dash="dot", line_color="#444", row=r, col=1)
    fig.update_xaxes(title_text="coefficient c (gradient multiplier; 1 = unchanged)", row=rows, col=1)
    fig.update_yaxes(title_text="share of coefficients")
    return finish(fig, title or "Virtual-gradient coefficients seen during training (eq. 8)",
                  width=850, height=max(420, 220 * rows + 120), barmode="overlay",
                  legend=dict(title="coefficients of"))

"""The virtual gradient: its γ functions (paper Fig. 4), its coefficients in training, whether it acts.

x is the label correlation φ(Y_j, Y_t) of two tasks, y the gate difference min(1, |G^t − G^j|);
γ(x, y) ∈ [0, 2] scales the gradient reaching a gate (eq. 8; docs/decisions.md#gamma-functions):
c = 1 leaves it unchanged, c > 1 amplifies it, c < 1 damps it. The values come from the
functions the training uses (`dephn.virtual_gradient.GAMMAS`), not a re-typed copy.
`vg_action` shows beside the coefficient how much it changed the gate parameters' gradient and
update (relative L2 change, from `dephn.train.probe`): under Adam a near-constant coefficient
changes the gradient but not the update; with SGD on the gates both change alike.
"""
from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from ..errors import DephnError
from ..virtual_gradient import GAMMAS
from .theme import SEQUENTIAL, colors_for, finish, require_columns, rgba

FORMULAS = {
    "mul_cos": "cos(2πxy) + 1", "mul_abs": "2·|2xy − 1|",
    "mul_square": "2·(2xy − 1)²", "mul_sqrt": "2·|2xy − 1|^0.5",
    "add_cos": "cos(πx + πy) + 1", "add_abs": "2·|x + y − 1|",
    "add_square": "2·(x + y − 1)²", "add_sqrt": "2·|x + y − 1|^0.5",
}
X_LABEL = "label correlation x = |φ(Y_j, Y_t)|"
Y_LABEL = "gate difference y = min(1, |G^t − G^j|)"
ACTION_COLUMNS = ("model", "regime", "seed", "step", "coef_mean", "coef_min", "coef_max")
GammaFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def gamma_grid(gamma: GammaFn | str, n: int = 101) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """γ on an n×n grid of [0, 1]²: returns (x (n,), y (n,), z (n, n)) with z[i, j] = γ(x[j], y[i])."""
    fn = _resolve(gamma)
    if n < 2:
        raise ValueError(f"the grid needs at least 2 points per axis, got n={n}")
    axis = np.linspace(0.0, 1.0, n)                               # (n,)
    xx, yy = np.meshgrid(axis, axis)                              # (n, n): rows follow y
    z = fn(torch.from_numpy(xx), torch.from_numpy(yy)).numpy()    # (n, n) float64
    return axis, axis.copy(), z


def gamma_heatmaps(gammas: Mapping[str, GammaFn] | Sequence[str] = GAMMAS, n: int = 101,
                   cols: int = 4) -> go.Figure:
    """Fig. 4: one heat map per γ (x = label correlation, y = gate difference), one colour scale."""
    fns = _as_mapping(gammas)
    rows = math.ceil(len(fns) / cols)
    titles = [f"{name}: {FORMULAS.get(name, '')}".rstrip(": ") for name in fns]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.06,
                        vertical_spacing=0.16, shared_xaxes=False, shared_yaxes=False)
    for i, (name, fn) in enumerate(fns.items()):
        x, y, z = gamma_grid(fn, n)
        fig.add_trace(go.Heatmap(x=x, y=y, z=z, coloraxis="coloraxis", name=name,
                                 hovertemplate=f"{name}<br>x=%{{x:.2f}}<br>y=%{{y:.2f}}"
                                               "<br>γ=%{z:.3f}<extra></extra>"),
                      row=i // cols + 1, col=i % cols + 1)
    fig.update_xaxes(range=[0, 1], constrain="domain")
    fig.update_yaxes(range=[0, 1], scaleanchor=None)
    for c in range(1, cols + 1):       # axis titles once per row/column keep the grid readable
        fig.update_xaxes(title_text="label correlation x", row=rows, col=c)
    for r in range(1, rows + 1):
        fig.update_yaxes(title_text="gate difference y", row=r, col=1)
    finish(fig, "Virtual-gradient functions γ(x, y) (paper Fig. 4): x = |φ(Y_j, Y_t)|, "
                "y = min(1, |G^t − G^j|); γ multiplies the gate's gradient",
           width=300 * cols + 150, height=330 * rows + 120,
           coloraxis=dict(colorscale=SEQUENTIAL, cmin=0.0, cmax=2.0,
                          colorbar=dict(title="γ", len=0.9)))
    return fig


def gamma_point_table(x: float, y: float,
                      gammas: Mapping[str, GammaFn] | Sequence[str] = GAMMAS) -> pd.DataFrame:
    """Every γ at one point (x, y) of [0, 1]²: columns gamma, formula, value (multiplier on the gradient)."""
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise DephnError(f"(x, y) must lie in [0, 1]², got ({x}, {y})")
    xt = torch.tensor(float(x), dtype=torch.float64)
    yt = torch.tensor(float(y), dtype=torch.float64)
    rows = [{"gamma": name, "formula": FORMULAS.get(name, ""), "value": float(fn(xt, yt))}
            for name, fn in _as_mapping(gammas).items()]
    return pd.DataFrame(rows, columns=["gamma", "formula", "value"])


def _resolve(gamma: GammaFn | str) -> GammaFn:
    if callable(gamma):
        return gamma
    if gamma not in GAMMAS:
        raise DephnError(f"unknown γ {gamma!r}; known: {', '.join(GAMMAS)}")
    return GAMMAS[gamma]


def _as_mapping(gammas) -> dict[str, GammaFn]:
    fns = dict(gammas) if isinstance(gammas, Mapping) else {g: _resolve(g) for g in gammas}
    if not fns:
        raise DephnError("no γ function to plot")
    return fns


def vg_coefficients(coefs: Mapping[str, np.ndarray], *, bins: int = 50, facet: bool = False,
                    title: str | None = None) -> go.Figure:
    """Histograms of the coefficients (all steps and gate entries pooled) per label, e.g. task:
    overlaid, or facet=True one row each; bars are shares per bin, so labels of any count compare."""
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


def vg_action(frame: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Left: the coefficient's mean per recorded step (line) and its range over every gate entry
    and sample (band); right: its relative change of the gates' gradient and update.
    frame: one row per run and recorded step (`dephn.study.items.vg_action`)."""
    require_columns(frame, ACTION_COLUMNS, "virtual-gradient action frame")
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

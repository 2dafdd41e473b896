"""Paper Fig. 4: the eight virtual-gradient functions γ(x, y) over [0, 1]² (docs/decisions.md#gamma-functions).

x is the label correlation φ(Y_j, Y_t) of two tasks, y the gate difference
min(1, |G^t − G^j|); γ scales the gradient reaching a gate (eq. 8). The values come from
the same functions the training uses (`dephn.virtual_gradient.GAMMAS`), not a re-typed copy.
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
from .theme import SEQUENTIAL, finish

FORMULAS = {
    "mul_cos": "cos(2πxy) + 1", "mul_abs": "2·|2xy − 1|",
    "mul_square": "2·(2xy − 1)²", "mul_sqrt": "2·|2xy − 1|^0.5",
    "add_cos": "cos(πx + πy) + 1", "add_abs": "2·|x + y − 1|",
    "add_square": "2·(x + y − 1)²", "add_sqrt": "2·|x + y − 1|^0.5",
}
X_LABEL = "label correlation x = |φ(Y_j, Y_t)|"
Y_LABEL = "gate difference y = min(1, |G^t − G^j|)"
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
    if isinstance(gammas, Mapping):
        fns = dict(gammas)
    else:
        fns = {g: _resolve(g) for g in gammas}
    if not fns:
        raise DephnError("no γ function to plot")
    return fns

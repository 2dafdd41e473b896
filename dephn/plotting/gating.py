"""Gate values G^t_kp of DEPHN (eq. 4; docs/decisions.md#tvg-and-mg-gates), or G^t_k of MMoE, and
each expert × mapping's term G^t_kp (W^t_kp · f_p(e_k)) of the public logit ("contrib/<task>").
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ..errors import DephnError
from .theme import PALETTE, SEQUENTIAL, colors_for, finish

_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def as_epoch_grid(history: np.ndarray, experts: Sequence[str],
                  mappings: Sequence[str] | None) -> np.ndarray:
    """Gate history as (epochs, K, P) from (E, K, P), (E, K*P), MMoE's (E, K), or per-sample gates
    (E, B, K, P) / (E, B, K) (mean over the probe batch)."""
    h = np.asarray(history, dtype=float)
    k, p = len(experts), len(mappings) if mappings else 1
    if h.ndim >= 2 and h.shape[1:] == (k, p):
        return h
    if h.ndim == 2 and h.shape[1] == k * p:
        return h.reshape(len(h), k, p)
    if h.ndim == 4 and h.shape[2:] == (k, p):
        return h.mean(axis=1)                     # MG: average the per-sample gates
    if h.ndim == 3 and not mappings and h.shape[2] == k:
        return h.mean(axis=1)[:, :, None]         # MMoE per sample: (E, B, K) -> (E, K, 1)
    raise DephnError(f"gate history of shape {h.shape} does not match {k} experts x {p} mappings")


def gate_history(history: np.ndarray, experts: Sequence[str], mappings: Sequence[str] | None,
                 task: str, *, epochs: Sequence[int] | None = None,
                 title: str | None = None) -> go.Figure:
    """Gate value of every expert × mapping of one task against the epoch (default 1..E).
    history: see `as_epoch_grid`."""
    grid = as_epoch_grid(history, experts, mappings)                # (E, K, P)
    maps = list(mappings) if mappings else [""]
    x = np.asarray(epochs) if epochs is not None else np.arange(1, len(grid) + 1)
    if len(x) != len(grid):
        raise DephnError(f"{len(x)} epoch labels for {len(grid)} recorded epochs")
    fig = go.Figure()
    for k, expert in enumerate(experts):
        for p, mapping in enumerate(maps):
            name = f"{expert} · {mapping}" if mapping else str(expert)
            fig.add_trace(go.Scatter(
                x=x, y=grid[:, k, p], mode="lines+markers", name=name,
                line=dict(color=PALETTE[k % len(PALETTE)], dash=_DASHES[p % len(_DASHES)]),
                marker=dict(size=5),
                hovertemplate=f"{name}<br>epoch %{{x}}<br>gate %{{y:.4f}}<extra></extra>"))
    uniform = 1.0 / (len(experts) * len(maps))
    fig.add_hline(y=uniform, line_dash="dot", line_color="#888",
                  annotation_text=f"uniform 1/{len(experts) * len(maps)}",
                  annotation_position="bottom right")
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="gate value (softmax over experts × mappings)")
    return finish(fig, title or f"Gate values of task {task!r} over training "
                                "(colour = expert, dash = mapping)",
                  width=900, height=500, legend=dict(title="expert · mapping"))


def gate_heatmap(gates: np.ndarray, experts: Sequence[str], mappings: Sequence[str] | None, *,
                 task: str = "", epoch: int | None = None, zmax: float | None = None,
                 title: str | None = None) -> go.Figure:
    """One task's gates at one epoch as a K × P heat map; zmax fixes the colour scale's top."""
    g = as_epoch_grid(np.asarray(gates, dtype=float)[None], experts, mappings)[0]   # (K, P)
    maps = list(mappings) if mappings else ["gate"]
    fig = go.Figure(go.Heatmap(
        z=g, x=maps, y=list(experts), zmin=0.0, zmax=zmax if zmax is not None else float(g.max()),
        colorscale=SEQUENTIAL, colorbar=dict(title="gate"), text=np.round(g, 3),
        texttemplate="%{text}", hovertemplate="%{y} · %{x}: %{z:.4f}<extra></extra>"))
    fig.update_xaxes(title_text="explicit mapping", side="bottom")
    fig.update_yaxes(title_text="public expert", autorange="reversed")
    who = f" of task {task!r}" if task else ""
    when = f" after epoch {epoch}" if epoch is not None else ""
    return finish(fig, title or f"Gate values{who}{when}",
                  width=max(420, 110 * len(maps) + 260), height=max(320, 60 * len(experts) + 180))


def contributions(contrib: Mapping[str, np.ndarray], mappings: Sequence[str], *,
                  experts: Sequence[str] | None = None, title: str | None = None) -> go.Figure:
    """Grouped bars: x = expert · mapping, colour = task, height = mean |contribution| over samples."""
    if not contrib:
        raise DephnError("no contribution to plot")
    arrays = {t.removeprefix("contrib/"): np.asarray(a, dtype=float) for t, a in contrib.items()}
    shapes = {a.shape[1:] for a in arrays.values()}
    if any(a.ndim != 3 for a in arrays.values()) or len(shapes) != 1:
        raise DephnError(f"contributions must all be (B, K, P), got "
                         f"{ {t: a.shape for t, a in arrays.items()} }")
    k, p = shapes.pop()
    if len(mappings) != p:
        raise DephnError(f"{len(mappings)} mapping names for P = {p}")
    experts = list(experts) if experts is not None else [f"expert {i + 1}" for i in range(k)]
    if len(experts) != k:
        raise DephnError(f"{len(experts)} expert names for K = {k}")
    labels = [f"{e} · {m}" for e in experts for m in mappings]          # K*P, expert-major
    colors = colors_for(arrays)
    fig = go.Figure()
    for task, a in arrays.items():
        mean_abs = np.abs(a).mean(axis=0).reshape(-1)                    # (K*P,)
        signed = a.mean(axis=0).reshape(-1)                              # (K*P,)
        fig.add_trace(go.Bar(
            x=labels, y=mean_abs, name=task, marker_color=colors[task], customdata=signed,
            hovertemplate=f"task {task}<br>%{{x}}<br>mean |contribution| %{{y:.4f}}"
                          "<br>signed mean %{customdata:.4f}<extra></extra>"))
    fig.update_xaxes(title_text="public expert · explicit mapping", tickangle=-30)
    fig.update_yaxes(title_text="mean |G·(W·f(e))| on the public logit")
    return finish(fig, title or "Contribution of each expert × mapping to the public logit "
                                "(DEPHN eq. 4), mean absolute value over samples",
                  width=max(600, 45 * len(labels) * len(arrays) + 250), height=480,
                  barmode="group", legend=dict(title="task"))

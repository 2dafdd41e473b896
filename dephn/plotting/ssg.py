"""Paper Fig. 3: the soft-selection gates G_sg (3a, eq. 1; docs/decisions.md#soft-selection-gating),
on a colour scale centred on their initial 0.5, and the public share |s^pub| / (|s^pub| + |s^pri|)
of the activation s_t = s^pub_t + s^pri_t (3b, eqs. 4–6).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..errors import DephnError
from .theme import DIVERGING, colors_for, finish, require_columns

STRUCTURES = ("dnn", "cross", "field")   # the paper's row order
SSG_INIT = 0.5                           # G_sg's initial value (docs/decisions.md#soft-selection-gating)
ACTIVATION_COLUMNS = ("task", "seed", "public_abs", "private_abs")


def ssg_heatmap(ssg: Mapping[str, np.ndarray], *, title: str | None = None) -> go.Figure:
    """Rows = structure, columns = embedding dimension. ssg: structure (or "ssg/<structure>") ->
    (d,), or (seeds, d): the mean, std in hover."""
    vectors = {k.removeprefix("ssg/"): np.asarray(v, dtype=float) for k, v in ssg.items()}
    if not vectors:
        raise DephnError("no SSG vector to plot")
    order = [s for s in STRUCTURES if s in vectors] + [s for s in vectors if s not in STRUCTURES]
    stacked = [_as_seeds(name, vectors[name]) for name in order]     # each (seeds, d)
    dims = {a.shape[1] for a in stacked}
    if len(dims) != 1:
        raise DephnError(f"SSG vectors differ in length: { {n: a.shape[1] for n, a in zip(order, stacked)} }")
    n_seeds = max(a.shape[0] for a in stacked)
    mean = np.stack([a.mean(axis=0) for a in stacked])               # (S, d)
    std = np.stack([a.std(axis=0, ddof=1) if a.shape[0] > 1 else np.full(a.shape[1], np.nan)
                    for a in stacked])                                # (S, d)
    counts = np.array([[a.shape[0]] * a.shape[1] for a in stacked])   # (S, d)
    d = mean.shape[1]
    spread = float(np.nanmax(np.abs(mean - SSG_INIT))) or 0.5
    fig = go.Figure(go.Heatmap(
        z=mean, x=np.arange(1, d + 1), y=order, customdata=np.dstack([std, counts]),
        colorscale=DIVERGING, zmid=SSG_INIT, zmin=SSG_INIT - spread, zmax=SSG_INIT + spread,
        colorbar=dict(title="G_sg"),
        hovertemplate="%{y}, dimension %{x}<br>G_sg = %{z:.3f}"
                      + ("<br>std over %{customdata[1]} seeds = %{customdata[0]:.3f}" if n_seeds > 1 else "")
                      + "<extra></extra>"))
    fig.update_xaxes(title_text="embedding dimension", dtick=1 if d <= 32 else None)
    fig.update_yaxes(title_text="structure", autorange="reversed")
    seeds_note = f", mean over {n_seeds} seeds" if n_seeds > 1 else ""
    return finish(fig, title or f"Soft-selection gates G_sg per structure (paper Fig. 3a{seeds_note}); "
                                "0.5 = initial value, >0.5 favours self-attention",
                  width=max(600, 28 * d + 250), height=170 + 70 * len(order))


def _as_seeds(name: str, a: np.ndarray) -> np.ndarray:
    if a.ndim == 1:
        return a[None, :]                                            # (1, d)
    if a.ndim == 2:
        return a                                                     # (seeds, d)
    raise DephnError(f"SSG vector {name!r} must be (d,) or (seeds, d), got shape {a.shape}")


def public_share(frame: pd.DataFrame, by: Sequence[str] = ("task",)) -> pd.DataFrame:
    """Per group: mean, std (over seeds, ddof=1) and n of |pub| / (|pub| + |pri|). frame: one row
    per (task, seed[, model ...]) of mean absolute public and private logits (both 0: left out)."""
    require_columns(frame, (*ACTIVATION_COLUMNS, *by), "activation frame")
    pub = frame["public_abs"].to_numpy(float)
    pri = frame["private_abs"].to_numpy(float)
    if (pub < 0).any() or (pri < 0).any():
        raise DephnError("public_abs and private_abs are magnitudes and must be >= 0")
    total = pub + pri
    share = np.divide(pub, total, out=np.full_like(total, np.nan), where=total > 0)
    df = frame.assign(share=share).dropna(subset=["share"])
    return (df.groupby(list(by), sort=False)["share"]
              .agg(mean="mean", std=lambda s: s.std(ddof=1) if len(s) > 1 else np.nan, n="count")
              .reset_index())


def activation_ratio(frame: pd.DataFrame, *, group: str | None = None,
                     title: str | None = None) -> go.Figure:
    """Fig. 3b: one bar per task (and `group` value, side by side) of the public share, mean over
    seeds ± 1 std."""
    by = ["task"] + ([group] if group else [])
    stats = public_share(frame, by)
    groups = list(dict.fromkeys(stats[group])) if group else [None]
    colors = colors_for(str(g) for g in groups)
    fig = go.Figure()
    for g in groups:
        part = stats if g is None else stats[stats[group] == g]
        fig.add_trace(go.Bar(
            x=part["task"], y=part["mean"], name=str(g) if g is not None else "public share",
            marker_color=colors[str(g)], showlegend=g is not None,
            error_y=dict(type="data", array=part["std"].fillna(0).to_numpy(), visible=True),
            customdata=np.stack([part["std"], part["n"]], axis=1),
            hovertemplate="%{x}: %{y:.3f} ± %{customdata[0]:.3f} (n=%{customdata[1]} seeds)"
                          "<extra>%{fullData.name}</extra>"))
    fig.add_hline(y=0.5, line_dash="dot", line_color="#888",
                  annotation_text="equal public and private", annotation_position="top left")
    fig.update_yaxes(title_text="public share |s_pub| / (|s_pub| + |s_pri|)", range=[0, 1])
    fig.update_xaxes(title_text="task")
    n = int(stats["n"].max()) if len(stats) else 0
    return finish(fig, title or f"Share of the pre-sigmoid activation from the public experts "
                                f"(paper Fig. 3b; mean ± std over {n} seeds)",
                  width=max(500, 160 * len(stats) + 200), height=480, barmode="group")

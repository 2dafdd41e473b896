"""Paper Fig. 6: training loss curves (e.g. DEPHN with TVG vs MG gates), a mean line over seeds
per group with a band (min–max or ±1 std), so a gap can be told from seed noise.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..errors import DephnError
from .theme import colors_for, fill_band, finish, require_columns

BANDS = ("minmax", "std", "none")


def loss_curves(frame: pd.DataFrame, by: str = "gate", *, y: str = "loss", band: str = "minmax",
                smooth: int = 1, title: str | None = None, x_title: str = "training step",
                y_title: str | None = None) -> go.Figure:
    """Mean training loss per `by` group against the step, with a band over seeds. frame: step,
    seed, <by>, <y> per recorded step of a run; smooth > 1: a trailing moving average per run."""
    require_columns(frame, ("step", "seed", by, y), "loss frame")
    if band not in BANDS:
        raise DephnError(f"unknown band {band!r}; known: {', '.join(BANDS)}")
    if smooth < 1:
        raise DephnError(f"smooth must be >= 1 recorded steps, got {smooth}")
    runs = frame.sort_values([by, "seed", "step"])
    if smooth > 1:
        runs = runs.assign(**{y: runs.groupby([by, "seed"], sort=False)[y]
                              .transform(lambda s: s.rolling(smooth, min_periods=1).mean())})
    agg = curve_stats(runs, by, y)
    groups = list(dict.fromkeys(str(g) for g in frame[by]))
    colors = colors_for(groups)
    fig = go.Figure()
    for g, part in agg.groupby(agg[by].astype(str), sort=False):
        color = colors[g]
        if band != "none" and (part["n"] > 1).any():
            lo, hi = ((part["min"], part["max"]) if band == "minmax"
                      else (part["mean"] - part["std"], part["mean"] + part["std"]))
            fig.add_trace(fill_band(part["step"], lo, hi, color, f"{g} band", g, alpha=0.2))
        fig.add_trace(go.Scatter(
            x=part["step"], y=part["mean"], mode="lines", name=g, legendgroup=g,
            line=dict(color=color, width=2), customdata=part["n"],
            hovertemplate=f"{by} = {g}<br>step %{{x}}<br>mean {y} %{{y:.4f}} "
                          "over %{customdata} seeds<extra></extra>"))
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=(y_title or f"training {y}") + (f" (moving average of {smooth})" if smooth > 1 else ""))
    n = int(agg["n"].max()) if len(agg) else 0
    band_text = {"minmax": "band = min–max", "std": "band = ±1 std", "none": "no band"}[band]
    return finish(fig, title or f"Training {y} by {by}: mean over {n} seeds, {band_text}",
                  width=900, height=500, legend=dict(title=by))


def curve_stats(frame: pd.DataFrame, by: str, y: str = "loss") -> pd.DataFrame:
    """Per (group, step): mean, std (ddof=1), min, max and n of `y` over seeds."""
    grouped = frame.groupby([by, "step"], sort=False)[y]
    out = grouped.agg(mean="mean", std="std", min="min", max="max", n="count").reset_index()
    return out.sort_values([by, "step"], kind="stable").reset_index(drop=True)

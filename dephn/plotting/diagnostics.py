"""Does a model learn a band of c, or only re-rank task 1? The two figures of notebook 06's diagnostics
(frames from `dephn.study.diagnostics`): on the diagonal of `reranking_plot` the task-2 output only
re-ranks task 1; above the monotone ceiling it has learnt that task 2 falls again past its band.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..errors import DephnError
from .theme import TRUE_CURVE_COLOR, colors_for, finish, require_columns, rgba

BAND_COLUMNS = ("model", "task", "c_mid", "mean", "min", "max", "true")
CEILING_STYLE = {"strictly monotone ceiling": "dashdot", "monotone ceiling (ties allowed)": "dot",
                 "Bayes ceiling (true probability)": "dash"}


def band_means_plot(bands: pd.DataFrame, *, tasks: Sequence[str] | None = None,
                    title: str | None = None) -> go.Figure:
    """One panel per task: per model the mean predicted probability per bin of c (line, mean over
    seeds), the range over seeds (band) and the bin's true probability (dashed). bands: columns
    model, task, c_mid, mean, min, max, true (one row per model, task and bin)."""
    require_columns(bands, BAND_COLUMNS, "band means frame")
    if not len(bands):
        raise DephnError("no band means to plot")
    tasks = list(tasks) if tasks is not None else list(dict.fromkeys(bands["task"]))
    models = list(dict.fromkeys(bands["model"]))
    colors = colors_for(models)
    fig = make_subplots(rows=1, cols=len(tasks), subplot_titles=[f"task {t}" for t in tasks],
                        horizontal_spacing=0.08, shared_yaxes=True)
    for j, task in enumerate(tasks, 1):
        part = bands[bands["task"] == task]
        if not len(part):
            raise DephnError(f"no band means for task {task!r}")
        for model in models:
            m = part[part["model"] == model].sort_values("c_mid")
            x = m["c_mid"].to_numpy(float)
            fig.add_trace(go.Scatter(
                x=np.r_[x, x[::-1]], y=np.r_[m["max"].to_numpy(float), m["min"].to_numpy(float)[::-1]],
                fill="toself", fillcolor=rgba(colors[model], 0.18), line=dict(width=0), hoverinfo="skip",
                name=f"{model} range over seeds", legendgroup=model, showlegend=False), row=1, col=j)
            fig.add_trace(go.Scatter(
                x=x, y=m["mean"], mode="lines+markers", name=model, legendgroup=model, showlegend=j == 1,
                line=dict(color=colors[model], width=2), marker=dict(size=5),
                customdata=np.stack([m["min"], m["max"]], axis=1),
                hovertemplate=f"{model}<br>c %{{x:.3f}}<br>mean prediction %{{y:.3f}}"
                              "<br>seeds from %{customdata[0]:.3f} to %{customdata[1]:.3f}<extra></extra>"),
                row=1, col=j)
        truth = part.drop_duplicates("c_mid").sort_values("c_mid")
        fig.add_trace(go.Scatter(x=truth["c_mid"], y=truth["true"], mode="lines", name="true probability",
                                 legendgroup="true", showlegend=j == 1, line_shape="hvh",
                                 line=dict(color=TRUE_CURVE_COLOR, dash="dash", width=2),
                                 hovertemplate="c %{x:.3f}<br>true P(label) %{y:.3f}<extra>true</extra>"),
                      row=1, col=j)
        fig.update_xaxes(title_text="base confidence c (bin median)", row=1, col=j)
    fig.update_yaxes(title_text="mean predicted probability", range=[-0.02, 1.02], row=1, col=1)
    return finish(fig, title or f"Mean prediction per bin of c: {' vs '.join(models)}; line = mean over seeds, "
                                "band = range over seeds, dashed = true probability",
                  width=max(700, 520 * len(tasks) + 120), height=480)


def reranking_plot(per_seed: pd.DataFrame, ceilings: pd.DataFrame, *, tasks: Sequence[str],
                   title: str | None = None) -> go.Figure:
    """Task 2's AUC from each model's own task-2 logit (y) against from its task-1 logit (x), one
    point per seed, with the diagonal and task 2's ceilings (from c's order alone, strictly or with
    ties, and the Bayes one) as lines. per_seed: columns model, seed, "<t2> AUC", "<t2> AUC by <t1>
    logit"; ceilings: one row per task with the columns of CEILING_STYLE."""
    t1, t2 = tasks[:2]
    own, by_t1 = f"{t2} AUC", f"{t2} AUC by {t1} logit"
    require_columns(per_seed, ("model", "seed", own, by_t1), "re-ranking frame")
    row = ceilings[ceilings["task"] == t2]
    if len(row) != 1:
        raise DephnError(f"ceilings name task {t2!r} {len(row)} times, expected once")
    fig = go.Figure()
    values = np.r_[per_seed[own].to_numpy(float), per_seed[by_t1].to_numpy(float)]
    lo = float(min(np.nanmin(values), row[list(CEILING_STYLE)].min(axis=1).iloc[0])) - 0.02
    hi = 1.005                                              # a ceiling at AUC 1 stays in view
    fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="only re-ranks task 1 (y = x)",
                             line=dict(color="#999999", width=1), hoverinfo="skip"))
    for name, dash in CEILING_STYLE.items():
        level = float(row[name].iloc[0])
        fig.add_trace(go.Scatter(x=[lo, hi], y=[level, level], mode="lines", name=f"{t2} {name}",
                                 line=dict(color=TRUE_CURVE_COLOR, dash=dash, width=1.5),
                                 hovertemplate=f"{name} %{{y:.4f}}<extra></extra>"))
    colors = colors_for(per_seed["model"])
    for model, part in per_seed.groupby("model", sort=False):
        fig.add_trace(go.Scatter(
            x=part[by_t1], y=part[own], mode="markers", name=model, customdata=part["seed"],
            marker=dict(color=colors[model], size=10, line=dict(color="white", width=1)),
            hovertemplate=f"{model} seed %{{customdata}}<br>{t2} AUC %{{y:.4f}}"
                          f"<br>{t2} AUC by {t1} logit %{{x:.4f}}<extra></extra>"))
    fig.update_xaxes(title_text=f"{t2} AUC scored by the {t1} logit", range=[lo, hi])
    fig.update_yaxes(title_text=f"{t2} AUC of the model's own {t2} logit", range=[lo, hi])
    return finish(fig, title or f"Does the {t2} output only re-rank {t1}? One point per model and seed: "
                                "on the diagonal it does; above the monotone ceiling it has learnt the band",
                  width=760, height=620)

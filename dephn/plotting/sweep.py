"""Paired gains over a baseline: paper Fig. 5 (each γ × correlation setting of the virtual gradient
over MMoE) and notebook 09 (each gradient-balancing method over plain training).

The paper shows single-run differences; here every bar is a mean paired difference over seeds
(same seed, same data order for both configurations) with its t-interval, and a star marks
p < 0.05, so a reader sees which gains are real. `method_gains` bars also carry (customdata) the
smallest difference the paired test could detect at this number of seeds (80% power), if given.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..errors import DephnError
from ..experiments.aggregate import paired_comparison, t_half_width
from ..experiments.verdicts import MARGIN, add_verdicts
from ..virtual_gradient import GAMMAS
from .theme import colors_for, finish, require_columns

REQUIRED = ("dataset", "gamma", "corr", "task", "diff", "lo", "hi", "p_value")
METHOD_REQUIRED = ("dataset", "model", "method", "task", "diff", "lo", "hi", "p_value")
SIGNIFICANT = 0.05
_GROUP_WIDTH = 0.8          # share of a category's slot taken by its group of bars


def gain_frame(results: pd.DataFrame, tasks: Sequence[str], *, model: str = "mmoe",
               baseline: dict | None = None, metric: str = "auc", split: str = "test",
               level: float = 0.95, margin: float = MARGIN) -> pd.DataFrame:
    """The input of `gain_over_baseline` from the results store's frame: for every dataset, (gamma,
    corr) setting of `model` with the virtual gradient and task, the paired difference (setting −
    baseline, default `model` without the virtual gradient) of `<split>/<task>/<metric>` over common
    seeds, its t-interval at `level`, the paired t-test p-value, and the verdicts of
    `experiments.verdicts.add_verdicts` (Holm over the settings of each data set and task; TOST
    within ±`margin`) (columns: dataset, gamma, corr, task, n, diff, sd, lo, hi, p_value,
    p_holm, p_equiv_holm, verdict, mark)."""
    base_filter = baseline or {"model": model, "virtual_gradient": False}
    rows = []
    ok = results[results["status"] == "ok"] if "status" in results.columns else results
    for dataset, frame in ok.groupby("dataset", sort=True):
        vg = frame[(frame["model"] == model) & frame["virtual_gradient"].astype(bool)]
        for (gamma, corr), _ in vg.groupby(["gamma", "corr"], sort=True):
            for task in tasks:
                col = f"{split}/{task}/{metric}"
                if col not in frame.columns:
                    raise DephnError(f"results have no column {col!r}")
                cmp = paired_comparison(frame, col, {"model": model, "gamma": gamma, "corr": corr,
                                                     "virtual_gradient": True}, base_filter)
                half = t_half_width(cmp["diff_std"], cmp["n"], level)
                rows.append({"dataset": dataset, "gamma": gamma, "corr": corr, "task": task,
                             "n": cmp["n"], "diff": cmp["diff"], "sd": cmp["diff_std"], "lo": cmp["diff"] - half,
                             "hi": cmp["diff"] + half, "p_value": cmp["p_value"]})
    frame = pd.DataFrame(rows, columns=["dataset", "gamma", "corr", "task", "n", "diff", "sd", "lo", "hi", "p_value"])
    return add_verdicts(frame, ["dataset", "task"], margin) if len(frame) else frame


def gain_over_baseline(frame: pd.DataFrame, *, baseline: str = "MMoE", metric: str = "AUC",
                       title: str | None = None, margin: float = MARGIN) -> go.Figure:
    """Fig. 5: per dataset (columns) and task (rows), grouped bars of the gain over `baseline` (frame:
    see `gain_frame`): x = γ in the paper's order, colour = correlation measure, error bars = [lo,
    hi], beyond each bar its verdict's mark (✓ better, ✗ worse, Holm-corrected; ≈ the same within
    the shaded band ±`margin`; ? inconclusive), or a star where p < 0.05 in a frame without verdicts."""
    require_columns(frame, REQUIRED, "gain frame")
    if frame.empty:
        raise DephnError("gain frame is empty: no virtual-gradient setting to compare")
    datasets = list(dict.fromkeys(frame["dataset"]))
    tasks = list(dict.fromkeys(frame["task"]))
    gammas = [g for g in GAMMAS if g in set(frame["gamma"])] + \
             [g for g in dict.fromkeys(frame["gamma"]) if g not in GAMMAS]
    corrs = list(dict.fromkeys(frame["corr"]))
    colors = colors_for(corrs)
    width = _GROUP_WIDTH / len(corrs)
    fig = make_subplots(rows=len(tasks), cols=len(datasets), shared_xaxes=True,
                        subplot_titles=[f"{d} — {t}" for t in tasks for d in datasets],
                        vertical_spacing=0.12 if len(tasks) > 1 else 0.1)
    star_shown = False
    for r, task in enumerate(tasks, 1):
        for c, dataset in enumerate(datasets, 1):
            cell = frame[(frame["dataset"] == dataset) & (frame["task"] == task)]
            for j, corr in enumerate(corrs):
                part = cell[cell["corr"] == corr].set_index("gamma").reindex(gammas)
                x = np.arange(len(gammas)) + (j - (len(corrs) - 1) / 2) * width   # bar centres
                diff, lo, hi = (part[k].to_numpy(float) for k in ("diff", "lo", "hi"))
                p = part["p_value"].to_numpy(float)
                first = r == 1 and c == 1
                fig.add_trace(go.Bar(
                    x=x, y=diff, width=width * 0.95, name=str(corr), legendgroup=str(corr),
                    showlegend=first, marker_color=colors[str(corr)],
                    error_y=dict(type="data", symmetric=False, array=hi - diff, arrayminus=diff - lo),
                    customdata=np.stack([np.array(gammas, dtype=object), lo, hi, p], axis=1),
                    hovertemplate="γ = %{customdata[0]}, " + str(corr) + "<br>gain %{y:.4f}"
                                  "<br>interval [%{customdata[1]:.4f}, %{customdata[2]:.4f}]"
                                  "<br>p = %{customdata[3]:.3g}<extra></extra>"),
                    row=r, col=c)
                marks = part["mark"].fillna("").to_numpy(str) if "mark" in part else \
                    np.where(p < SIGNIFICANT, "★", "")    # NaN (fewer than two seeds) is never significant
                shown = marks != ""
                if shown.any():
                    tip = np.where(diff >= 0, np.fmax(hi, diff), np.fmin(lo, diff))  # beyond the bar
                    fig.add_trace(go.Scatter(
                        x=x[shown], y=tip[shown], mode="text", text=marks[shown], textfont=dict(size=13),
                        textposition=["top center" if d >= 0 else "bottom center" for d in diff[shown]],
                        showlegend=False, hoverinfo="skip"), row=r, col=c)
            fig.add_hline(y=0, line_color="#444", line_width=1, row=r, col=c)
            if "mark" in frame:        # the equivalence band: differences inside it count as "the same"
                fig.add_hrect(y0=-margin, y1=margin, fillcolor="#888", opacity=0.12, line_width=0, row=r, col=c)
    fig.update_xaxes(tickvals=list(range(len(gammas))), ticktext=gammas, tickangle=-35)
    for c in range(1, len(datasets) + 1):
        fig.update_xaxes(title_text="γ function", row=len(tasks), col=c)
    for r in range(1, len(tasks) + 1):
        fig.update_yaxes(title_text=f"Δ {metric} vs {baseline}", row=r, col=1)
    return finish(fig, title or f"{metric} gain over {baseline} per γ × correlation measure "
                                f"(paper Fig. 5); bars = mean paired difference over seeds, "
                                f"whiskers = interval; ✓/✗ Holm-corrected, ≈ the same within ±{margin} (band)",
                  width=min(900, 420 * len(datasets) + 120), height=320 * len(tasks) + 180,
                  legend=dict(title="correlation"), bargap=0.0)


def gain_heatmap(frame: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """The gains of `gain_frame` as γ (rows) × correlation measure (columns) heat maps, one per
    data set and task (the layout of the paper's Fig. 4), each cell's text its gain and mark."""
    require_columns(frame, REQUIRED + ("mark",), "gain frame")
    if frame.empty:
        raise DephnError("gain frame is empty: no virtual-gradient setting to compare")
    datasets, tasks = list(dict.fromkeys(frame["dataset"])), list(dict.fromkeys(frame["task"]))
    gammas = [g for g in GAMMAS if g in set(frame["gamma"])]
    corrs = list(dict.fromkeys(frame["corr"]))
    bound = float(np.nanmax(np.abs(frame["diff"]))) or 1e-6
    fig = make_subplots(rows=len(tasks), cols=len(datasets), subplot_titles=[f"{d} — {t}" for t in tasks for d in datasets],
                        horizontal_spacing=0.15, vertical_spacing=0.12)
    for r, task in enumerate(tasks, 1):
        for c, dataset in enumerate(datasets, 1):
            cell = frame[(frame["dataset"] == dataset) & (frame["task"] == task)]
            z = cell.pivot_table(index="gamma", columns="corr", values="diff").reindex(index=gammas, columns=corrs)
            m = cell.pivot_table(index="gamma", columns="corr", values="mark", aggfunc="first").reindex(
                index=gammas, columns=corrs)
            text = [[f"{v:+.4f} {k}" if np.isfinite(v) else "" for v, k in zip(zr, mr)]
                    for zr, mr in zip(z.to_numpy(float), m.fillna("").to_numpy(str))]
            fig.add_trace(go.Heatmap(z=z.to_numpy(float), x=corrs, y=gammas, text=text, texttemplate="%{text}",
                                     zmin=-bound, zmax=bound, colorscale="RdBu", showscale=(r == 1 and c == 1),
                                     colorbar=dict(title="Δ AUC", orientation="h", y=-0.15),
                                     hovertemplate="γ = %{y}, %{x}<br>%{text}<extra></extra>"), row=r, col=c)
    return finish(fig, title or "Virtual-gradient gain per γ × correlation (✓ better, ✗ worse, ≈ the same, ? open)",
                  width=min(900, 380 * len(datasets) + 120), height=360 * len(tasks) + 200)


def method_gains(frame: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """One panel per (data set, model), grouped bars per method and task.
    frame: `dephn.study.items.paired_gains` (one row per data set, model, method, task)."""
    require_columns(frame, METHOD_REQUIRED, "gain frame")
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

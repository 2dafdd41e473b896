"""Paper Fig. 7: each model's activation (logit) against the base confidence c of Criteo-R/UR
(docs/decisions.md#criteo-r-and-criteo-ur), per equal-count bin of c the median and the central
`level` interval, beside the true target y(c) on a secondary axis; and notebook 06's diagnostics
(frames from `dephn.study.diagnostics`) of whether a model learns a band of c.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..errors import DephnError
from ..experiments.aggregate import t_half_width
from .theme import TRUE_CURVE_COLOR, colors_for, fill_band, finish, require_columns

C_LABEL = "base confidence c (teacher logit)"

Curve = tuple[np.ndarray, np.ndarray]


BAND_COLUMNS = ["x", "x_lo", "x_hi", "n", "median", "lower", "upper"]


def binned_band(x: np.ndarray, y: np.ndarray, *, bins: int = 40, level: float = 0.9,
                binning: str = "quantile", min_count: int = 5) -> pd.DataFrame:
    """Per bin of x ("quantile": equal counts, or "uniform": equal widths): its median x, edges, count
    and the median and `level` interval of y; bins under `min_count` samples and non-finite pairs
    are left out."""
    if not 0.0 < level < 1.0:
        raise DephnError(f"interval level must lie in (0, 1), got {level}")
    if bins < 1:
        raise DephnError(f"bins must be >= 1, got {bins}")
    x = np.asarray(x, dtype=float).reshape(-1)
    y = np.asarray(y, dtype=float).reshape(-1)
    if x.shape != y.shape:
        raise DephnError(f"x and y differ in length: {len(x)} vs {len(y)}")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) == 0:
        return pd.DataFrame(columns=BAND_COLUMNS)
    if binning == "quantile":
        edges = np.unique(np.quantile(x, np.linspace(0.0, 1.0, bins + 1)))   # ties merge bins
    elif binning == "uniform":
        edges = np.linspace(x.min(), x.max(), bins + 1)
    else:
        raise DephnError(f"unknown binning {binning!r}; known: quantile, uniform")
    if len(edges) < 2:                       # constant x: one bin
        edges = np.array([x[0], x[0]])
    # right-closed last bin: every x lands in [edges[0], edges[-1]]
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)   # (N,)
    q_lo, q_hi = (1.0 - level) / 2.0, (1.0 + level) / 2.0
    rows = []
    for b in range(len(edges) - 1):
        sel = idx == b
        n = int(sel.sum())
        if n < min_count:
            continue
        lo, med, hi = np.quantile(y[sel], [q_lo, 0.5, q_hi])
        rows.append((float(np.median(x[sel])), edges[b], edges[b + 1], n, med, lo, hi))
    return pd.DataFrame(rows, columns=BAND_COLUMNS)


def band_traces(x: np.ndarray, y: np.ndarray, name: str, color: str, *, level: float, bins: int,
                showlegend: bool = True, x_label: str = "c", y_label: str = "activation"
                ) -> list[go.Scatter]:
    """Two traces: the `level` interval band (a closed polygon) and the binned median line."""
    stats = binned_band(x, y, bins=bins, level=level)
    line = go.Scatter(
        x=stats["x"], y=stats["median"], mode="lines", name=name, legendgroup=name,
        showlegend=showlegend, line=dict(color=color, width=2),
        customdata=np.stack([stats["lower"], stats["upper"], stats["n"]], axis=1),
        hovertemplate=f"{name}<br>{x_label} %{{x:.3f}}<br>median {y_label} %{{y:.3f}}"
                      f"<br>{level:.0%} interval [%{{customdata[0]:.3f}}, %{{customdata[1]:.3f}}]"
                      "<br>%{customdata[2]} samples<extra></extra>")
    return [fill_band(stats["x"], stats["lower"], stats["upper"], color, f"{name} {level:.0%} interval",
                      name), line]


def true_curve_trace(curve: Curve, name: str = "true target y(c)", *,
                     showlegend: bool = True) -> go.Scatter:
    """The data set's true curve, sorted by its x, as a dashed dark line."""
    gx, gy = (np.asarray(a, dtype=float).reshape(-1) for a in curve)
    if gx.shape != gy.shape:
        raise DephnError(f"true curve: x and y differ in length ({len(gx)} vs {len(gy)})")
    order = np.argsort(gx, kind="stable")
    return go.Scatter(x=gx[order], y=gy[order], mode="lines", name=name, legendgroup="true",
                      showlegend=showlegend, line=dict(color=TRUE_CURVE_COLOR, dash="dash", width=2),
                      hovertemplate="c %{x:.3f}<br>true y %{y:.3f}<extra>true target</extra>")


def confidence_plot(c: np.ndarray, activations: Mapping[str, Mapping[str, np.ndarray]],
                    true_curves: Mapping[str, Curve], level: float = 0.9, bins: int = 40, *,
                    tasks: Sequence[str] | None = None, colors: Mapping[str, str] | None = None,
                    title: str | None = None, difference: tuple[str, str] | None = None,
                    seeds: int | None = None, difference_bins: int = 10) -> go.Figure:
    """Fig. 7, one panel per task. c: (N,) base confidence; activations: model -> task -> (N,)
    logits; true_curves: task -> (c_grid, y_grid); colors: model -> colour. difference=(a, b) adds a
    row below: a's activation minus b's per band of c, mean over seeds and 95% t-interval
    (`confidence_difference`, `seeds` blocks of rows)."""
    c = np.asarray(c, dtype=float).reshape(-1)
    if not activations:
        raise DephnError("no model activations to plot")
    for model, acts in activations.items():
        for task, a in acts.items():
            if np.shape(a)[0] != len(c):
                raise DephnError(f"activation of {model!r}/{task!r} has {np.shape(a)[0]} rows, "
                                 f"c has {len(c)}")
    tasks = list(tasks) if tasks is not None else list(next(iter(activations.values())))
    titles = [f"task {t}" for t in tasks]
    specs = [[{"secondary_y": True}] * len(tasks)]
    if difference is not None:
        da, db = difference
        diff = confidence_difference(c, activations, da, db, bins=difference_bins, seeds=seeds, tasks=tasks)
        titles += [f"task {t}: {da} − {db}, mean over seeds, 95% t-interval" for t in tasks]
        specs.append([{}] * len(tasks))
    fig = make_subplots(rows=len(specs), cols=len(tasks), subplot_titles=titles, specs=specs,
                        horizontal_spacing=0.1, vertical_spacing=0.16,
                        row_heights=[0.64, 0.36] if difference is not None else None)
    colors = {**colors_for(activations), **(colors or {})}
    for j, task in enumerate(tasks, 1):
        for model, acts in activations.items():
            if task not in acts:
                raise DephnError(f"model {model!r} has no activation for task {task!r}")
            for tr in band_traces(c, acts[task], model, colors[model], level=level, bins=bins,
                                  showlegend=j == 1):
                fig.add_trace(tr, row=1, col=j, secondary_y=False)
        if task in true_curves:
            fig.add_trace(true_curve_trace(true_curves[task], showlegend=j == 1),
                          row=1, col=j, secondary_y=True)
        fig.update_yaxes(title_text="model activation (logit)" if j == 1 else None, row=1, col=j,
                         secondary_y=False)
        fig.update_yaxes(title_text="true target y(c) (right axis)" if j == len(tasks) else None,
                         row=1, col=j, secondary_y=True, showgrid=False, zeroline=False, tickmode="auto")
        fig.update_xaxes(title_text=C_LABEL, row=1, col=j)
        if difference is not None:
            for tr in difference_traces(diff, task, da, db, showlegend=j == 1):
                fig.add_trace(tr, row=2, col=j)
            fig.add_hline(y=0, line_color="#999", line_width=1, row=2, col=j)
            fig.update_xaxes(title_text=C_LABEL, row=2, col=j)
            fig.update_yaxes(title_text=f"{da} − {db} (logit)" if j == 1 else None, row=2, col=j)
    return finish(fig, title or confidence_title(list(activations), level),
                  width=max(700, 560 * len(tasks) + 100), height=520 if difference is None else 820)


DIFFERENCE_COLUMNS = ["task", "band", "c_mid", "c_lo", "c_hi", "rows", "seeds", "mean", "lower", "upper"]
ALL_C = "all c"


def seed_count(c: np.ndarray) -> int:
    """How many seeds `c` stacks: `items.activations` tiles one split's c once per seed, so the
    largest n whose n equal blocks make up c (1 when c does not repeat)."""
    c = np.asarray(c, dtype=float).reshape(-1)
    for n in range(min(len(c), 64), 1, -1):
        if len(c) % n == 0:
            blocks = c.reshape(n, -1)
            if np.array_equal(blocks, np.broadcast_to(blocks[0], blocks.shape), equal_nan=True):
                return n
    return 1


def confidence_difference(c: np.ndarray, activations: Mapping[str, Mapping[str, np.ndarray]],
                          a: str = "mmoe", b: str = "dephn", *, bins: int = 10, level: float = 0.95,
                          seeds: int | None = None, tasks: Sequence[str] | None = None) -> pd.DataFrame:
    """The activation of model `a` minus that of model `b` on the same rows, per task: over all of c
    (band "all c") and per equal-count band of c, each seed's mean difference over the band's rows,
    then the mean over seeds and its `level` t-interval (lower, upper; NaN under 2 seeds).
    c and the activations stack `seeds` blocks of the same rows, one per seed in the same order for
    both models (`items.activations`; inferred from c when not given); DIFFERENCE_COLUMNS."""
    for name in (a, b):
        if name not in activations:
            raise DephnError(f"no activations of model {name!r}; have {list(activations)}")
    c = np.asarray(c, dtype=float).reshape(-1)
    n_seeds = seeds if seeds is not None else seed_count(c)
    if n_seeds < 1 or len(c) % n_seeds:
        raise DephnError(f"{len(c)} rows of c do not split into {n_seeds} seeds")
    base = c[:len(c) // n_seeds]
    edges = np.unique(np.quantile(base[np.isfinite(base)], np.linspace(0.0, 1.0, bins + 1))) \
        if np.isfinite(base).any() else np.zeros(0)
    tasks = list(tasks) if tasks is not None else list(activations[a])
    rows = []
    for task in tasks:
        for name in (a, b):
            if task not in activations[name]:
                raise DephnError(f"model {name!r} has no activation for task {task!r}")
        diff = (np.asarray(activations[a][task], dtype=float).reshape(-1)
                - np.asarray(activations[b][task], dtype=float).reshape(-1))
        if len(diff) != len(c):
            raise DephnError(f"activations of task {task!r} have {len(diff)} rows, c has {len(c)}")
        diff = diff.reshape(n_seeds, -1)                                           # (S, N)
        ok = np.isfinite(diff) & np.isfinite(base)
        bands = [(ALL_C, np.isfinite(base))]
        if len(edges) >= 2:
            idx = np.clip(np.searchsorted(edges, base, side="right") - 1, 0, len(edges) - 2)
            bands += [(f"{k + 1}/{len(edges) - 1}", np.isfinite(base) & (idx == k)) for k in range(len(edges) - 1)]
        for band, sel in bands:
            per_seed = np.array([diff[s, sel & ok[s]].mean() if (sel & ok[s]).any() else np.nan
                                 for s in range(n_seeds)])
            per_seed = per_seed[np.isfinite(per_seed)]
            n = len(per_seed)
            mean = float(per_seed.mean()) if n else np.nan
            half = t_half_width(float(per_seed.std(ddof=1)), n, level) if n > 1 else np.nan
            inside = base[sel]
            rows.append((task, band, float(np.median(inside)) if len(inside) else np.nan,
                         float(inside.min()) if len(inside) else np.nan,
                         float(inside.max()) if len(inside) else np.nan,
                         int(sel.sum()), n, mean, mean - half, mean + half))
    return pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)


def difference_traces(frame: pd.DataFrame, task: str, a: str, b: str, *, level: float = 0.95,
                      showlegend: bool = True) -> list[go.Scatter]:
    """Two traces for one task of `confidence_difference`'s bands of c: the t-interval band and the
    mean difference per band."""
    part = frame[(frame["task"] == task) & (frame["band"] != ALL_C)].sort_values("c_mid")
    x = part["c_mid"].to_numpy(float)
    name = f"{a} − {b}"
    color = TRUE_CURVE_COLOR
    line = go.Scatter(
        x=x, y=part["mean"].to_numpy(float), mode="lines+markers", name=f"{name} (mean over seeds)",
        legendgroup="difference", showlegend=showlegend, line=dict(color=color, width=2),
        marker=dict(size=5),
        customdata=np.stack([part["lower"], part["upper"], part["seeds"], part["c_lo"], part["c_hi"]],
                            axis=1).astype(float),
        hovertemplate=f"{name}<br>c in [%{{customdata[3]:.3f}}, %{{customdata[4]:.3f}}]"
                      "<br>mean difference %{y:.3f}"
                      f"<br>{level:.0%} t-interval [%{{customdata[0]:.3f}}, %{{customdata[1]:.3f}}]"
                      "<br>%{customdata[2]} seeds<extra></extra>")
    band = fill_band(x, part["lower"].to_numpy(float), part["upper"].to_numpy(float), color,
                     f"{name} {level:.0%} t-interval", "difference")
    return [band, line]


def confidence_title(models: Sequence[str], level: float) -> str:
    """Fig. 7's title for these models at this interval level."""
    return (f"Activation against base confidence c: {' vs '.join(models)} (paper Fig. 7); "
            f"line = binned median, band = {level:.0%} prediction interval, "
            "dashed = true target (right axis)")


def task_relation(act1: Mapping[str, np.ndarray], act2: Mapping[str, np.ndarray],
                  true_relation: Curve, *, tasks: Sequence[str] = ("task 1", "task 2"),
                  level: float = 0.9, bins: int = 40, title: str | None = None) -> go.Figure:
    """Task 2's activation against task 1's per model (binned), beside the true relation of the
    targets (paper eq. 3). act1, act2: model -> (N,) logits on the same rows; true_relation:
    (a_grid, b_grid), task 2's target against task 1's."""
    if set(act1) != set(act2):
        raise DephnError(f"task-1 and task-2 activations name different models: {list(act1)} vs {list(act2)}")
    t1, t2 = tasks
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=[f"models: {t2} activation against {t1} activation",
                                        f"data: true {t2} target against {t1} target"])
    colors = colors_for(act1)
    for model in act1:
        for tr in band_traces(act1[model], act2[model], model, colors[model], level=level,
                              bins=bins, x_label=f"{t1} logit", y_label=f"{t2} logit"):
            fig.add_trace(tr, row=1, col=1)
    fig.add_trace(true_curve_trace(true_relation, name="true relation"), row=1, col=2)
    fig.update_xaxes(title_text=f"{t1} activation (logit)", row=1, col=1)
    fig.update_yaxes(title_text=f"{t2} activation (logit)", row=1, col=1)
    fig.update_xaxes(title_text=f"{t1} target", row=1, col=2)
    fig.update_yaxes(title_text=f"{t2} target", row=1, col=2)
    return finish(fig, title or f"Relation between the tasks as learnt by each model (left; "
                                f"binned median, {level:.0%} band) and in the data (right, paper eq. 3)",
                  width=1150, height=500)


def target_curves(c: np.ndarray, targets: Mapping[str, np.ndarray], *, mode: str = "lines",
                  title: str | None = None) -> go.Figure:
    """The true targets y(c) (name -> (N,)) against c ((N,)); mode "markers" suits noisy targets."""
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
    fig.update_xaxes(title_text=C_LABEL)
    fig.update_yaxes(title_text="target y(c)")
    return finish(fig, title or "True targets against the base confidence c (Criteo-R / Criteo-UR, "
                                "paper §IV-A); labels threshold these curves",
                  width=850, height=480, legend=dict(title="target"))


BAND_MEANS_COLUMNS = ("model", "task", "c_mid", "mean", "min", "max", "true")
CEILING_STYLE = {"strictly monotone ceiling": "dashdot", "monotone ceiling (ties allowed)": "dot",
                 "Bayes ceiling (true probability)": "dash"}


def band_means_plot(bands: pd.DataFrame, *, tasks: Sequence[str] | None = None,
                    title: str | None = None) -> go.Figure:
    """One panel per task: per model the mean predicted probability per bin of c over seeds (line),
    their range (band) and the bin's true probability (dashed); bands: BAND_MEANS_COLUMNS."""
    require_columns(bands, BAND_MEANS_COLUMNS, "band means frame")
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
            fig.add_trace(fill_band(x, m["min"].to_numpy(float), m["max"].to_numpy(float), colors[model],
                                    f"{model} range over seeds", model), row=1, col=j)
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
    point per seed, with the diagonal and task 2's ceilings. per_seed: model, seed, "<t2> AUC",
    "<t2> AUC by <t1> logit"; ceilings: one row per task, the columns of CEILING_STYLE."""
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

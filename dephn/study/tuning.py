"""One tuning budget for every model of a comparison: a learning-rate grid chosen on validation AUC.

Every configuration of a headline comparison (a model, or a named variant such as an MT-PHN
expert setting or a gate type) trains once per learning rate of the profile's `lr_grid` on
its `tune_seeds`; the rate with the highest validation AUC (mean over tasks and tuning seeds)
is the one its runs on every headline seed use, and tables report their test metrics. The
grid, the seeds and the rule are the same for every configuration, so none gets more tuning
than another (docs/decisions.md#one-tuning-budget). The embedding tables' rate moves with the
dense one (`sparse_lr` keeps its ratio to `lr`).

A configuration is given as `make(seed, train) -> RunSpec`, so a tuning run of the chosen rate
on a tuning seed is the very run the comparison reports (the results store trains it once).
While a study only plans (`Study.materialize` is False), nothing trains: the grid's runs are
listed and the comparison's runs carry the profile's rate, marked `LR_PENDING` in their label.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import pandas as pd

from ..experiments.runs import RunSpec
from .context import Study
from .gains import ok

Maker = Callable[[int, dict], RunSpec]
LR_PENDING = "lr chosen on the grid"
GRID_TAG = "lr grid"


def lr_options(study: Study, lr: float) -> dict:
    """Training options of one grid point: the dense rate and the embedding rate at the
    profile's ratio."""
    p = study.profile
    return {"lr": float(lr), "sparse_lr": float(p.sparse_lr * lr / p.lr)}


def grid_specs(study: Study, make: Maker) -> list[RunSpec]:
    """The tuning runs of one configuration: every grid rate on every tuning seed."""
    p = study.profile
    return [make(seed, lr_options(study, lr)) for lr in p.lr_grid for seed in p.tune_seeds]


def choose(frame: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    """The rate with the highest validation AUC (mean over tasks, then over seeds; a tie goes to
    the smaller rate) and the grid's table: one row per rate, the chosen one marked, and marked
    `at grid edge` when it is the grid's smallest or largest rate."""
    runs = ok(frame)
    if runs.empty:
        raise ValueError("no finished tuning run to choose a learning rate from")
    aucs = [c for c in runs.columns if c.startswith("valid/") and c.endswith("/auc")]
    table = (pd.DataFrame({"lr": runs["lr"].astype(float), "valid_auc": runs[aucs].mean(axis=1)})
             .groupby("lr", sort=True)["valid_auc"].agg(["mean", "count"]).reset_index()
             .rename(columns={"mean": "valid AUC", "count": "seeds"}))
    best = table.loc[table["valid AUC"].idxmax(), "lr"]
    table["chosen"] = table["lr"] == best
    # a choice at the end of the grid may have a better rate beyond it: say so rather than hide it
    table["at grid edge"] = table["chosen"] & (len(table) > 1) & table["lr"].isin([table["lr"].min(), table["lr"].max()])
    return float(best), table


def tuned(study: Study, make: Maker, seeds=None) -> list[RunSpec]:
    """The comparison's runs of one configuration on `seeds` (default: the headline seeds) at the
    rate chosen on the grid; trains the grid's runs first if the store lacks them. Without a
    grid (`lr_grid` empty) the profile's rate, untuned."""
    seeds = study.profile.seeds_for(headline=True) if seeds is None else seeds
    if not study.profile.lr_grid:
        return [make(seed, {}) for seed in seeds]
    grid = grid_specs(study, make)
    if not study.materialize:           # planning: list the grid, train nothing
        pending = [_relabel(make(seed, {}), LR_PENDING) for seed in seeds]
        return [_relabel(s, GRID_TAG) for s in grid] + pending
    lr, _ = choose(study.run(grid))
    return [make(seed, lr_options(study, lr)) for seed in seeds]


def grid_table(study: Study, makers: dict[str, Maker]) -> pd.DataFrame:
    """Per configuration (the keys of `makers`) and grid rate: validation AUC over the tuning
    seeds and which rate was chosen. Empty without a grid."""
    if not study.profile.lr_grid:
        return pd.DataFrame(columns=["configuration", "lr", "valid AUC", "seeds", "chosen", "at grid edge"])
    parts = []
    for name, make in makers.items():
        grid = grid_specs(study, make)
        _, table = choose(study.run(grid))
        parts.append(table.assign(configuration=name))
    out = pd.concat(parts, ignore_index=True)
    return out[["configuration", "lr", "valid AUC", "seeds", "chosen", "at grid edge"]]


def _relabel(spec: RunSpec, tag: str) -> RunSpec:
    return dataclasses.replace(spec, label=f"{spec.table_label} [{tag}]")

"""What a notebook asks the results store for, and the one runner that trains it.

A `Request` is data, built without training anything: runs whose settings are fixed (`fixed`),
configurations tuned on the profile's learning-rate grid (`tuned`) and comparisons kept paired
(`paired`: a baseline run and its arms, docs/decisions.md#pairs-scored-at-one-epoch). Resolving
a request always takes the same two stages:

1. the fixed runs, every tuned configuration's grid (each grid rate on each tuning seed) and
   every pair's baseline, which stops early on its own;
2. each tuned configuration's runs on its seeds at the rate its grid chose on validation AUC,
   and each pair's arms, trained to the epoch their baseline chose and scored there (the same
   initial weights and batch order, so the stopping rule adds no noise to the difference).

`resolve` is what `Study.run` (the notebooks) and `dephn study`'s pre-run (over workers) both
call; `dephn study --plan` lists the same two stages without training (stage 2 at the profile's
rate, marked `LR_PENDING`).

One tuning budget for every configuration of a comparison (docs/decisions.md#one-tuning-budget):
the grid, the seeds and the rule are the same for each, so none gets more tuning than another.
The embedding tables' rate moves with the dense one (`sparse_lr` keeps its ratio to `lr`). A
tuned configuration is `make(seed, train) -> RunSpec`, so a grid run of the chosen rate on a
tuning seed is the very run the comparison reports (the results store trains it once).
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Callable, Sequence

import pandas as pd

from ..experiments.runs import RunSpec
from .gains import ok
from .profiles import Profile

Maker = Callable[[int, dict], RunSpec]
Runner = Callable[[list[RunSpec]], pd.DataFrame]
LR_PENDING = "lr chosen on the grid"
EPOCH_PENDING = "at its baseline's epoch"
GRID_TAG = "lr grid"
GRID_COLUMNS = ["configuration", "lr", "valid AUC", "seeds", "chosen", "at grid edge"]


@dataclass(frozen=True)
class Tuned:
    """A configuration whose runs on `seeds` train at the rate its grid chose."""
    name: str
    make: Maker
    seeds: tuple[int, ...]

    def grid(self, profile: Profile) -> list[RunSpec]:
        """Every grid rate on every tuning seed (none without a grid)."""
        return [self.make(seed, lr_options(profile, lr)) for lr in profile.lr_grid for seed in profile.tune_seeds]

    def runs(self, profile: Profile, lr: float | None) -> list[RunSpec]:
        """The runs on its seeds at rate `lr` (None: the profile's rate, untuned)."""
        train = {} if lr is None else lr_options(profile, lr)
        return [self.make(seed, train) for seed in self.seeds]


@dataclass(frozen=True)
class Paired:
    """A baseline run that early-stops on its own and arms that differ from it in one setting."""
    base: RunSpec
    arms: tuple[RunSpec, ...]

    def at_epoch(self, epoch: int | None) -> list[RunSpec]:
        """The arms trained to `epoch` and scored there (None: the baseline's own rule)."""
        if epoch is None:
            return list(self.arms)
        return [dataclasses.replace(a, train_options={**a.train_options, "epochs": int(epoch), "patience": 0,
                                                      "restore": "last"}) for a in self.arms]


@dataclass(frozen=True)
class Request:
    fixed: tuple[RunSpec, ...] = ()
    tuned: tuple[Tuned, ...] = ()
    paired: tuple[Paired, ...] = ()

    def __add__(self, other: "Request") -> "Request":
        return Request(self.fixed + other.fixed, self.tuned + other.tuned, self.paired + other.paired)

    def first_stage(self, profile: Profile) -> list[RunSpec]:
        return (list(self.fixed) + [s for t in self.tuned for s in t.grid(profile)]
                + [p.base for p in self.paired])

    def second_stage(self, profile: Profile, rates: Sequence[float | None],
                     epochs: Sequence[int | None] = ()) -> list[RunSpec]:
        """The tuned configurations' runs, each at its rate (in `tuned`'s order), and the pairs'
        arms, each at its baseline's epoch (in `paired`'s order)."""
        return ([s for t, lr in zip(self.tuned, rates, strict=True) for s in t.runs(profile, lr)]
                + [s for p, e in zip(self.paired, epochs, strict=True) for s in p.at_epoch(e)])

    def planned(self, profile: Profile) -> list[RunSpec]:
        """Both stages as a plan lists them, in order: the fixed runs, then per tuned configuration
        its grid (labels tagged `GRID_TAG`) and its runs at the profile's rate (tagged `LR_PENDING`)."""
        out = list(self.fixed)
        for t in self.tuned:
            if not profile.lr_grid:
                out += t.runs(profile, None)
                continue
            out += [_tagged(s, GRID_TAG) for s in t.grid(profile)]
            out += [_tagged(s, LR_PENDING) for s in t.runs(profile, None)]
        for p in self.paired:
            out += [p.base] + [_tagged(s, EPOCH_PENDING) for s in p.arms]
        return out


def as_request(asked: "Request | Sequence[RunSpec]") -> Request:
    return asked if isinstance(asked, Request) else Request(fixed=tuple(asked))


def lr_options(profile: Profile, lr: float) -> dict:
    """Training options of one grid point: the dense rate and the embedding rate at the
    profile's ratio."""
    return {"lr": float(lr), "sparse_lr": float(profile.sparse_lr * lr / profile.lr)}


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
    edges = table["lr"].isin([table["lr"].min(), table["lr"].max()])
    table["at grid edge"] = table["chosen"] & (len(table) > 1) & edges
    return float(best), table


def resolve(request: Request, profile: Profile, run: Runner, read: Runner | None = None) -> pd.DataFrame:
    """Train both stages with `run(specs)`; return the frame of the fixed runs and the tuned
    configurations' runs (not their grids). `read(specs)` gives the frame of runs already in the
    store (default: `run`, which trains nothing that is there)."""
    read = read or run
    if not request.tuned and not request.paired:
        return run(list(request.fixed))
    run(request.first_stage(profile))
    rates = [choose(read(t.grid(profile)))[0] if profile.lr_grid else None for t in request.tuned]
    epochs = chosen_epochs([p.base for p in request.paired], read) if request.paired else []
    return run(list(request.fixed) + [p.base for p in request.paired] + request.second_stage(profile, rates, epochs))


def run_key(spec: RunSpec) -> str:
    """What a run's id hashes, without the data fingerprint: one key per distinct run."""
    return json.dumps(spec.identity(""), sort_keys=True, default=list)


def chosen_epochs(bases: Sequence[RunSpec], read: Runner) -> list[int | None]:
    """The epoch each baseline run restored (None where it did not finish), from one read of the
    store (its frame lists each run once, in the order asked)."""
    keys = [run_key(b) for b in bases]
    unique = dict(zip(keys, bases))
    frame = read(list(unique.values()))
    if len(frame) != len(unique):
        raise RuntimeError(f"the store lists {len(frame)} of {len(unique)} baseline runs")
    best = {k: (int(row["best_epoch"]) if row["status"] == "ok" else None)
            for k, (_, row) in zip(unique, frame.iterrows())}
    return [best[k] for k in keys]


def grid_table(request: Request, profile: Profile, read: Runner) -> pd.DataFrame:
    """Per tuned configuration and grid rate: validation AUC over the tuning seeds and which rate
    was chosen. Empty without a grid."""
    if not profile.lr_grid or not request.tuned:
        return pd.DataFrame(columns=GRID_COLUMNS)
    parts = [choose(read(t.grid(profile)))[1].assign(configuration=t.name) for t in request.tuned]
    return pd.concat(parts, ignore_index=True)[GRID_COLUMNS]


def _tagged(spec: RunSpec, tag: str) -> RunSpec:
    return dataclasses.replace(spec, label=f"{spec.table_label} [{tag}]")

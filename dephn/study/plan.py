"""What a profile will run, before it runs: every run of every notebook and an estimated time.

`dephn study --profile P --plan [--json]` lists each run of the study's table (notebook, model, label, head, data set,
seed, rows, learning rate, maximum epochs, patience, batch size, virtual gradient, balancing method, gate
optimizer) without training or building any data, marks runs an earlier notebook already
makes (the results store runs them once), and estimates the time of the rest from measured
throughputs (`THROUGHPUT`, training rows per second on a 2-core CPU at the cpu profile's
sizes, and `BALANCE_COST`, a method's time per step relative to plain training; both from a
full cpu run, see the benchmark notes). Each run is expected to stop `patience` epochs after its
best, assumed where `BEST_STEPS` steps fall ("est. minutes"); "at most" trains every run to its
epoch cap. The estimate is a planning figure, not a promise.
"""
from __future__ import annotations

import pandas as pd

from ..models import model_entry
from .context import Study
from .request import EPOCH_PENDING
from .table import requests

# training rows per second per model (2 cores, cpu profile sizes, batch 1024), and seconds a run
# spends outside training (data split lookup, validation each epoch, test)
THROUGHPUT = {"dnn": 99_000, "wide_deep": 74_000, "dcn": 60_000, "fint": 57_000, "nfm": 90_000, "xdeepfm": 40_000,
              "shared_bottom": 120_000, "mmoe": 115_000, "ple": 60_000, "snr": 110_000, "mtphn": 24_000,
              "dephn": 23_000}
DEFAULT_THROUGHPUT = 40_000
RUN_OVERHEAD_S = 1.0                   # per epoch at OVERHEAD_ROWS training rows (validation scales with the rows)
OVERHEAD_ROWS = 160_000
BALANCE_COST = {"none": 1.0, "uw": 1.1, "dwa": 1.0, "gradnorm": 3.0}   # Jacobian descent: JD_COST
JD_COST = 3.0
SPLIT_SHARE = 0.8                      # the training split's share of a data set's rows
BEST_STEPS = 90                        # steps to the best validation AUC (cpu run: median best epoch 2-5 of
                                       # 31 steps at the profile's rate); early stopping adds `patience` epochs


WORKER_SPEED = 0.8   # a 1-thread worker's training speed against one 2-thread process (cpu run, 2026-11-30:
                     # 441 runs, 66 min of 1-thread run time against the plan's 53 min at 2 threads)


def with_workers(minutes: float, workers: int | None, cores: int = 2) -> float:
    """Minutes of `minutes` of one-process training spread over `workers` processes sharing
    `cores` cores (each with cores // workers threads, at least one): the runs split evenly, each
    worker at WORKER_SPEED when it gets one thread of two; more workers than cores gain nothing."""
    if not workers or workers <= 1:
        return minutes
    busy = min(workers, cores)
    return minutes / busy / (WORKER_SPEED if cores // busy == 1 else 1.0)


def _train_rows(study: Study, spec) -> int:
    rows = spec.data_options.get("rows") or (study.profile.real_rows or 50_000)
    return int(rows * SPLIT_SHARE)


def expected_epochs(train_rows: int, batch_size: int, max_epochs: int, patience: int) -> int:
    """Epochs a run is expected to train: its best epoch (where `BEST_STEPS` steps fall) plus the
    `patience` epochs early stopping waits, at most `max_epochs`."""
    steps_per_epoch = max(1, -(-train_rows // batch_size))
    best = max(1, round(BEST_STEPS / steps_per_epoch))
    return min(max_epochs, best + patience)


def head(model: str, config) -> str:
    """The task head a run trains: "mlp (16,)" (hidden sizes) for every multi-task tower, "linear"
    for DEPHN's literal public head, "-" for single-task models (their DNN is the head)."""
    fields = model_entry(model).fields
    if "public_tower" in fields and config.public_tower == "linear":
        return "linear"
    return f"mlp {tuple(config.tower_hidden)}" if "tower_hidden" in fields else "-"


def estimate_seconds(model: str, train_rows: int, epochs: int, balance: str = "none") -> float:
    """Seconds of one run that trains `epochs` epochs."""
    cost = BALANCE_COST.get(balance, JD_COST)
    return RUN_OVERHEAD_S * epochs * min(1.0, train_rows / OVERHEAD_ROWS) + train_rows * epochs * cost / THROUGHPUT.get(model, DEFAULT_THROUGHPUT)


def plan(study: Study, only=None) -> pd.DataFrame:
    """One row per run the study's notebooks ask for (`table.TABLE`; `only`: notebook name
    prefixes), in notebook order; a tuned configuration's runs after its grid, at the profile's
    rate (`request.Request.planned`)."""
    rows, seen = [], set()
    for notebook, request in requests(study, only):
        for spec in request.planned(study.profile):
            tc = spec.train_config()
            key = (spec.model, spec.dataset, spec.seed, repr(sorted(spec.model_config().to_dict().items())),
                   repr(sorted((k, v) for k, v in tc.to_dict().items() if k != "quiet")))
            again = key in seen
            seen.add(key)
            n = _train_rows(study, spec)
            rows.append({"notebook": notebook, "model": spec.model, "label": spec.table_label,
                         "head": head(spec.model, spec.model_config()),
                         "dataset": spec.dataset, "seed": spec.seed, "train_rows": n, "lr": tc.lr, "max_epochs": tc.epochs,
                         "patience": tc.patience, "batch_size": tc.batch_size,
                         "vg": None if tc.vg is None else tc.vg.label, "balance": tc.balance,
                         "gate_optimizer": tc.gate_optimizer, "planned_before": again,
                         # a pair's arm trains to its baseline's best epoch, no patience after it
                         "expected_epochs": (e := expected_epochs(n, tc.batch_size, tc.epochs,
                                                                  0 if EPOCH_PENDING in spec.label else tc.patience)),
                         "est_seconds": 0.0 if again else estimate_seconds(spec.model, n, e, tc.balance),
                         "max_seconds": 0.0 if again else estimate_seconds(spec.model, n, tc.epochs, tc.balance)})
    return pd.DataFrame(rows)


def plan_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per notebook: runs asked for, new runs, seeds, and the estimated minutes of the new ones."""
    g = frame.groupby("notebook", sort=False)
    return pd.DataFrame({"runs": g.size(), "new runs": g["planned_before"].apply(lambda s: int((~s).sum())),
                         "seeds": g["seed"].nunique(), "max epochs": g["max_epochs"].max(),
                         "patience": g["patience"].min(),
                         "rows": g["train_rows"].max().map(lambda n: f"{round(n / SPLIT_SHARE):,}"),
                         "est. minutes": (g["est_seconds"].sum() / 60).round(1),
                         "at most": (g["max_seconds"].sum() / 60).round(1)}).reset_index()

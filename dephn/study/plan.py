"""What a profile will run, before it runs: every run of every notebook and an estimated time.

`dephn study --profile P --plan [--json]` lists each run (notebook, model, label, data set,
seed, rows, maximum epochs, patience, batch size, virtual gradient, balancing method, gate
optimizer) without training or building any data, marks runs an earlier notebook already
makes (the results store runs them once), and estimates the time of the rest from measured
throughputs (`THROUGHPUT`, training rows per second on a 2-core CPU at the cpu profile's
sizes, and `BALANCE_COST`, a method's time per step relative to plain training; both from a
full cpu run, see the benchmark notes). The estimate is a planning figure, not a promise.
"""
from __future__ import annotations

import pandas as pd

from . import items
from .context import Study

ITEMS = (
    ("02_parallel_experts", items.table1_specs),
    ("04_virtual_gradient_sweep", items.vg_specs),
    ("05_gating", items.gating_specs),
    ("06_confidence", items.confidence_specs),
    ("07_real_data", items.table2_specs),
    ("09_balancing", items.balance_specs),
    ("10_ablations", items.ablation_specs),
)
# training rows per second per model (2 cores, cpu profile sizes, batch 1024), and seconds a run
# spends outside training (data split lookup, validation each epoch, test)
THROUGHPUT = {"dnn": 99_000, "wide_deep": 74_000, "dcn": 60_000, "fint": 57_000, "nfm": 90_000, "xdeepfm": 40_000,
              "shared_bottom": 120_000, "mmoe": 115_000, "ple": 60_000, "snr": 110_000, "mtphn": 24_000,
              "dephn": 23_000}
DEFAULT_THROUGHPUT = 40_000
RUN_OVERHEAD_S = 1.0
BALANCE_COST = {"none": 1.0, "uw": 1.1, "dwa": 1.0, "gradnorm": 3.0}   # Jacobian descent: JD_COST
JD_COST = 3.0
SPLIT_SHARE = 0.8                      # the training split's share of a data set's rows


def _train_rows(study: Study, dataset: str) -> int:
    rows = study.profile.rows if dataset.startswith("criteo") else (study.profile.real_rows or 50_000)
    return int(rows * SPLIT_SHARE)


def estimate_seconds(model: str, train_rows: int, epochs: int, balance: str = "none") -> float:
    """Seconds of one run that trains all `epochs` (early stopping can only shorten it)."""
    cost = BALANCE_COST.get(balance, JD_COST)
    return RUN_OVERHEAD_S * epochs + train_rows * epochs * cost / THROUGHPUT.get(model, DEFAULT_THROUGHPUT)


def plan(study: Study) -> pd.DataFrame:
    """One row per run the study's notebooks ask for, in notebook order."""
    rows, seen = [], set()
    for notebook, make in ITEMS:
        for spec in make(study):
            tc = spec.train_config()
            key = (spec.model, spec.dataset, spec.seed, repr(sorted(spec.model_config().to_dict().items())),
                   repr(sorted((k, v) for k, v in tc.to_dict().items() if k != "quiet")))
            again = key in seen
            seen.add(key)
            n = _train_rows(study, spec.dataset)
            rows.append({"notebook": notebook, "model": spec.model, "label": spec.table_label,
                         "dataset": spec.dataset, "seed": spec.seed, "train_rows": n, "max_epochs": tc.epochs,
                         "patience": tc.patience, "batch_size": tc.batch_size, "vg": tc.vg, "balance": tc.balance,
                         "gate_optimizer": tc.gate_optimizer, "planned_before": again,
                         "est_seconds": 0.0 if again else estimate_seconds(spec.model, n, tc.epochs, tc.balance)})
    return pd.DataFrame(rows)


def plan_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per notebook: runs asked for, new runs, seeds, and the estimated minutes of the new ones."""
    g = frame.groupby("notebook", sort=False)
    return pd.DataFrame({"runs": g.size(), "new runs": g["planned_before"].apply(lambda s: int((~s).sum())),
                         "seeds": g["seed"].nunique(), "max epochs": g["max_epochs"].max(),
                         "patience": g["patience"].min(),
                         "est. minutes": (g["est_seconds"].sum() / 60).round(1)}).reset_index()

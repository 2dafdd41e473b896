"""`dephn sweep` (a resumable grid of runs) and `dephn results` (mean ± spread over seeds)."""
from __future__ import annotations

import sys

from ..errors import DephnError
from ..experiments.aggregate import fmt_mean_std, summarize
from ..experiments.parallel import run_parallel
from ..experiments.store import ResultsStore
from ..experiments.sweep import expand_grid, run_sweep
from .args import (add_data_args, add_train_args, add_workers_args, apply_threads, balance_methods, data_options,
                   data_path, in_dir, names, out_dir, parse_set, seed_list, train_options, vg_settings, worker_options)


def add_parser(sub) -> None:
    p = sub.add_parser("sweep", help="run a grid of models x virtual-gradient settings x data sets x seeds",
                       description="Resumable: finished runs in the results store are skipped. With --workers N the runs "
                                   "go to N worker processes (or Ray tasks); each run trains under a lease in "
                                   "the store, so sweeps sharing a store never train a run twice.")
    p.add_argument("--models", type=names, default="mmoe,dephn", help="comma-separated model names")
    p.add_argument("--datasets", type=names, help="comma-separated data set names (default: --dataset)")
    p.add_argument("--seeds", type=seed_list, default="0,1,2", help="e.g. 0,1,2 or 0-4")
    p.add_argument("--vg", type=vg_settings, default="none", help="comma-separated: none, all, or GAMMA/CORR items")
    p.add_argument("--balance", type=balance_methods, default="none",
                   help="comma-separated balancing methods (dephn train --help)")
    add_data_args(p)
    add_train_args(p)
    add_workers_args(p)
    p.add_argument("--out", type=out_dir, default="runs/sweep", help="results folder")
    p.add_argument("--force", action="store_true", help="rerun finished runs")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run_sweep_cmd)

    r = sub.add_parser("results", help="summarise a results folder: mean ± std over seeds")
    r.add_argument("--out", type=in_dir, default="runs/sweep", help="results folder")
    r.add_argument("--metric", default="auc", choices=("auc", "logloss"))
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=run_results)


def run_sweep_cmd(args) -> int:
    workers = worker_options(args)
    if workers is None:
        apply_threads(args)
    datasets = args.datasets or [args.dataset]
    path = data_path(args)
    specs = expand_grid(args.models, datasets, args.seeds, vg=args.vg, balance=args.balance,
                        data={d: path for d in datasets} if path else None,
                        model_options=parse_set(args.set), train_options=train_options(args),
                        data_options=data_options(args))
    for s in specs:
        s.check()                            # validate all before the first run
    if not specs:
        raise DephnError(f"no run in this grid: models {','.join(args.models)} take none of the virtual-gradient "
                         f"settings or balancing methods asked for (single-task models have no gates and nothing to "
                         f"balance)")
    print(f"sweep: {len(specs)} runs into {args.out}", file=sys.stderr)
    if workers is None:
        run_sweep(specs, args.out, force=args.force, quiet=args.quiet)
    else:
        run_parallel(specs, args.out, force=args.force, **workers)
    return 0


def run_results(args) -> int:
    frame = ResultsStore(args.out).frame()
    if frame.empty:
        raise DephnError(f"no finished runs in {args.out}")
    frame = frame[frame["status"] == "ok"]
    metrics = [c for c in frame.columns if c.startswith("test/") and c.endswith("/" + args.metric)]
    table = summarize(frame, ["dataset", "model", "label"], metrics)
    if args.json:
        print(table.to_json(orient="records"))
        return 0
    for _, row in table.iterrows():
        cells = [fmt_mean_std(row[f"{m}:mean"], row[f"{m}:std"]) for m in metrics]
        n = int(row[f"{metrics[0]}:n"]) if metrics else 0
        print(f"{row['dataset']:10s} {row['model']:14s} {row['label']:18s} n={n} "
              + "  ".join(f"{m.split('/')[1]}={c}" for m, c in zip(metrics, cells)))
    return 0

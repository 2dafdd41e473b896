"""`dephn train` (one run, also under `torchrun`) and `dephn models`."""
from __future__ import annotations

import json
import sys

from ..data.datasets import load_dataset
from ..experiments.runs import RunSpec, execute
from ..experiments.store import ResultsStore
from ..models import is_multi_task, model_names
from ..train import distributed
from ..train.balance import BALANCERS
from ..train.device import resolve_device
from .args import (add_data_args, add_train_args, apply_threads, balance_method, data_options, data_path,
                   non_negative_int, out_dir, parse_set, train_options, vg_setting)

JSON_KEYS = ("run_id", "model", "dataset", "seed", "tasks", "model_options", "train_options", "parameters",
             "data_fingerprint", "data_meta", "metrics", "best_epoch", "stopped", "timing", "vg_summary", "device",
             "world_size", "code_version")


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train and evaluate one model",
                       description="Train one model on one data set and record the run.")
    p.add_argument("--model", required=True, help="model name (see `dephn models`)")
    add_data_args(p)
    add_train_args(p)
    p.add_argument("--seed", type=non_negative_int, default=0, help="model seed (initialisation and batch order)")
    p.add_argument("--vg", type=vg_setting, default=None, metavar="GAMMA/CORR",
                   help="turn the virtual gradient on, e.g. add_sqrt/pearson (models with gates); none: off")
    p.add_argument("--balance", type=balance_method, default=None, metavar="METHOD",
                   help=f"multi-task gradient balancing: {', '.join(BALANCERS)} (default none)")
    p.add_argument("--out", type=out_dir, default="runs/cli", help="results folder (records + artefacts)")
    p.add_argument("--save-model", action="store_true", help="keep the trained weights")
    p.add_argument("--json", action="store_true", help="print one JSON object with the run's results")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_train)

    m = sub.add_parser("models", help="list the models")
    m.set_defaults(func=run_models)


def run_models(args) -> int:
    for name in model_names():
        print(f"{name:14s} {'multi-task' if is_multi_task(name) else 'single-task (one network per task)'}")
    return 0


def run_train(args) -> int:
    apply_threads(args)
    topts = train_options(args)
    if args.vg is not None:
        topts["vg"] = args.vg                         # a VGSetting, parsed by the flag: TrainConfig keeps it
    if args.balance is not None:
        topts["balance"] = args.balance
    if args.quiet or args.json:
        topts["quiet"] = True
    spec = RunSpec(model=args.model, dataset=args.dataset, seed=args.seed, data=data_path(args),
                   model_options=parse_set(args.set), train_options=topts, data_options=data_options(args),
                   save_model=args.save_model)
    spec.check()                                      # every option valid before data loads
    ctx = distributed.init_from_env(resolve_device(spec.train_config().device).type)
    try:
        if ctx.enabled and not ctx.is_main:           # rank 0 builds the cache, the others reuse it
            distributed.barrier(ctx)
        data = load_dataset(spec.dataset, spec.data, **spec.data_options)
        if ctx.enabled and ctx.is_main:
            distributed.barrier(ctx)
        report_skipped(data)
        rec = execute(spec, data, ResultsStore(args.out), dist_ctx=ctx)
    finally:
        distributed.shutdown(ctx)
    if not ctx.is_main:
        return 0
    if args.json:
        print(json.dumps({k: rec.get(k) for k in JSON_KEYS}, default=list))
    else:
        for split in ("valid", "test"):
            for task, m in rec["metrics"][split].items():
                print(f"{split:5s} {task:14s} auc={m['auc']:.4f} logloss={m['logloss']:.4f}")
        print(f"run {rec['run_id']}: {rec['timing']['samples_per_s']:.0f} rows/s, "
              f"best epoch {rec['best_epoch']} ({rec['stopped']}), recorded in {args.out}", file=sys.stderr)
    return 0


def report_skipped(data) -> None:
    """Skipped malformed lines (with --on-bad-lines skip): how many, and the first reasons."""
    count = data.meta.get("skipped_lines") or 0
    if count:
        print(f"dephn: skipped {count} malformed line(s) of {data.name}; first: "
              + "; ".join(data.meta.get("skipped_examples", [])), file=sys.stderr)

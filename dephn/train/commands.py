"""`dephn train`: one run from the command line (also under `torchrun`)."""
from __future__ import annotations

import argparse
import json
import sys

from ..errors import DephnError


def parse_set(items) -> dict:
    """`--set key=value` pairs; values parsed as JSON where possible ("64,32" -> [64, 32])."""
    out = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise DephnError(f"--set {item!r}: expected KEY=VALUE")
        try:
            val = json.loads(raw)
        except json.JSONDecodeError:
            val = [json.loads(x) for x in raw.split(",")] if "," in raw and _all_json(raw) else raw
        out[key.replace("-", "_")] = val
    return out


def _all_json(raw: str) -> bool:
    try:
        [json.loads(x) for x in raw.split(",")]
        return True
    except json.JSONDecodeError:
        return False


def add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", default="criteo-ur",
                   help="data set name (criteo, criteo-r, criteo-ur, aliccp, aliexpress, wechat, csv)")
    p.add_argument("--data", default=None,
                   help="source file/folder (default for criteo*: the embedded generator)")
    p.add_argument("--rows", type=int, default=None, help="rows of the embedded generated source")
    p.add_argument("--data-option", action="append", metavar="KEY=VALUE", default=[],
                   help="extra load_dataset option, repeatable")


def data_options(args) -> dict:
    opts = parse_set(args.data_option)
    if args.rows is not None:
        opts["rows"] = args.rows
    return opts


def add_train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--sparse-lr", type=float, default=None)
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--device", default=None, help="auto (default) | cpu | cuda | mps")
    p.add_argument("--precision", default=None, help="auto (bf16 on CUDA) | fp32 | bf16")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", default=[],
                   help="model option (a ModelConfig field), repeatable, e.g. --set n_experts=8")
    p.add_argument("--train-set", action="append", metavar="KEY=VALUE", default=[],
                   help="training option (a TrainConfig field), repeatable")


def train_options(args) -> dict:
    opts = parse_set(args.train_set)
    for name in ("epochs", "batch_size", "lr", "sparse_lr", "max_steps", "device", "precision"):
        v = getattr(args, name)
        if v is not None:
            opts[name] = v
    return opts


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train and evaluate one model",
                       description="Train one model on one data set and record the run.")
    p.add_argument("--model", required=True, help="model name (see `dephn models`)")
    add_data_args(p)
    add_train_args(p)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--vg", default=None, metavar="GAMMA/CORR",
                   help="turn the virtual gradient on, e.g. add_sqrt/pearson")
    p.add_argument("--out", default="runs/cli", help="results folder (records + artefacts)")
    p.add_argument("--save-model", action="store_true", help="keep the trained weights")
    p.add_argument("--json", action="store_true", help="print one JSON object with the run's results")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_train)

    m = sub.add_parser("models", help="list the registered models")
    m.set_defaults(func=run_models)


def run_models(args) -> int:
    from ..models import is_multi_task, model_names
    for name in model_names():
        print(f"{name:14s} {'multi-task' if is_multi_task(name) else 'single-task (one network per task)'}")
    return 0


def run_train(args) -> int:
    from ..data.datasets import load_dataset
    from ..experiments.runs import RunSpec, execute
    from ..experiments.store import ResultsStore
    from ..experiments.sweep import parse_vg
    from . import distributed
    from .device import resolve_device

    mopts = parse_set(args.set)
    if args.vg:
        gamma, corr = parse_vg([args.vg])[0]
        mopts.update(virtual_gradient=True, gamma=gamma, corr=corr)
    topts = train_options(args)
    if args.quiet or args.json:
        topts["quiet"] = True
    spec = RunSpec(model=args.model, dataset=args.dataset, seed=args.seed, data=args.data,
                   model_options=mopts, train_options=topts, data_options=data_options(args),
                   label=args.vg or "none", save_model=args.save_model)
    spec.model_config(), spec.train_config()          # validate options before loading data
    ctx = distributed.init_from_env(resolve_device(topts.get("device", "auto")).type)
    try:
        if ctx.enabled and not ctx.is_main:           # rank 0 builds the cache, the others reuse it
            distributed.barrier(ctx)
        data = load_dataset(spec.dataset, spec.data, **spec.data_options)
        if ctx.enabled and ctx.is_main:
            distributed.barrier(ctx)
        rec = execute(spec, data, ResultsStore(args.out), dist_ctx=ctx)
    finally:
        distributed.shutdown(ctx)
    if not ctx.is_main:
        return 0
    public = {k: v for k, v in rec.items() if not k.startswith("_")}
    if args.json:
        print(json.dumps({k: public[k] for k in ("run_id", "model", "dataset", "seed", "tasks",
                                                   "model_options", "train_options", "data_fingerprint",
                                                   "metrics", "timing", "device", "world_size",
                                                   "code_version")}, default=list))
    else:
        for split in ("valid", "test"):
            for task, m in rec["metrics"][split].items():
                print(f"{split:5s} {task:14s} auc={m['auc']:.4f} logloss={m['logloss']:.4f}")
        print(f"run {rec['run_id']}: {rec['timing']['samples_per_s']:.0f} rows/s, "
              f"best epoch {rec['best_epoch']}, recorded in {args.out}", file=sys.stderr)
    return 0

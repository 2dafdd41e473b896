"""`python -m benchmarks.train_bench`: training throughput, peak memory and test AUC, ours vs the
peers' MMoE. User errors are one line and exit 1, never a traceback."""
from __future__ import annotations

import argparse
import shlex
import sys

from dephn.data.datasets import load_dataset
from dephn.errors import DephnError
from dephn.train.device import resolve_device

from .peers import peer_missing
from .plan import DEFAULT_MODELS, BenchConfig, parse_models, peer_entries
from .report import README, checks_table, results_json, results_table
from .runner import run_benchmark

PROG = "python -m benchmarks.train_bench"
EMBEDDED = ("criteo", "criteo-r", "criteo-ur")


def build_parser() -> argparse.ArgumentParser:
    d = BenchConfig()
    p = argparse.ArgumentParser(
        prog=PROG, description="Benchmark training speed, memory and AUC (ours vs peer MMoE): train each "
                               "model on the same data with the same hyper-parameters, each in a fresh "
                               "process, and write the results into OUT/README.md (section Training) and "
                               "OUT/train_results.json.")
    p.add_argument("--rows", type=int, default=d.rows, help="rows of the embedded generated Criteo source")
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--models", default=",".join(DEFAULT_MODELS),
                   help="our models, comma-separated; NAME+vg turns the virtual gradient on")
    p.add_argument("--peers", action="store_true",
                   help="also torch-rechub's and DeepCTR-Torch's MMoE (pip install -e '.[bench]')")
    p.add_argument("--out", default="benchmarks", help="folder of README.md and train_results.json")
    p.add_argument("--dataset", default=d.dataset, help="a two-task data set (load_dataset name)")
    p.add_argument("--data", default=None,
                   help="source file/folder of the data set (default for criteo*: the embedded generator)")
    p.add_argument("--device", default=d.device, help="cpu | cuda | cuda:N")
    p.add_argument("--precision", default=d.precision, help="auto (bf16 on CUDA) | fp32 | bf16")
    p.add_argument("--repeats", type=int, default=d.repeats, help="interleaved rounds over all entries")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--cache-dir", default=None, help="processed-data cache ($DEPHN_CACHE or ./data/cache)")
    return p


def canonical_command(args) -> str:
    """The command with every option spelled out, so the notes say exactly what ran."""
    parts = [*PROG.split(), "--rows", str(args.rows), "--epochs", str(args.epochs),
             "--batch-size", str(args.batch_size), "--models", args.models]
    if args.peers:
        parts.append("--peers")
    parts += ["--dataset", args.dataset]
    if args.data:
        parts += ["--data", args.data]
    parts += ["--device", args.device, "--precision", args.precision,
              "--repeats", str(args.repeats), "--seed", str(args.seed), "--out", args.out]
    if args.cache_dir:
        parts += ["--cache-dir", args.cache_dir]
    return shlex.join(parts)


def load_bench_data(cfg: BenchConfig, path: str | None = None):
    """The data set and a line describing it. `rows` sizes the embedded generated Criteo source
    (criteo, criteo-r, criteo-ur without a path) and reads the first rows of a given file."""
    try:
        data = load_dataset(cfg.dataset, path, rows=cfg.rows if cfg.dataset in EMBEDDED or path else None,
                            cache_dir=cfg.cache_dir)
    except ModuleNotFoundError as e:
        if (e.name or "").startswith("dephn."):
            raise DephnError(f"data set {cfg.dataset!r} is not available in this build ({e})") from None
        raise
    if path:
        description = f"from {path}, first {cfg.rows:,} rows"
    elif cfg.dataset in EMBEDDED:
        description = f"built from the embedded generated Criteo source of {cfg.rows:,} rows"
    else:
        description = cfg.dataset
    return data, description


def run_bench(args) -> int:
    cfg = BenchConfig(dataset=args.dataset, rows=args.rows, epochs=args.epochs, batch_size=args.batch_size,
                      device=args.device, precision=args.precision, seed=args.seed, repeats=args.repeats,
                      cache_dir=args.cache_dir)
    entries = parse_models(args.models)
    resolve_device(cfg.device)           # a missing GPU is an error before any data is built
    skipped: dict[str, str] = {}
    if args.peers:
        for e in peer_entries():
            reason = peer_missing(e.model)
            if reason:
                skipped[e.name] = reason
                print(f"train_bench: {e.name}: {reason}; measuring the others")
            else:
                entries.append(e)
    data, description = load_bench_data(cfg, args.data)
    if len(data.schema.tasks) < 2:
        peers = [e for e in entries if e.kind == "peer"]
        for e in peers:
            skipped[e.name] = f"needs two or more tasks; {data.name} has one"
        entries = [e for e in entries if e.kind != "peer"]
        if peers:
            print(f"train_bench: {data.name} has one task: the peers' MMoE is not measured")
    result = run_benchmark(cfg, entries, data, args.out, command=canonical_command(args),
                           data_description=description, skipped=skipped)
    print(results_table(result["summaries"], list(data.schema.tasks)))
    print()
    print(checks_table(result["checks"]))
    print(f"\nwritten: {args.out}/{README}, {args.out}/{results_json(cfg.device)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run_bench(args)
    except DephnError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130

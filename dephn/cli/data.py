"""`dephn data ...`: generate Criteo-format data, build Criteo-R/UR, encode + cache a data set.

    dephn data make-criteo --rows N --seed S --out FILE
    dephn data build --dataset criteo-r|criteo-ur --source FILE --out DIR [--scale auto|X] [--noise X]
    dephn data prepare --dataset NAME [--data PATH | --train F --valid F --test F] [data flags]
    dephn data list

Each prints a JSON summary on stdout; user errors raise `DephnError` (one line, exit 1).
"""
from __future__ import annotations

import json
from pathlib import Path

from ..data.cache import atomic_file
from ..data.datasets import dataset_descriptions, load_dataset
from ..data.generator import write_criteo
from ..data.infer import infer_schema, write_schema
from ..data.synthetic import BuildConfig, build
from ..errors import DephnError
from .args import (add_data_args, data_options, data_path, in_file, non_negative_int, out_dir, out_file,
                   positive_int)


def add_parser(subparsers) -> None:
    data = subparsers.add_parser("data", help="generate, build and prepare data sets")
    sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    data.set_defaults(func=lambda args: _usage(data))

    p = sub.add_parser("make-criteo", help="write a generated Criteo-format TSV (seeded, learnable click)")
    p.add_argument("--rows", type=positive_int, required=True, help="rows to generate")
    p.add_argument("--seed", type=non_negative_int, default=0, help="generator seed (same seed, same bytes)")
    p.add_argument("--out", type=out_file, required=True, help="output file")
    p.set_defaults(func=cmd_make_criteo)

    p = sub.add_parser("build", help="build Criteo-R / Criteo-UR from a Criteo TSV (paper §IV-A)")
    p.add_argument("--dataset", required=True, choices=["criteo-r", "criteo-ur"])
    p.add_argument("--source", type=in_file, required=True, help="Criteo TSV file")
    p.add_argument("--out", type=out_dir, required=True, help="output directory (must not exist or be empty)")
    p.add_argument("--scale", default="auto", help="'auto' (hit --target-corr) or a number")
    p.add_argument("--target-corr", type=float, default=None,
                   help="Pearson(c, y) for --scale auto (default: the paper's 0.9877 / 0.5288)")
    p.add_argument("--noise", type=float, default=0.02, help="std of eps in y_r (Criteo-R only)")
    p.add_argument("--teacher-epochs", type=positive_int, default=3, help="teacher training passes")
    p.add_argument("--seed", type=non_negative_int, default=0, help="teacher, holdout and noise seed")
    p.add_argument("--rows", type=positive_int, default=None, help="use only the first ROWS rows of the source")
    p.add_argument("--on-bad-lines", choices=["error", "skip"], default="error")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("prepare", help="encode + cache a data set and print its summary")
    add_data_args(p, dataset_default=None)
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("schema", help="propose a schema (CSV spec) for your own table and explain each choice",
                       description="Reads a sample of FILE and writes a CSV spec JSON to edit: numeric columns "
                                   "dense, the rest categorical (\"sparse\": \"rest\"), near-unique row keys "
                                   "ignored; one line per column says why. Then: dephn train --dataset csv "
                                   "--data FILE --data-option spec=OUT")
    p.add_argument("--data", type=in_file, required=True, help="your delimited file (with a header line)")
    p.add_argument("--labels", required=True, help="comma-separated label columns, one per task")
    p.add_argument("--dense", default=None, help="comma-separated numeric columns to use as dense (default: inferred)")
    p.add_argument("--sep", default=None, help="field separator (default: sniffed among , tab ; |)")
    p.add_argument("--sample-rows", type=positive_int, default=100_000, help="data lines read to decide")
    p.add_argument("--out", type=out_file, help="spec file to write (default: FILE.spec.json beside FILE)")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("list", help="list the data set names")
    p.set_defaults(func=cmd_list)


def _usage(parser) -> int:
    parser.print_help()
    return 2


def _print(obj) -> None:
    print(json.dumps(obj, indent=1, default=str, ensure_ascii=False))


def cmd_make_criteo(args) -> int:
    with atomic_file(args.out) as tmp:
        summary = write_criteo(tmp, args.rows, args.seed)
    summary["path"] = str(args.out)
    _print(summary)
    return 0


def cmd_build(args) -> int:
    out = Path(args.out)
    if out.is_dir() and any(out.iterdir()):
        raise DephnError(f"{out} already exists; remove it or choose another --out")
    if out.is_dir():
        out.rmdir()  # empty: the build renames a complete directory into its place
    config = BuildConfig(kind=args.dataset.split("-")[1], scale=args.scale, target_corr=args.target_corr,
                         noise=args.noise, teacher_epochs=args.teacher_epochs, seed=args.seed)
    _print(build(Path(args.source), out, config, rows=args.rows, on_bad_lines=args.on_bad_lines))
    return 0


def cmd_prepare(args) -> int:
    dataset = load_dataset(args.dataset, data_path(args), **data_options(args))
    _print({"dataset": dataset.name, "fingerprint": dataset.fingerprint, "tasks": list(dataset.schema.tasks),
            "n_sparse": len(dataset.schema.sparse), "n_dense": len(dataset.schema.dense), **dataset.meta})
    return 0


def cmd_schema(args) -> int:
    labels = [x.strip() for x in args.labels.split(",") if x.strip()]
    dense = [x.strip() for x in args.dense.split(",") if x.strip()] if args.dense is not None else None
    sep = "\t" if args.sep in ("\\t", "tab") else args.sep
    proposal = infer_schema(Path(args.data), labels, dense=dense, sep=sep, sample_rows=args.sample_rows)
    out = Path(args.out or out_file(args.data + ".spec.json"))
    write_schema(proposal, out)
    for line in proposal.lines():
        print(line)
    print(f"written: {out}\nnext: dephn train --model mmoe --dataset csv --data {args.data} --data-option spec={out}")
    return 0


def cmd_list(args) -> int:
    _print(dataset_descriptions())
    return 0

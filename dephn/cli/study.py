"""`dephn study --profile smoke|cpu|paper`: every study notebook through papermill, then the report."""
from __future__ import annotations

from ..study.runner import run_study
from .args import add_profile_arg, add_threads_arg, apply_threads, parse_seeds


def add_parser(sub) -> None:
    p = sub.add_parser("study", help="run every study notebook (papermill) and write the report",
                       description="Runs notebooks/NN_*.ipynb in order; resumes from the results store.")
    add_profile_arg(p)
    p.add_argument("--out", default=None, help="output folder (default outputs/<profile>)")
    p.add_argument("--only", default=None, help="comma-separated notebook number prefixes, e.g. 01,03")
    p.add_argument("--seeds", default=None, help="override the profile's seeds, e.g. 0,1,2 or 0-4")
    p.add_argument("--criteo", default=None, help="Criteo-format source file (default: embedded generator)")
    p.add_argument("--aliccp", default=None, help="Ali-CCP data (file or folder)")
    p.add_argument("--wechat", default=None, help="WeChat-2021 folder (user_action.csv, feed_info.csv)")
    add_threads_arg(p)
    p.add_argument("--no-report", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    apply_threads(args)
    params = {}
    if args.seeds:
        params["seeds"] = parse_seeds(args.seeds)
    for name in ("criteo", "aliccp", "wechat"):
        if getattr(args, name):
            params[f"{name}_path"] = getattr(args, name)
    run_study(args.profile, args.out, only=args.only.split(",") if args.only else None,
              parameters=params, report=not args.no_report)
    return 0

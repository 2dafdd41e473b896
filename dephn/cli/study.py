"""`dephn study --profile smoke|cpu|paper`: every study notebook through papermill, then the report."""
from __future__ import annotations

import argparse
import json
import time

from ..experiments.parallel import run_parallel
from ..study.context import open_study
from ..study.plan import plan, plan_summary, with_workers
from ..study.power import comparisons
from ..study.prerun import prerun
from ..study.profiles import get_profile
from ..errors import DephnError
from ..study.runner import run_study, study_notebooks
from .args import (add_profile_arg, add_threads_arg, add_workers_args, apply_threads, in_dir, in_file, in_path,
                   names, out_dir, seed_list, worker_options)


def add_parser(sub) -> None:
    p = sub.add_parser("study", help="run every study notebook (papermill) and write the report",
                       description="Runs notebooks/NN_*.ipynb in order; resumes from the results store. With "
                                   "--workers N every run the plan lists trains first over N worker processes "
                                   "(or Ray tasks), then the notebooks execute.")
    add_profile_arg(p)
    p.add_argument("--out", type=out_dir, default=None, help="output folder (default outputs/<profile>)")
    p.add_argument("--only", type=notebooks, help="comma-separated notebook number prefixes, e.g. 01,03")
    p.add_argument("--seeds", type=seed_list, help="override the profile's seeds, e.g. 0,1,2 or 0-4")
    p.add_argument("--criteo", type=in_file, help="Criteo-format source file (default: embedded generator)")
    p.add_argument("--aliccp", type=in_path, help="Ali-CCP data (file or folder)")
    p.add_argument("--wechat", type=in_dir, help="WeChat-2021 folder (user_action.csv, feed_info.csv)")
    add_threads_arg(p)
    add_workers_args(p)
    p.add_argument("--no-report", action="store_true")
    p.add_argument("--plan", action="store_true",
                   help="list every run the profile will make and its estimated time; train nothing")
    p.add_argument("--json", action="store_true", help="with --plan: one JSON object (runs and summary)")
    p.set_defaults(func=run)


def notebooks(text: str) -> list[str]:
    """Notebook number prefixes, each naming a notebook."""
    for prefix in names(text):
        try:
            study_notebooks(only=[prefix])
        except DephnError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    return names(text)


def run(args) -> int:
    profile = get_profile(args.profile)          # parsed once; everything below takes the Profile
    seeds = args.seeds
    paths = {"criteo_path": args.criteo, "aliccp_path": args.aliccp, "wechat_path": args.wechat}
    study = open_study(profile, args.out, seeds=seeds, **paths)
    if args.plan:
        return show_plan(args, study)
    workers = worker_options(args)
    apply_threads(args)
    params = {k: v for k, v in paths.items() if v}
    if seeds:
        params["seeds"] = seeds
    only = args.only
    done = None
    if workers is not None:
        t0 = time.perf_counter()
        runs = prerun(study, lambda specs: run_parallel(specs, study.store.root, **workers), only=only)
        done = {"runs": runs, "seconds": round(time.perf_counter() - t0, 1),
                **{k: v for k, v in workers.items() if isinstance(v, (int, str))}}
    run_study(profile, study.out, only=only, parameters=params, report=not args.no_report, prerun=done)
    return 0


def show_plan(args, study) -> int:
    runs = plan(study, args.only)
    summary = plan_summary(runs)
    total = float(runs["est_seconds"].sum()) / 60
    workers = worker_options(args)
    spread = with_workers(total, workers and workers["workers"])
    power = comparisons(study.profile) if any(n.startswith("04") for n in runs["notebook"]) else None
    if args.json:
        print(json.dumps({"profile": study.profile.name, "estimated_minutes": round(total, 1),
                          "workers": workers and workers["workers"], "estimated_minutes_with_workers": round(spread, 1),
                          "at_most_minutes": round(float(runs["max_seconds"].sum()) / 60, 1),
                          "runs": runs.astype(object).where(runs.notna(), None).to_dict(orient="records"),
                          "summary": summary.to_dict(orient="records"),
                          "detectable": [] if power is None else power.to_dict(orient="records")},
                         default=str))
        return 0
    most = float(runs["max_seconds"].sum()) / 60
    print(f"profile {study.profile.name}: {len(runs)} runs asked for, {int((~runs['planned_before']).sum())} to "
          f"train, about {total:.0f} minutes on 2 CPU cores (an estimate with early stopping; at most {most:.0f} "
          f"if every run hit its epoch cap)")
    if workers:
        print(f"with --workers {workers['workers']}: about {spread:.0f} minutes of training on 2 cores")
    print(summary.to_string(index=False))
    if power is not None and len(power):
        print("\nFig. 5's primary comparison, the smallest AUC difference each test detects (80% power, 5% "
              "two-sided; noise recorded in dephn/study/power.py):")
        print(power.to_string(index=False))
        if not power["meets_goal"].all():
            print("these comparisons cannot reach their goal on this budget: "
                  + ", ".join(f"{r.regime}/{r.dataset}/{r.task}" for r in power[~power["meets_goal"]].itertuples()))
    return 0

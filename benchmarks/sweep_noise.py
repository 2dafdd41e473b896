"""The noise of the Fig. 5 sweep's paired differences, measured under the study's own protocol.

Runs notebook 04's request (`table.vg_sweep`: per regime, data set, seed and model a baseline
that stops early and every virtual-gradient arm trained to its chosen epoch, all scored on the
generated data's fresh evaluation rows) on many seeds, plus the same pairs of MMoE in bf16
autocast, and writes:

- `sweep_noise_runs.csv`: one row per run (the store's frame);
- `sweep_noise.json`: per regime, data set, model and task, the seed-to-seed standard deviation
  of the primary paired difference (add_sqrt/pearson − plain), of the pooled one (mean over the
  settings − plain) and of a single setting's difference (median over settings), the number of
  seeds, and bf16 − fp32 per metric.

`dephn.study.power.NOISE` records the standard deviations a run of this script measured; `dephn
study --plan` turns them into each comparison's detectable effect.

    python -m benchmarks.sweep_noise --seeds 12 --workers 15 --out /tmp/noise
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import pandas as pd

from dephn.experiments.parallel import run_parallel
from dephn.experiments.store import records_frame
from dephn.study import items, table
from dephn.study.context import open_study
from dephn.study.profiles import get_profile
from dephn.study.request import Request, resolve
from dephn.virtual_gradient import ALL_VG

PRIMARY = "add_sqrt/pearson"


def bf16_request(study) -> Request:
    """MMoE's primary pairs in bf16 autocast, Adam gates (the paper's regime)."""
    sweep = table.vg_sweep(study, models=("mmoe",), regimes=("adam",))
    pairs = []
    for p in sweep.paired:
        arm = [a for a in p.arms if a.train_options.get("vg") == PRIMARY]
        pairs.append(dataclasses.replace(
            p, base=_bf16(p.base), arms=tuple(_bf16(a) for a in arm)))
    return Request(paired=tuple(pairs))


def _bf16(spec):
    return dataclasses.replace(spec, train_options={**spec.train_options, "precision": "bf16"})


def label_of(frame: pd.DataFrame) -> pd.Series:
    """"gamma/corr" of a virtual-gradient run, "none" without one (the regime is a column of its own)."""
    return (frame["gamma"].astype(str) + "/" + frame["corr"].astype(str)).where(frame["virtual_gradient"].astype(bool),
                                                                                 "none")


def summarise(frame: pd.DataFrame, tasks) -> list[dict]:
    frame = frame.assign(regime=items.regime_of(frame), setting=label_of(frame))
    rows = []
    for (regime, dataset, model, precision), part in frame.groupby(["regime", "dataset", "model", "precision"]):
        for task in tasks:
            col = f"test/{task}/auc"
            wide = part.pivot_table(index="seed", columns="setting", values=col)
            if "none" not in wide:
                continue
            diffs = wide.drop(columns="none").sub(wide["none"], axis=0)
            row = {"regime": regime, "dataset": dataset, "model": model, "precision": precision, "task": task,
                   "seeds": int(len(wide)), "settings": int(diffs.shape[1]),
                   "sd_single_median": float(diffs.std(ddof=1).median()),
                   "sd_pooled": float(diffs.mean(axis=1).std(ddof=1)),
                   "mean_pooled": float(diffs.mean(axis=1).mean())}
            if PRIMARY in diffs:
                row |= {"sd_primary": float(diffs[PRIMARY].std(ddof=1)), "mean_primary": float(diffs[PRIMARY].mean())}
            truth = f"test/{task}/truth_spearman"
            if truth in part:
                row["truth_spearman_mean"] = float(part[truth].mean())
            rows.append(row)
    return rows


def precision_gap(frame: pd.DataFrame, tasks) -> list[dict]:
    """Per data set, setting and task: bf16 − fp32 test AUC of the same run (Adam gates), over seeds."""
    frame = frame[items.regime_of(frame) == "adam"].assign(setting=label_of(frame))
    rows = []
    for (dataset, setting), part in frame[frame["model"] == "mmoe"].groupby(["dataset", "setting"]):
        for task in tasks:
            wide = part.pivot_table(index="seed", columns="precision", values=f"test/{task}/auc")
            if {"bf16", "fp32"} <= set(wide.columns):
                d = (wide["bf16"] - wide["fp32"]).dropna()
                rows.append({"dataset": dataset, "setting": setting, "task": task, "seeds": int(len(d)),
                             "mean": float(d.mean()), "sd": float(d.std(ddof=1))})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=12)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--profile", default="cpu")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--no-bf16", action="store_true")
    ap.add_argument("--models", default="mmoe,dephn", help="models of the sweep (comma-separated)")
    ap.add_argument("--vg", default=ALL_VG, help="virtual-gradient settings (comma-separated; default all 16)")
    ap.add_argument("--summarise-only", action="store_true", help="summarise the runs already in the store")
    args = ap.parse_args(argv)
    seeds = tuple(range(args.seeds))
    profile = get_profile(args.profile).replace(vg=tuple(args.vg.split(",")), vg_seeds={"criteo-r": seeds, "criteo-ur": seeds})
    study = open_study(profile, args.out / "study")
    asked = table.vg_sweep(study, models=tuple(args.models.split(","))) + (Request() if args.no_bf16 else bf16_request(study))
    t0 = time.perf_counter()

    def train(specs):
        study.prepare(s.dataset for s in specs)
        return run_parallel(specs, study.store.root, workers=args.workers, threads=1)
    frame = (records_frame(study.store.records()) if args.summarise_only
             else resolve(asked, study.profile, train, read=study.read))
    seconds = time.perf_counter() - t0
    frame.to_csv(args.out / "sweep_noise_runs.csv", index=False)
    tasks = sorted({c.split("/")[1] for c in frame.columns if c.startswith("test/") and c.endswith("/auc")})
    out = {"seeds": args.seeds, "workers": args.workers, "seconds": round(seconds, 1), "runs": int(len(frame)),
           "ok": int((frame["status"] == "ok").sum()), "summary": summarise(items.ok(frame), tasks),
           "bf16_minus_fp32": precision_gap(items.ok(frame), tasks)}
    (args.out / "sweep_noise.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

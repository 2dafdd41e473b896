"""What each comparison of the Fig. 5 sweep can detect, before anything runs.

`NOISE` holds the seed-to-seed standard deviation of the paired test-AUC difference
"add_sqrt/pearson − plain MMoE" (the primary comparison) per regime, data set and task, measured
under the study's protocol (`benchmarks/sweep_noise.py`: baselines that stop early, arms at their
epoch, 100k fresh evaluation rows; cpu profile sizes, 8 seeds, 2026-12-04; see
benchmarks/README.md). `detectable` turns it into the smallest mean difference a two-sided
paired t-test at 5% finds with 80% power on n seeds; `comparisons` lists it for every
comparison a profile's sweep makes, so `dephn study --plan` shows it beside the time.
"""
from __future__ import annotations

import pandas as pd

from ..experiments.aggregate import detectable_effect
from .profiles import Profile

NOISE = {   # (regime, data set, task) -> sd of the primary paired difference (MMoE, 8 seeds)
    ("adam", "criteo-r", "task1"): 0.0015, ("adam", "criteo-r", "task2"): 0.0010,
    ("adam", "criteo-ur", "task1"): 0.0033, ("adam", "criteo-ur", "task2"): 0.0089,
    ("sgd", "criteo-r", "task1"): 0.0020, ("sgd", "criteo-r", "task2"): 0.0013,
    ("sgd", "criteo-ur", "task1"): 0.0012, ("sgd", "criteo-ur", "task2"): 0.0033,
}
GOALS = {"criteo-r": 0.002, ("criteo-ur", "task1"): 0.002, ("criteo-ur", "task2"): 0.005}   # the targets


def goal(dataset: str, task: str) -> float:
    return GOALS.get((dataset, task), GOALS.get(dataset, 0.005))


def comparisons(profile: Profile, datasets=("criteo-r", "criteo-ur")) -> pd.DataFrame:
    """One row per regime, data set and task of the primary comparison on MMoE: the seeds, the
    recorded noise, the detectable effect and whether it meets the goal."""
    rows = []
    for (regime, dataset, task), sd in NOISE.items():
        if regime not in profile.vg_regimes or dataset not in datasets:
            continue
        n = len(profile.sweep_seeds(dataset))
        mde = detectable_effect(sd, n)
        rows.append({"comparison": "add_sqrt/pearson vs plain MMoE", "regime": regime, "dataset": dataset,
                     "task": task, "seeds": n, "noise_sd": sd, "detectable": round(mde, 4),
                     "goal": goal(dataset, task), "meets_goal": bool(mde <= goal(dataset, task))})
    return pd.DataFrame(rows)

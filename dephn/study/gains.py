"""Methods paired against one baseline over the same seeds (notebooks 09 and 10)."""
from __future__ import annotations

import pandas as pd

from ..experiments.aggregate import detectable_effect, paired_comparison, t_half_width
from ..experiments.verdicts import ALPHA, pooled_effect, verdict
from ..plotting.sweep import gain_frame


def ok(frame: pd.DataFrame) -> pd.DataFrame:
    """The runs that finished (status ok)."""
    return frame[frame["status"] == "ok"] if len(frame) else frame


def paired_gains(frame: pd.DataFrame, tasks, *, baseline: str = "none", metric: str = "auc",
                 split: str = "test", level: float = 0.95) -> pd.DataFrame:
    """Every label's paired difference against `baseline` (same model, data set and seeds), per
    task: n, diff, its t-interval, the paired t-test p-value, the smallest difference the test
    could detect at this n (80% power, two-sided 5%), and the mean seconds per training step."""
    rows = []
    runs = ok(frame)
    for (dataset, model), part in runs.groupby(["dataset", "model"], sort=True):
        base = part[part["label"] == baseline]
        for label in [x for x in dict.fromkeys(part["label"]) if x != baseline]:
            mine = part[part["label"] == label]
            for task in tasks:
                col = f"{split}/{task}/{metric}"
                cmp = paired_comparison(part, col, {"label": label}, {"label": baseline})
                half = t_half_width(cmp["diff_std"], cmp["n"], level)
                rows.append({"dataset": dataset, "model": model, "method": label, "task": task, "n": cmp["n"],
                             "diff": cmp["diff"], "lo": cmp["diff"] - half, "hi": cmp["diff"] + half,
                             "p_value": cmp["p_value"], "detectable": detectable_effect(cmp["diff_std"], cmp["n"]),
                             "ms_per_step": 1000 * _step_seconds(mine), "ms_per_step_plain": 1000 * _step_seconds(base)})
    return pd.DataFrame(rows)


def gain_table(gains: pd.DataFrame, runs: pd.DataFrame | None = None) -> pd.DataFrame:
    """`paired_gains` for reading: significant (p < 0.05), inconclusive (not significant and
    smaller than the detectable effect), sorted by data set, model, task and gain; with `runs`,
    each method's median parameter count."""
    table = gains.assign(significant=gains["p_value"] < 0.05,
                         inconclusive=(gains["p_value"] >= 0.05) & (gains["diff"].abs() < gains["detectable"]))
    if runs is not None and len(runs):
        params = ok(runs).groupby("label")["parameters"].median().rename("parameters")
        table = table.merge(params, left_on="method", right_index=True, how="left")
    return table.sort_values(["dataset", "model", "task", "diff"], ascending=[True, True, True, False])


def _step_seconds(runs: pd.DataFrame) -> float:
    if not len(runs) or "train_seconds" not in runs.columns:
        return float("nan")
    steps = runs["steps"] if "steps" in runs.columns else None
    return float((runs["train_seconds"] / steps).mean()) if steps is not None else float("nan")


def sweep_analysis(frame: pd.DataFrame, tasks, *, model: str = "mmoe",
                   primary: str = "add_sqrt/pearson") -> pd.DataFrame:
    """Fig. 5 analysed per data set and task (one regime's runs): the primary comparison (the
    paper's setting against plain `model`, pre-stated, not corrected) with its verdict; the 16
    settings together (`verdicts.pooled_effect`: the overall effect, its interval, its verdict,
    whether the settings differ); and the Holm-corrected verdict counts of the settings."""
    gains = gain_frame(frame, tasks, model=model)
    runs = ok(frame)
    rows = []
    for (dataset, task), g in gains.groupby(["dataset", "task"], sort=True):
        part = runs[(runs["dataset"] == dataset) & (runs["model"] == model)]
        col = f"test/{task}/auc"
        base = part[~part["virtual_gradient"].astype(bool)].set_index("seed")[col]
        arms = part[part["virtual_gradient"].astype(bool)]
        long = pd.DataFrame({"seed": arms["seed"], "setting": arms["gamma"] + "/" + arms["corr"],
                             "diff": arms[col].to_numpy() - base.reindex(arms["seed"]).to_numpy()})
        pooled = pooled_effect(long)
        first = g[(g["gamma"] + "/" + g["corr"]) == primary]
        prim = first.iloc[0] if len(first) else None
        counts = g["verdict"].value_counts()
        rows.append({"dataset": dataset, "task": task, "seeds": pooled["seeds"], "settings": len(g),
                     "primary_diff": prim["diff"] if prim is not None else float("nan"),
                     "primary_lo": prim["lo"] if prim is not None else float("nan"),
                     "primary_hi": prim["hi"] if prim is not None else float("nan"),
                     "primary_verdict": (verdict(prim["diff"], prim["p_value"], prim["p_equiv"])
                                         if prim is not None else "inconclusive"),
                     "pooled": pooled["effect"], "pooled_lo": pooled["lo"], "pooled_hi": pooled["hi"],
                     "pooled_verdict": verdict(pooled["effect"], pooled["p_value"], pooled["p_equiv"]),
                     "settings_differ_p": pooled["p_settings_differ"],
                     **{f"n_{v}": int(counts.get(v, 0)) for v in ("better", "worse", "equivalent", "inconclusive")}})
    return pd.DataFrame(rows)

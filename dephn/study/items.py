"""The numbers each of the paper's tables and figures shows, computed from the results store
(which runs each needs is `table.py`). Notebooks only call these and plot."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.synthetic import targets
from ..experiments.aggregate import fmt_mean_std, summarize
from ..train.evaluate import predict
from .context import Study
from .gains import gain_table, ok, paired_gains  # noqa: F401  (the notebooks call them through items)
from .paper import CRITEO_PEARSON
from .table import PAPER_VG


# -- Table I / Table II ---------------------------------------------------------------------

def metric_table(frame: pd.DataFrame, tasks, by=("dataset", "model", "label"), digits=4) -> pd.DataFrame:
    """One row per configuration: its parameter count and learning rate, then per task "mean ± std"
    of test log loss and AUC over seeds."""
    frame = ok(frame)
    metrics = [f"test/{t}/{m}" for t in tasks for m in ("logloss", "auc")]
    s = summarize(frame, list(by), metrics)
    out = s[list(by)].copy()
    out["seeds"] = s[f"{metrics[0]}:n"].astype(int)
    for col in ("parameters", "lr"):
        if col in frame.columns:
            first = frame.groupby(list(by), sort=False)[col].first()
            out[col] = [first.get(tuple(k) if len(by) > 1 else k[0]) for k in out[list(by)].itertuples(index=False)]
    for m in metrics:
        _, task, k = m.split("/")
        out[f"{task} {k}"] = [fmt_mean_std(a, b, digits) for a, b in zip(s[f"{m}:mean"], s[f"{m}:std"])]
        out[f"{task} {k}:mean"] = s[f"{m}:mean"]
        out[f"{task} {k}:std"] = s[f"{m}:std"]
    return out


def with_paper(table: pd.DataFrame, paper: pd.DataFrame, tasks, on=("model",)) -> pd.DataFrame:
    """Add the paper's numbers beside ours (paper columns `task1/auc` ... map to our task order)."""
    out = table.merge(paper, on=list(on), how="left")
    rename = {}
    for i, t in enumerate(tasks, 1):
        for k in ("logloss", "auc"):
            rename[f"task{i}/{k}"] = f"{t} {k} (paper)"
    return out.rename(columns=rename)


# -- Fig. 3: SSG vectors and public vs private activation -----------------------------------------

def ssg_vectors(study: Study, frame: pd.DataFrame, model="mtphn", label="D_pub,C&F_pri") -> dict:
    """{structure: (seeds, d)} SSG gate vectors G_sg at the end of training."""
    runs = ok(frame)
    runs = runs[(runs["model"] == model) & (runs["label"] == label)].sort_values("seed")
    out: dict[str, list] = {}
    for rid in runs["run_id"]:
        for k, v in study.recorder(rid).final.items():
            if k.startswith("ssg/"):
                out.setdefault(k.split("/", 1)[1], []).append(np.asarray(v))
    return {k: np.stack(v) for k, v in out.items()}


def activation_parts(study: Study, frame: pd.DataFrame, model="mtphn", label="D_pub,C&F_pri",
                     split="test", rows=20000) -> pd.DataFrame:
    """Mean |public| and |private| logit per task and seed (paper Fig. 3b) on a split."""
    runs = ok(frame)
    runs = runs[(runs["model"] == model) & (runs["label"] == label)].sort_values("seed")
    out = []
    for rid, seed in runs[["run_id", "seed"]].itertuples(index=False):
        data = study.dataset_of(rid)
        part = data.split(split).head(rows)
        _, _, inter = predict(study.load_model(rid), part, keys=("public_logit/", "private_logit/"))
        for t in data.schema.tasks:
            pub, pri = np.abs(inter[f"public_logit/{t}"]).mean(), np.abs(inter[f"private_logit/{t}"]).mean()
            out.append({"task": t, "seed": seed, "public_abs": float(pub), "private_abs": float(pri),
                        "public_share": float(pub / (pub + pri))})
    return pd.DataFrame(out)


# -- Fig. 5: the virtual-gradient sweep ------------------------------------------------------------

def regime_of(frame: pd.DataFrame) -> pd.Series:
    """Each run's virtual-gradient regime, from its gate optimizer."""
    return frame["gate_optimizer"].fillna("adam")


def vg_action(study: Study, frame: pd.DataFrame, dataset: str = "criteo-ur") -> pd.DataFrame:
    """Per recorded step of every paper-setting virtual-gradient run on `dataset`: the coefficient's
    mean, spread and extremes over every entry, and the probe (relative change of the gate
    parameters' gradient and update). Columns: model, regime, seed, step, coef_*, *_rel_change."""
    runs = ok(frame)
    runs = runs[(runs["dataset"] == dataset) & (runs["gamma"] == PAPER_VG.gamma) & (runs["corr"] == PAPER_VG.corr)]
    parts = []
    for rid, model, seed, regime in zip(runs["run_id"], runs["model"], runs["seed"], regime_of(runs)):
        stats = pd.DataFrame(study.recorder(rid).vg_stats)
        if len(stats):
            parts.append(stats.assign(model=model, regime=regime, seed=seed))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def vg_action_summary(action: pd.DataFrame) -> pd.DataFrame:
    """Per model and regime: the coefficient's mean, its spread within a step and over steps, and
    the median relative change of the gate gradient and of the gate update (over steps and seeds)."""
    g = action.groupby(["model", "regime"], sort=True)
    return pd.DataFrame({
        "coef mean": g["coef_mean"].mean(), "coef std within step": g["coef_std"].mean(),
        "coef std over steps": g["coef_mean"].std(), "coef min": g["coef_min"].min(), "coef max": g["coef_max"].max(),
        "gradient change (median)": g["grad_rel_change"].median(),
        "update change (median)": g["update_rel_change"].median()}).reset_index()


# -- did the runs converge? ----------------------------------------------------------------------

def convergence(frame: pd.DataFrame) -> pd.DataFrame:
    """Per model: runs, how many stopped on their own vs hit the epoch cap, and the best epochs."""
    runs = ok(frame)
    if not len(runs):
        return pd.DataFrame(columns=["model", "runs", "converged", "share converged", "median best epoch",
                                     "epochs cap hit"])
    g = runs.groupby("model", sort=True)
    out = pd.DataFrame({"runs": g.size(), "converged": g["stopped"].apply(lambda s: int((s == "early_stopping").sum())),
                        "median best epoch": g["best_epoch"].median(),
                        "epochs cap hit": g["stopped"].apply(lambda s: int((s == "epochs").sum()))}).reset_index()
    out.insert(3, "share converged", out["converged"] / out["runs"])
    return out


def learning_frame(study: Study, frame: pd.DataFrame) -> pd.DataFrame:
    """One row per run and epoch: model, seed, step = epoch, the mean validation AUC over tasks."""
    parts = []
    for rid, model, seed in ok(frame)[["run_id", "model", "seed"]].itertuples(index=False):
        epochs = study.recorder(rid).epochs_frame()
        aucs = [c for c in epochs.columns if c.startswith("valid/") and c.endswith("/auc")]
        parts.append(pd.DataFrame({"model": model, "seed": seed, "step": epochs["epoch"],
                                   "valid_auc": epochs[aucs].mean(axis=1)}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


# -- Fig. 6 and gating --------------------------------------------------------------------------



def loss_frame(study: Study, frame: pd.DataFrame, by="label") -> pd.DataFrame:
    parts = []
    for rid, seed, key in ok(frame)[["run_id", "seed", by]].itertuples(index=False):
        steps = study.recorder(rid).steps_frame()
        steps["seed"], steps[by] = seed, key
        parts.append(steps)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def gate_histories(study: Study, run_id: str) -> dict[str, np.ndarray]:
    """{task: (epochs, K, P) or (epochs, K)} gate values read after every epoch."""
    rec = study.recorder(run_id)
    return {name.split("/", 1)[1]: rec.gate_history(name) for name in rec.gates if name.startswith("gates/")}


def contributions(study: Study, run_id: str, split="test", rows=4096) -> dict[str, np.ndarray]:
    """{task: (B, K, P)} each public expert x mapping's contribution to the task's public logit."""
    data = study.dataset_of(run_id)
    _, _, inter = predict(study.load_model(run_id), data.split(split).head(rows), keys=("contrib/",))
    return {k.split("/", 1)[1]: v for k, v in inter.items()}


def vg_coefficients(study: Study, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """{"<label> / <task>": flat coefficients seen in training} (recorded steps, batch means)."""
    out = {}
    for rid, label, tasks in _runs_with_tasks(study, frame):
        hist = study.recorder(rid).vg_history("gates")            # (steps, T, ...)
        if hist.size == 0:
            continue
        for i, t in enumerate(tasks):
            out[f"{label} / {t}"] = np.concatenate([out.get(f"{label} / {t}", np.zeros(0)),
                                                    hist[:, i].reshape(-1)])
    return out


def _runs_with_tasks(study, frame):
    for rid, label in ok(frame)[["run_id", "label"]].itertuples(index=False):
        yield rid, label, study.record(rid)["tasks"]


# -- Fig. 7: confidence --------------------------------------------------------------------------

def activations(study: Study, frame: pd.DataFrame, split="test") -> tuple[np.ndarray, dict]:
    """Base confidence c of the split and {model: {task: (seeds * N,) logits}}, c tiled to match."""
    runs = ok(frame).sort_values(["model", "seed"])
    acts: dict[str, dict[str, list]] = {}
    c_all = None
    for rid, model in runs[["run_id", "model"]].itertuples(index=False):
        data = study.dataset_of(rid)
        part = data.split(split)
        _, logits, _ = predict(study.load_model(rid), part)
        c_all = np.asarray(part.extras["confidence"])
        for i, t in enumerate(data.schema.tasks):
            acts.setdefault(model, {}).setdefault(t, []).append(logits[:, i])
    n_seeds = {m: len(next(iter(v.values()))) for m, v in acts.items()}
    reps = max(n_seeds.values()) if n_seeds else 1
    c = np.tile(c_all, reps) if c_all is not None else np.zeros(0)
    return c, {m: {t: np.concatenate(v) for t, v in d.items()} for m, d in acts.items()}


# -- §IV-A: the artificial data sets -------------------------------------------------------------

SYNTHETIC = {"criteo-r": "r", "criteo-ur": "ur"}


def data_summary(study: Study) -> pd.DataFrame:
    """Rows, label rates and correlations of Criteo-R / Criteo-UR as built, beside the paper's."""
    rows = []
    for name in SYNTHETIC:
        data = study.dataset(name)
        b = data.meta.get("builder") or {}
        rows.append({"dataset": name, "rows": b.get("rows"),
                     "task1 rate": b.get("positive_rate", {}).get("task1"),
                     "task2 rate": b.get("positive_rate", {}).get("task2"),
                     "pearson(c, y) this build": b.get("pearson_continuous"),
                     "pearson(c, y) paper": CRITEO_PEARSON[name],
                     "pearson(labels)": b.get("pearson_labels"),
                     "scale": b.get("scale"), "threshold task1": b.get("thresholds", {}).get("task1"),
                     "threshold task2": b.get("thresholds", {}).get("task2"),
                     "noise": b.get("noise"), "teacher AUC": b.get("teacher_auc")})
    return pd.DataFrame(rows)


def target_samples(study: Study, split="test", headline: bool = False) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """c and the continuous task-2 targets y_r, y_ur on a split (same Criteo source; `headline`:
    the headline comparisons' data size)."""
    out, c = {}, None
    for name in SYNTHETIC:
        part = study.dataset(name, headline=headline).split(split)
        c = np.asarray(part.extras["confidence"]) if c is None else c
        out[{"criteo-r": "y_r", "criteo-ur": "y_ur"}[name]] = np.asarray(part.extras["target2"])
        out.setdefault("c_" + name, np.asarray(part.extras["confidence"]))
    return c, out


def true_curves(dataset: str, c: np.ndarray, tasks, n: int = 200) -> dict:
    """{task: (c_grid, target_grid)}: task 1's target is c itself, task 2's is y(c)."""
    grid = np.linspace(np.quantile(c, 0.005), np.quantile(c, 0.995), n)
    return {tasks[0]: (grid, grid), tasks[1]: (grid, targets(SYNTHETIC[dataset], grid))}

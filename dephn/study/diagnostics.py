"""Does a model learn Criteo-UR's band of c, or only re-rank task 1? (notebook 06)

On Criteo-R/UR every label is a threshold of a function of one base confidence c
(`dephn.data.synthetic`): task 1 is 1[c > t1], increasing in c; on Criteo-UR task 2 is
1[y_ur(c) > t2] with y_ur(c) = sign(c)(2 sin|c| + 0.1 cos|c|), positive on a band of c around
pi/2 and negative on both sides of it (and again positive below about -pi, where sin|c| turns
negative). A model that has only learnt "more c, more likely" for both
tasks orders task 2's rows as it orders task 1's; one that has learnt the band does not.

Three diagnostics on a split, over every model and seed of a comparison:
- `ceilings`: per task, the AUC of c itself and the best AUC any score that only orders c
  can reach (the monotone ceiling), beside the AUC of the generator's own probability
  P(label = 1 | c) (the Bayes ceiling);
- `reranking`: per model and seed, task 2's AUC scored by the model's own task-2 logit and
  by its task-1 logit, and the rank correlation of the two logits;
- `band_means`: per bin of c, each model's mean predicted probability per task (mean over
  seeds, with their spread) beside the true probability and the label rate of the bin.
`diagnose` computes all three from a Study and a records frame, predicting each run once.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr
from scipy.stats import spearmanr
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score

from ..data.synthetic import targets
from ..errors import DephnError
from ..experiments.aggregate import fmt_mean_std
from ..train.evaluate import predict
from .context import Study
from .gains import ok
from .items import SYNTHETIC

# -- the monotone ceiling -------------------------------------------------------------------------


def monotone_ceiling(c: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The AUC of labels y reachable by a score that only orders c.

    AUC depends on a score only through the order it puts the rows in. Any strictly
    increasing f(c) orders the rows as c does, so its AUC is exactly AUC(c); any strictly
    decreasing one reverses the order, AUC(-c) = 1 - AUC(c). The strict ceiling is the
    larger of the two. A weakly monotone f (flat stretches, i.e. ties) can do a little
    better: ties turn some wrongly ordered positive-negative pairs into half-counted ones.
    Its ROC curve joins a subset of the points of c's ROC curve by straight lines, so it
    lies under their convex hull, and the isotonic (pool-adjacent-violators) fit of y on c
    traces that hull; the AUC of the better of the increasing and the decreasing isotonic
    fit is the ceiling of every monotone function of c, ties allowed. (It is fitted on the
    rows it scores, which is what a ceiling asks for.) A model whose score of a band label
    beats it has learnt that the label falls again past the band.

    Returns {"auc_c": AUC(c), "auc_neg_c": AUC(-c), "strict": the strict ceiling,
    "monotone": the ceiling with ties, "increasing": 1.0 if c's direction is the better one}.
    """
    c = np.asarray(c, dtype=np.float64).reshape(-1)
    y = np.asarray(y).reshape(-1)
    if c.shape != y.shape:
        raise DephnError(f"c and the labels differ in length: {len(c)} vs {len(y)}")
    if len(np.unique(y)) != 2:
        raise DephnError("the labels need both classes for an AUC")
    up, down = roc_auc_score(y, c), roc_auc_score(y, -c)
    hull = [roc_auc_score(y, IsotonicRegression(increasing=inc).fit_transform(c, y)) for inc in (True, False)]
    return {"auc_c": float(up), "auc_neg_c": float(down), "strict": float(max(up, down)),
            "monotone": float(max(hull)), "increasing": float(up >= down)}


def true_probability(kind: str, task_index: int, c: np.ndarray, threshold: float, noise: float = 0.0) -> np.ndarray:
    """P(label = 1 | c) as the generator draws the labels: task 1's target is c, task 2's y(c)
    (`targets`); the label is 1[target > threshold]. Only Criteo-R's task 2 carries noise
    eps ~ N(0, noise^2) in its target, making the probability Phi((y_r(c) - threshold) / noise)."""
    c = np.asarray(c, dtype=np.float64)
    target = c if task_index == 0 else targets(kind, c)
    if task_index == 1 and kind == "r" and noise > 0:
        return ndtr((target - threshold) / noise)
    return (target > threshold).astype(np.float64)


# -- a split's truth and every run's scores -------------------------------------------------------


def split_truth(data, dataset: str, split: str = "test") -> pd.DataFrame:
    """One row per row of the split: c, and per task its label (`label:<task>`) and the
    generator's probability of a positive label (`true:<task>`). `data`: the encoded data set."""
    if dataset not in SYNTHETIC:
        raise DephnError(f"{dataset!r} is not a confidence data set; known: {', '.join(SYNTHETIC)}")
    builder = data.meta.get("builder") or {}
    thresholds = builder.get("thresholds")
    if not thresholds:
        raise DephnError(f"{dataset}: the data set's meta names no label thresholds (meta['builder'])")
    part = data.split(split)
    c = np.asarray(part.extras["confidence"], dtype=np.float64)
    out = pd.DataFrame({"c": c})
    for i, task in enumerate(data.schema.tasks):
        out[f"label:{task}"] = np.asarray(part.labels[:, i]).astype(np.int64)
        out[f"true:{task}"] = true_probability(SYNTHETIC[dataset], i, c, thresholds[task], builder.get("noise") or 0.0)
    return out


def model_scores(study: Study, frame: pd.DataFrame, split: str = "test") -> tuple[pd.DataFrame, object]:
    """Every finished run's predictions on the split, long: model, seed, row, and per task
    `logit:<task>` and `prob:<task>`; with the data set the runs read (they must share one)."""
    runs = ok(frame).sort_values(["model", "seed"])
    if not len(runs):
        raise DephnError("no finished runs to diagnose")
    parts, data, fingerprint = [], None, None
    for rid, model, seed in runs[["run_id", "model", "seed"]].itertuples(index=False):
        this = study.dataset_of(rid)
        if fingerprint is not None and this.fingerprint != fingerprint:
            raise DephnError(f"run {rid} read other data than the runs before it; diagnose one data set at a time")
        data, fingerprint = this, this.fingerprint
        probs, logits, _ = predict(study.load_model(rid), data.split(split))
        part = pd.DataFrame({"model": model, "seed": seed, "row": np.arange(len(logits))})
        for i, task in enumerate(data.schema.tasks):
            part[f"logit:{task}"], part[f"prob:{task}"] = logits[:, i], probs[:, i]
        parts.append(part)
    return pd.concat(parts, ignore_index=True), data


# -- the three tables -----------------------------------------------------------------------------


def ceilings(truth: pd.DataFrame, tasks) -> pd.DataFrame:
    """Per task: rows, positive rate, AUC of c and of -c, the strict and the monotone ceiling
    (`monotone_ceiling`) and the Bayes ceiling, the AUC of the true probability."""
    rows = []
    for task in tasks:
        y = truth[f"label:{task}"].to_numpy()
        m = monotone_ceiling(truth["c"].to_numpy(), y)
        rows.append({"task": task, "rows": len(y), "positive rate": float(y.mean()),
                     "AUC of c": m["auc_c"], "AUC of -c": m["auc_neg_c"],
                     "strictly monotone ceiling": m["strict"], "monotone ceiling (ties allowed)": m["monotone"],
                     "Bayes ceiling (true probability)": float(roc_auc_score(y, truth[f"true:{task}"]))})
    return pd.DataFrame(rows)


def reranking(truth: pd.DataFrame, scores: pd.DataFrame, tasks) -> pd.DataFrame:
    """Per model and seed: each task's AUC, task 2's AUC scored by the task-1 logit, their gap,
    task 2's AUC over its monotone ceiling, and the Spearman correlation of the two logits.
    A gap near 0 (and a correlation near 1) says the task-2 output only re-ranks task 1."""
    t1, t2 = tasks[:2]
    y1, y2 = truth[f"label:{t1}"].to_numpy(), truth[f"label:{t2}"].to_numpy()
    ceiling = monotone_ceiling(truth["c"].to_numpy(), y2)["monotone"]
    rows = []
    for (model, seed), run in scores.groupby(["model", "seed"], sort=True):
        run = run.sort_values("row")
        if len(run) != len(truth):
            raise DephnError(f"{model} seed {seed}: {len(run)} scored rows, the split has {len(truth)}")
        l1, l2 = run[f"logit:{t1}"].to_numpy(), run[f"logit:{t2}"].to_numpy()
        own, by_t1 = roc_auc_score(y2, l2), roc_auc_score(y2, l1)
        rows.append({"model": model, "seed": seed, f"{t1} AUC": float(roc_auc_score(y1, l1)),
                     f"{t2} AUC": float(own), f"{t2} AUC by {t1} logit": float(by_t1),
                     "gap": float(own - by_t1), f"{t2} AUC - monotone ceiling": float(own - ceiling),
                     "spearman(logits)": float(spearmanr(l1, l2).statistic)})
    return pd.DataFrame(rows)


def reranking_summary(per_seed: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """Per model: seeds, and "mean ± std" over seeds of every column of `reranking`."""
    metrics = [c for c in per_seed.columns if c not in ("model", "seed")]
    g = per_seed.groupby("model", sort=True)
    mean, std = g[metrics].mean(), g[metrics].std()
    out = pd.DataFrame({"model": mean.index, "seeds": g.size().to_numpy()})
    for m in metrics:
        out[m] = [fmt_mean_std(a, b, digits) for a, b in zip(mean[m], std[m])]
    return out


def band_means(truth: pd.DataFrame, scores: pd.DataFrame, tasks, bins: int = 20) -> pd.DataFrame:
    """Per model, task and bin of c (equal counts): the bin's edges, median c and rows; the mean
    predicted probability over the bin's rows, averaged over seeds (`mean`), with its std, min
    and max over seeds; the bin's mean true probability (`true`) and label rate (`label rate`)."""
    c = truth["c"].to_numpy()
    edges = np.unique(np.quantile(c, np.linspace(0.0, 1.0, bins + 1)))
    if len(edges) < 2:
        edges = np.array([c.min(), c.max()])
    idx = np.clip(np.searchsorted(edges, c, side="right") - 1, 0, len(edges) - 2)     # last bin right-closed
    binned = truth.assign(bin=idx)
    per_bin = binned.groupby("bin")
    base = pd.DataFrame({"c_lo": edges[:-1], "c_hi": edges[1:]}).rename_axis("bin")
    base["c_mid"], base["n"] = per_bin["c"].median(), per_bin.size()
    rows = []
    for task in tasks:
        info = base.assign(true=per_bin[f"true:{task}"].mean(), **{"label rate": per_bin[f"label:{task}"].mean()})
        run_means = (scores.assign(bin=idx[scores["row"].to_numpy()])
                     .groupby(["model", "seed", "bin"])[f"prob:{task}"].mean().rename("p").reset_index())
        stats = run_means.groupby(["model", "bin"])["p"].agg(["mean", "std", "min", "max", "count"])
        stats = stats.rename(columns={"count": "seeds"}).reset_index()
        stats = stats.merge(info.dropna(subset=["n"]).reset_index(), on="bin").assign(task=task)
        rows.append(stats)
    cols = ["model", "task", "bin", "c_lo", "c_hi", "c_mid", "n", "seeds", "mean", "std", "min", "max", "true",
            "label rate"]
    return pd.concat(rows, ignore_index=True)[cols].sort_values(["model", "task", "bin"], ignore_index=True)


def diagnose(study: Study, frame: pd.DataFrame, split: str = "test", bins: int = 20) -> dict[str, pd.DataFrame]:
    """Every diagnostic of a comparison on one data set, each run predicted once:
    {"ceilings", "reranking" (per seed), "reranking_summary", "bands"}."""
    datasets = set(ok(frame)["dataset"])
    if len(datasets) != 1:
        raise DephnError(f"diagnose one data set at a time; the runs read {sorted(datasets)}")
    scores, data = model_scores(study, frame, split)
    tasks = list(data.schema.tasks)
    truth = split_truth(data, datasets.pop(), split)
    per_seed = reranking(truth, scores, tasks)
    return {"ceilings": ceilings(truth, tasks), "reranking": per_seed,
            "reranking_summary": reranking_summary(per_seed), "bands": band_means(truth, scores, tasks, bins)}

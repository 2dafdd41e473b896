"""The Criteo-UR band diagnostics: the monotone ceiling, the task-1-logit AUC of task 2 and the
band means, on constructed labels and scores, and end to end on a stand-in study."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score
from torch import nn

from dephn import plotting
from dephn.data.encoded import EncodedDataset, EncodedSplit
from dephn.data.schema import Schema
from dephn.data.synthetic import targets
from dephn.errors import DephnError
from dephn.models.output import ModelOutput
from dephn.study import diagnostics as dg

TASKS = ("task1", "task2")


def band_labels(n=4000, seed=0):
    """c, task 1 = 1[c > t1] and task 2 = 1[y_ur(c) > t2] with the generator's quantile rule."""
    c = np.random.default_rng(seed).normal(scale=1.5, size=n).astype(np.float32).astype(np.float64)
    t1, t2 = np.quantile(c, 0.75), np.quantile(targets("ur", c), 0.75)
    return c, (c > t1).astype(int), (targets("ur", c) > t2).astype(int), {"task1": t1, "task2": t2}


# -- the monotone ceiling ---------------------------------------------------------------------------

def test_a_score_equal_to_c_or_any_strictly_monotone_one_gets_the_strict_ceiling():
    c, _, y2, _ = band_labels()
    m = dg.monotone_ceiling(c, y2)
    assert m["auc_c"] == roc_auc_score(y2, c) and m["auc_neg_c"] == pytest.approx(1 - m["auc_c"])
    assert m["strict"] == max(m["auc_c"], m["auc_neg_c"])
    best = c if m["increasing"] else -c
    for f in (lambda x: x, np.exp, lambda x: x ** 3 + 2 * x):       # strictly increasing: same order
        assert roc_auc_score(y2, f(best)) == pytest.approx(m["strict"], abs=1e-12)


def test_the_ceiling_with_ties_is_exact_on_a_small_example():
    # positive at c = 1 only: AUC(c) = 1/3, AUC(-c) = 2/3; the decreasing step (0.5, 0.5, 0, 0)
    # ties the positive with the negative at c = 0 and orders it above the other two: 5/6
    m = dg.monotone_ceiling(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0, 1, 0, 0]))
    assert m["auc_c"] == pytest.approx(1 / 3) and m["strict"] == pytest.approx(2 / 3)
    assert m["monotone"] == pytest.approx(5 / 6) and m["increasing"] == 0.0


def test_no_monotone_score_of_c_beats_the_ceiling_but_a_band_score_does():
    c, y1, y2, t = band_labels()
    m = dg.monotone_ceiling(c, y2)
    assert m["strict"] <= m["monotone"] < 0.99
    rng = np.random.default_rng(1)
    for _ in range(20):                        # weakly monotone steps of c, both directions
        cuts = np.sort(rng.choice(c, size=rng.integers(1, 8), replace=False))
        step = np.searchsorted(cuts, c).astype(float)
        for score in (step, -step):
            assert roc_auc_score(y2, score) <= m["monotone"] + 1e-12
    assert roc_auc_score(y2, targets("ur", c)) == 1.0 > m["monotone"]
    # a label that is a threshold of c is ordered perfectly by c itself
    m1 = dg.monotone_ceiling(c, y1)
    assert m1["strict"] == m1["monotone"] == 1.0 and m1["increasing"] == 1.0


def test_the_ceiling_needs_matching_lengths_and_both_classes():
    with pytest.raises(DephnError, match="length"):
        dg.monotone_ceiling(np.zeros(3), np.zeros(4))
    with pytest.raises(DephnError, match="both classes"):
        dg.monotone_ceiling(np.arange(3.0), np.ones(3))


def test_true_probability_is_the_generators_label_rule():
    c = np.linspace(-4, 4, 101)
    np.testing.assert_array_equal(dg.true_probability("ur", 0, c, 0.5), (c > 0.5).astype(float))
    np.testing.assert_array_equal(dg.true_probability("ur", 1, c, 1.0), (targets("ur", c) > 1.0).astype(float))
    # Criteo-R's task 2 has Gaussian noise in its target: one half exactly at the threshold
    t = float(targets("r", np.array([0.7]))[0])
    p = dg.true_probability("r", 1, np.array([0.0, 0.7, 3.0]), t, noise=0.1)
    assert p[0] < 1e-6 and p[1] == pytest.approx(0.5) and p[2] > 1 - 1e-6


# -- band means on a constructed example ----------------------------------------------------------

def test_band_means_average_each_seed_over_its_bin_then_over_seeds():
    truth = pd.DataFrame({"c": np.arange(8.0), "label:a": [0, 0, 1, 1, 1, 1, 0, 0],
                          "true:a": [0, 0, 1, 1, 1, 1, 0, 0.5]})
    p0 = np.array([0.1, 0.3, 0.5, 0.7, 0.2, 0.2, 0.2, 0.2])
    p1 = p0 + 0.1
    scores = pd.concat([pd.DataFrame({"model": "m", "seed": s, "row": np.arange(8), "prob:a": p})
                        for s, p in ((0, p0), (1, p1))], ignore_index=True)
    bands = dg.band_means(truth, scores, ["a"], bins=2)
    assert list(bands["bin"]) == [0, 1] and list(bands["n"]) == [4, 4] and list(bands["seeds"]) == [2, 2]
    np.testing.assert_allclose(bands["mean"], [0.45, 0.25])                # (0.4 + 0.5) / 2, (0.2 + 0.3) / 2
    np.testing.assert_allclose(bands["min"], [0.4, 0.2])
    np.testing.assert_allclose(bands["max"], [0.5, 0.3])
    np.testing.assert_allclose(bands["std"], [np.std([0.4, 0.5], ddof=1)] * 2)
    np.testing.assert_allclose(bands["true"], [0.5, 0.625])
    np.testing.assert_allclose(bands["label rate"], [0.5, 0.5])
    np.testing.assert_allclose(bands[["c_lo", "c_hi", "c_mid"]].to_numpy(), [[0, 3.5, 1.5], [3.5, 7, 5.5]])


# -- end to end on a stand-in study -----------------------------------------------------------------

def y_ur(c: torch.Tensor) -> torch.Tensor:
    """Criteo-UR's task-2 target, in torch."""
    return torch.sign(c) * (2 * torch.sin(c.abs()) + 0.1 * torch.cos(c.abs()))


class ScoreOfC(nn.Module):
    """Logits that are given functions of c, read from dense column 0."""

    def __init__(self, f1, f2):
        super().__init__()
        self.f1, self.f2 = f1, f2

    def forward(self, sparse, dense):
        c = dense[:, 0].double()
        return ModelOutput(logits={"task1": self.f1(c).float(), "task2": self.f2(c).float()})


def confidence_data(n=3000, fingerprint="ur-0") -> EncodedDataset:
    c, y1, y2, t = band_labels(n)
    labels = np.stack([y1, y2], 1).astype(np.float32)
    dense = np.stack([c, np.zeros(n)], 1).astype(np.float32)

    def part(lo, hi):
        return EncodedSplit(np.zeros((hi - lo, 1), np.int64), dense[lo:hi], labels[lo:hi],
                            {"confidence": c[lo:hi].astype(np.float32)})

    return EncodedDataset(name="criteo-ur", schema=Schema(tasks=TASKS, dense=("I1", "I2"), sparse=("C1",)),
                          vocab_sizes=(2,), train=part(0, 10), valid=part(10, 20), test=part(20, n),
                          fingerprint=fingerprint, meta={"builder": {"thresholds": t, "noise": 0.0}})


class StandInStudy:
    """What the diagnostics ask of a Study: each run's data set and trained model."""

    def __init__(self, models: dict, data: dict):
        self.models, self.data = models, data

    def dataset_of(self, run_id):
        return self.data[run_id]

    def load_model(self, run_id):
        return self.models[run_id]


def records(run_ids, models, seeds, dataset="criteo-ur"):
    return pd.DataFrame({"run_id": run_ids, "model": models, "seed": seeds, "dataset": dataset, "status": "ok"})


@pytest.fixture
def study():
    data = confidence_data()
    models = {  # "rerank": task 2 is an increasing function of task 1; "band": task 2 is y_ur(c)
        "r0": ScoreOfC(lambda c: c, lambda c: 2 * c + 1), "r1": ScoreOfC(lambda c: c + 0.5, lambda c: c ** 3),
        "b0": ScoreOfC(lambda c: c, lambda c: 3 * y_ur(c) - 2), "b1": ScoreOfC(lambda c: 2 * c, lambda c: y_ur(c) - 1)}
    frame = records(list(models), ["rerank", "rerank", "band", "band"], [0, 1, 0, 1])
    return StandInStudy(models, {k: data for k in models}), frame, data


def test_diagnose_tells_a_band_learner_from_a_reranker(study):
    std, frame, data = study
    out = dg.diagnose(std, frame, bins=10)
    c = np.asarray(data.test.extras["confidence"], dtype=np.float64)
    y1, y2 = data.test.labels[:, 0], data.test.labels[:, 1]

    ceil = out["ceilings"].set_index("task")
    assert ceil.loc["task2", "AUC of c"] == pytest.approx(roc_auc_score(y2, c))
    assert ceil.loc["task1", "monotone ceiling (ties allowed)"] == 1.0
    assert (ceil["Bayes ceiling (true probability)"] == 1.0).all()            # labels are rules of c
    assert ceil.loc["task2", "monotone ceiling (ties allowed)"] < 0.99

    per = out["reranking"].set_index(["model", "seed"])
    rerank, band = per.loc["rerank"], per.loc["band"]
    # the task-1-logit AUC of task 2 is roc_auc_score on the arrays themselves
    assert per.loc[("band", 1), "task2 AUC by task1 logit"] == pytest.approx(roc_auc_score(y2, 2 * c))
    np.testing.assert_allclose(rerank["task2 AUC"], rerank["task2 AUC by task1 logit"], atol=1e-12)
    np.testing.assert_allclose(rerank["gap"], 0.0, atol=1e-12)
    np.testing.assert_allclose(rerank["spearman(logits)"], 1.0)
    assert (rerank["task2 AUC - monotone ceiling"] <= 1e-12).all()
    assert (band["task2 AUC"] == 1.0).all()
    np.testing.assert_allclose(band["gap"], 1.0 - roc_auc_score(y2, c))
    assert (band["task2 AUC - monotone ceiling"] > 0).all()
    np.testing.assert_allclose(per["task1 AUC"], roc_auc_score(y1, c))

    summary = out["reranking_summary"].set_index("model")
    assert list(summary["seeds"]) == [2, 2] and summary.loc["band", "task2 AUC"] == "1.0000 ± 0.0000"

    bands = out["bands"]
    assert set(bands["model"]) == {"band", "rerank"} and set(bands["task"]) == set(TASKS)
    assert (bands.groupby(["model", "task"]).size() == 10).all() and (bands["seeds"] == 2).all()
    assert (bands["min"] <= bands["mean"]).all() and (bands["mean"] <= bands["max"]).all()
    # task 1 of "rerank" seed 0 is sigmoid(c): its bin means lie between those of the bin edges
    r1 = bands[(bands["model"] == "rerank") & (bands["task"] == "task1")]
    sig = lambda x: 1 / (1 + np.exp(-x))                                                  # noqa: E731
    assert (r1["min"] >= sig(r1["c_lo"]) - 1e-6).all() and (r1["min"] <= sig(r1["c_hi"]) + 1e-6).all()
    # the frames are what the figures read
    assert len(plotting.band_means_plot(bands).data) == 2 * (2 * 2 + 1)
    assert len(plotting.reranking_plot(out["reranking"], out["ceilings"], tasks=TASKS).data) == 4 + 2


def test_runs_on_other_data_or_no_runs_are_rejected(study):
    std, frame, data = study
    std.data["b1"] = confidence_data(fingerprint="ur-other")
    with pytest.raises(DephnError, match="other data"):
        dg.model_scores(std, frame)
    with pytest.raises(DephnError, match="one data set"):
        dg.diagnose(std, records(["r0", "b0"], ["rerank", "band"], [0, 0]).assign(dataset=["criteo-ur", "criteo-r"]))
    with pytest.raises(DephnError, match="no finished runs"):
        dg.model_scores(std, frame.assign(status="failed"))


def test_truth_needs_a_confidence_data_set_with_its_thresholds():
    data = confidence_data()
    with pytest.raises(DephnError, match="not a confidence data set"):
        dg.split_truth(data, "aliccp")
    data.meta = {}
    with pytest.raises(DephnError, match="thresholds"):
        dg.split_truth(data, "criteo-ur")

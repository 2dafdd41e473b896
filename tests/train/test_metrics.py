import math

import numpy as np
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from dephn.train.metrics import SingleClassWarning, mean_auc, task_metrics


def test_matches_sklearn_per_task():
    rng = np.random.default_rng(0)
    y = (rng.random((500, 2)) < 0.3).astype(np.float32)
    p = np.clip(rng.random((500, 2)) * 0.5 + y * 0.3, 0, 1)
    m = task_metrics(y, p, ["a", "b"])
    for i, t in enumerate("ab"):
        assert m[t]["auc"] == pytest.approx(roc_auc_score(y[:, i], p[:, i]))
        assert m[t]["logloss"] == pytest.approx(log_loss(y[:, i], np.clip(p[:, i], 1e-7, 1 - 1e-7)))
    assert mean_auc(m) == pytest.approx((m["a"]["auc"] + m["b"]["auc"]) / 2)


def test_single_class_task_is_nan_with_a_warning_not_a_crash():
    y = np.stack([np.zeros(100), np.r_[np.zeros(50), np.ones(50)]], 1)
    p = np.full((100, 2), 0.2)
    with pytest.warns(SingleClassWarning, match="'a'.*all one class.*valid"):
        m = task_metrics(y, p, ["a", "b"], split="valid")
    assert math.isnan(m["a"]["auc"])
    assert math.isfinite(m["a"]["logloss"])
    assert mean_auc(m) == pytest.approx(0.5)


def test_evaluate_ranks_each_logit_against_the_true_target_where_the_split_knows_it():
    import torch
    from scipy.stats import spearmanr

    from dephn.data.encoded import EncodedSplit
    from dephn.models.output import ModelOutput
    from dephn.train.evaluate import evaluate

    class Echo(torch.nn.Module):             # task 1's logit is dense[:, 0], task 2's is -dense[:, 1]
        def forward(self, sparse, dense):
            return ModelOutput(logits={"a": dense[:, 0], "b": -dense[:, 1]})

    rng = np.random.default_rng(0)
    dense = rng.normal(size=(500, 2)).astype(np.float32)
    labels = (rng.random((500, 2)) < 0.5).astype(np.float32)
    truth = {"target1": dense[:, 0] ** 3, "target2": dense[:, 1] + rng.normal(size=500)}
    split = EncodedSplit(np.zeros((500, 1), np.int64), dense, labels, extras=truth)
    metrics = evaluate(Echo(), split, ("a", "b"))
    assert metrics["a"]["truth_spearman"] == pytest.approx(1.0)           # monotone: ranks agree
    assert metrics["b"]["truth_spearman"] == pytest.approx(spearmanr(-dense[:, 1], truth["target2"]).statistic)
    assert "truth_spearman" not in evaluate(Echo(), EncodedSplit(split.sparse, dense, labels), ("a", "b"))["a"]

"""Criteo-R / Criteo-UR builder: the relations, the scale search, the built table, loading it."""
from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from dephn.data import synthetic
from dephn.data.datasets import load_dataset
from dephn.data.readers.criteo import CRITEO_DENSE, CRITEO_SPARSE
from dephn.data.synthetic import (PAPER_CORRELATION, BuildConfig, SyntheticReader, build, find_scale, pearson,
                                  relation_r, relation_ur)
from dephn.errors import DephnError

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Criteo-R and Criteo-UR built from one generated 4,000-row file, with their summaries."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    from dephn.data.generator import write_criteo

    root = tmp_path_factory.mktemp("built")
    write_criteo(root / "source.txt", 4000, seed=0)
    out = {kind: (root / kind, build(root / "source.txt", root / kind, BuildConfig(kind=kind, teacher_epochs=1)))
           for kind in ("r", "ur")}
    torch.set_num_threads(threads)
    return root / "source.txt", out


def test_relations_by_hand():
    np.testing.assert_allclose(relation_r(np.array([0.0, 1.0, -1.0])),
                               [0.1, 2 * np.log(2) + 0.1 * np.e, -2 * np.log(2) + 0.1 * np.e])
    np.testing.assert_allclose(relation_r(np.array([1.0]), eps=np.array([0.5])), [2 * np.log(2) + 0.1 * np.e + 0.5])
    np.testing.assert_allclose(relation_ur(np.array([np.pi / 2, -np.pi, 0.0])), [2.0, 0.1, 0.0], atol=1e-12)


@pytest.mark.parametrize("kind", ["r", "ur"])
def test_scale_search_hits_the_target_past_the_peak(kind):
    z = np.random.default_rng(0).standard_normal(20_000)
    eps = 0.02 * np.random.default_rng(1).standard_normal(20_000) if kind == "r" else np.zeros(20_000)
    target = PAPER_CORRELATION[kind]
    s = find_scale(kind, z, eps, target)
    corr = lambda scale: pearson(scale * z, synthetic.targets(kind, scale * z, eps))  # noqa: E731
    assert corr(s) == pytest.approx(target, abs=1e-4)
    assert corr(0.9 * s) > target > corr(1.1 * s)          # falling side: larger scale, more bend


def test_unreachable_target_is_a_clear_error():
    z = np.random.default_rng(0).standard_normal(5000)
    with pytest.raises(DephnError, match="peaks at"):
        find_scale("r", z, 50.0 * np.random.default_rng(1).standard_normal(5000), 0.9877)


@pytest.mark.parametrize("kind", ["r", "ur"])
def test_built_summary_meets_the_targets(built, kind):
    _, out = built
    summary = out[kind][1]
    assert summary["rows"] == 4000 and summary["dataset"] == f"criteo-{kind}"
    assert summary["pearson_continuous"] == pytest.approx(PAPER_CORRELATION[kind], abs=0.005)
    rate = summary["positive_rate"]["source_click"]
    assert summary["positive_rate"]["task1"] == pytest.approx(rate, abs=0.002)
    assert summary["positive_rate"]["task2"] == pytest.approx(rate, abs=0.002)
    assert 0.0 < summary["pearson_labels"] < 1.0
    assert 0.0 < summary["teacher_auc"] < 1.0 and summary["scale"] > 0   # quality: test_teacher.py


def test_built_table_keeps_c_and_binary_labels(built):
    _, out = built
    path, summary = out["ur"]
    table = pq.read_table(path / "table.parquet")
    assert {"click", *CRITEO_DENSE, *CRITEO_SPARSE, "teacher_logit", "confidence", "target1", "target2",
            "task1", "task2"} <= set(table.column_names)
    logit = table.column("teacher_logit").to_numpy()
    c = table.column("confidence").to_numpy()
    np.testing.assert_allclose(c, summary["scale"] * (logit - logit.mean()) / logit.std(), rtol=1e-9)
    np.testing.assert_array_equal(table.column("target1").to_numpy(), c)
    np.testing.assert_allclose(table.column("target2").to_numpy(), relation_ur(c))
    task1 = table.column("task1").to_numpy()
    assert set(np.unique(task1)) == {0, 1}
    np.testing.assert_array_equal(task1, (c > summary["thresholds"]["task1"]).astype(np.int8))


def test_load_a_built_directory(built, tmp_path):
    _, out = built
    ds = load_dataset("criteo-ur", out["ur"][0], cache_dir=tmp_path)
    assert ds.schema.tasks == ("task1", "task2")
    assert set(ds.train.extras) == {"confidence", "target1", "target2"}
    assert ds.meta["builder"]["pearson_continuous"] == out["ur"][1]["pearson_continuous"]
    c = ds.train.extras["confidence"]
    np.testing.assert_array_equal(ds.train.labels[:, 0], (c > out["ur"][1]["thresholds"]["task1"]).astype(np.float32))
    with pytest.raises(DephnError, match="holds criteo-ur, not criteo-r"):
        load_dataset("criteo-r", out["ur"][0], cache_dir=tmp_path)
    with pytest.raises(DephnError, match=r"already built; builder options \['scale'\]"):
        load_dataset("criteo-ur", out["ur"][0], cache_dir=tmp_path, scale=2.0)
    head = load_dataset("criteo-ur", out["ur"][0], cache_dir=tmp_path, rows=1000)
    assert sum(head.meta["rows"].values()) == 1000


def test_load_from_a_source_builds_once(built, tmp_path, monkeypatch):
    source, _ = built
    ds = load_dataset("criteo-r", source, cache_dir=tmp_path, teacher_epochs=1, rows=2000)
    assert sum(ds.meta["rows"].values()) == 2000
    monkeypatch.setattr(synthetic, "build", lambda *a, **k: pytest.fail("built twice"))
    again = load_dataset("criteo-r", source, cache_dir=tmp_path, teacher_epochs=1, rows=2000)
    assert again.fingerprint == ds.fingerprint
    with pytest.raises(DephnError, match="noise"):
        load_dataset("criteo-r", source, cache_dir=tmp_path, noise=-1.0)


def test_reader_rejects_a_non_built_directory(tmp_path):
    with pytest.raises(DephnError, match="not a built Criteo-R/UR directory"):
        SyntheticReader(tmp_path)


def test_r_and_ur_from_one_source_share_one_teacher(built, tmp_path, monkeypatch):
    source, _ = built
    r = load_dataset("criteo-r", source, cache_dir=tmp_path, teacher_epochs=1, rows=1500)
    import dephn.data.teacher as teacher

    monkeypatch.setattr(teacher, "train_teacher", lambda *a, **k: pytest.fail("a second teacher was trained"))
    ur = load_dataset("criteo-ur", source, cache_dir=tmp_path, teacher_epochs=1, rows=1500)
    assert ur.meta["builder"]["teacher_auc"] == r.meta["builder"]["teacher_auc"]
    tables = {k: pq.read_table(next((tmp_path / "built").glob(f"criteo-{k}-*")) / "table.parquet") for k in ("r", "ur")}
    np.testing.assert_array_equal(tables["r"].column("teacher_logit"), tables["ur"].column("teacher_logit"))


def test_embedded_default_scores_on_fresh_rows_from_a_teacher_of_its_own(tmp_path):
    """The generated Criteo-UR: the teacher learns on rows of its own stream, and the test split is
    the fresh evaluation rows, labelled by the same teacher, scale and thresholds."""
    d = load_dataset("criteo-ur", cache_dir=tmp_path, rows=3_000, teacher_rows=4_000, eval_rows=5_000)
    built = d.meta["builder"]
    assert built["teacher_rows"]["own_rows"] and built["teacher_rows"]["train"] == 3_600
    assert len(d.test) == built["eval"]["rows"] == 5_000
    assert len(d.train) + len(d.valid) < 3_000                  # the students' own test rows are not used
    t1, t2 = built["thresholds"]["task1"], built["thresholds"]["task2"]
    c, y = d.test.extras["target1"], d.test.extras["target2"]
    np.testing.assert_array_equal(d.test.labels[:, 0], (c > t1).astype(np.float32))
    np.testing.assert_array_equal(d.test.labels[:, 1], (y > t2).astype(np.float32))
    np.testing.assert_allclose(y, synthetic.relation_ur(c.astype(np.float64)), rtol=1e-4, atol=1e-5)
    assert abs(built["eval"]["positive_rate"]["task1"] - built["positive_rate"]["task1"]) < 0.05
    again = load_dataset("criteo-ur", cache_dir=tmp_path, rows=3_000, teacher_rows=4_000, eval_rows=5_000)
    np.testing.assert_array_equal(again.test.sparse, d.test.sparse)
    with pytest.raises(DephnError, match="eval_rows must be >= 1"):
        load_dataset("criteo-ur", cache_dir=tmp_path, rows=3_000, eval_rows=0)

import json

from dephn.experiments.store import ResultsStore


def test_put_is_atomic_and_frame_flattens_metrics(tmp_path):
    store = ResultsStore(tmp_path)
    rec = {"run_id": "abc", "status": "ok", "model": "mmoe", "dataset": "criteo-ur", "seed": 1,
           "label": "add_sqrt/pearson",
           "model_options": {}, "train_options": {"vg": "add_sqrt/pearson"},
           "metrics": {"test": {"ctr": {"auc": 0.7, "logloss": 0.5}}},
           "timing": {"samples_per_s": 1000.0}}
    store.put(rec)
    assert store.has("abc") and not store.has("abd")
    assert [p.name for p in (tmp_path / "records").iterdir()] == ["abc.json"]   # no temp file left
    assert store.get("abc")["metrics"] == rec["metrics"]
    f = store.frame()
    assert f.loc[0, "test/ctr/auc"] == 0.7 and f.loc[0, "gamma"] == "add_sqrt"
    assert f.loc[0, "samples_per_s"] == 1000.0


def test_half_written_temp_files_are_ignored(tmp_path):
    store = ResultsStore(tmp_path)
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / ".x.json.123.tmp").write_text('{"run_id": "x", "trunc')
    assert store.records() == [] and not store.has("x")
    store.put({"run_id": "y", "status": "ok"})
    assert [r["run_id"] for r in store.records()] == ["y"]
    json.loads((tmp_path / "records" / "y.json").read_text())

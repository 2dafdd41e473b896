import errno
import json
import os
import warnings

import pytest

from dephn import fileio
from dephn.errors import DephnError
from dephn.experiments.store import CorruptRecordWarning, ResultsStore


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



def good(run_id, auc=0.7):
    return {"run_id": run_id, "status": "ok", "model": "mmoe", "dataset": "criteo-ur", "seed": 0,
            "metrics": {"test": {"ctr": {"auc": auc}}}}


def test_a_truncated_record_is_reported_set_aside_and_counts_as_not_done(tmp_path):
    store = ResultsStore(tmp_path)
    for rid in ("a", "b", "c"):
        store.put(good(rid))
    path = tmp_path / "records" / "b.json"
    half = path.read_bytes()[:25]
    path.write_bytes(half)                                    # half written by something else
    with pytest.warns(CorruptRecordWarning) as caught:
        assert [r["run_id"] for r in store.records()] == ["a", "c"]
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "\n" not in message and message.startswith(f"{path}: a record that does not read (")
    assert message.endswith("set aside as b.json.corrupt, its run counts as not done")
    assert not path.exists() and (tmp_path / "records" / "b.json.corrupt").read_bytes() == half
    with warnings.catch_warnings():
        warnings.simplefilter("error")                        # reported once: it is out of the way now
        assert not store.has("b") and store.has("a")
        assert len(store.frame()) == 2
        with pytest.raises(DephnError, match="no record of run b"):
            store.get("b")
    store.put(good("b", 0.8))                                 # trained again: a record like any other
    assert store.get("b")["metrics"]["test"]["ctr"]["auc"] == 0.8
    assert [r["run_id"] for r in store.records()] == ["a", "b", "c"]


@pytest.mark.parametrize("content", [b"", b"\xff\xfe not utf-8", b"[1, 2]", b'{"run_id": "x", "trunc'])
def test_has_sets_aside_a_record_that_does_not_read(tmp_path, content):
    store = ResultsStore(tmp_path)
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "x.json").write_bytes(content)
    with pytest.warns(CorruptRecordWarning, match="x.json"):
        assert not store.has("x")
    assert [p.name for p in (tmp_path / "records").iterdir()] == ["x.json.corrupt"]


def test_a_full_disk_while_writing_a_record_is_one_error_naming_the_file(tmp_path, monkeypatch):
    store = ResultsStore(tmp_path)
    store.put(good("a"))
    before = (tmp_path / "records" / "a.json").read_bytes()

    def full(fd, *args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(fileio.os, "fsync", full)
    with pytest.raises(DephnError) as e:
        store.put(good("b"))
    assert str(e.value) == f"could not write the record {tmp_path / 'records' / 'b.json'}: No space left on device"
    with pytest.raises(DephnError, match="a.json: No space left"):
        store.put(good("a", 0.9))                            # a record already there stays as it was
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "records").iterdir()) == ["a.json"]   # no temporary left
    assert (tmp_path / "records" / "a.json").read_bytes() == before
    assert [r["run_id"] for r in store.records()] == ["a"] and not store.has("b")


def test_a_full_disk_while_writing_a_runs_artefacts_is_one_error_and_writes_no_record(tmp_path, monkeypatch):
    from dephn.experiments.recorder import Recorder
    from dephn.experiments.runs import RunSpec, store_run
    store = ResultsStore(tmp_path)

    def full(self, folder):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(Recorder, "save", full)
    record = good("c")
    with pytest.raises(DephnError, match="could not write the artefacts of run c in .*: No space left on device"):
        store_run(store, RunSpec("mmoe", "criteo-ur"), record, Recorder(tasks=("t",)), model=None)
    assert not store.has("c")

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from dephn.errors import DephnError
from dephn.experiments.runs import RunSpec
from dephn.experiments.store import CorruptRecordWarning, ResultsStore
from dephn.experiments.sweep import expand_grid, run_sweep
from dephn.virtual_gradient import VGSetting, parse_settings
from tests.conftest import REPO, synthetic_encoded

SMALL = {"embed_dim": 4, "dnn_hidden": [16], "expert_hidden": [16], "tower_hidden": [8], "n_experts": 2}
TRAIN = {"epochs": 1, "batch_size": 256, "quiet": True, "device": "cpu"}


def test_grid_gives_vg_settings_only_to_gated_models():
    specs = expand_grid(["dnn", "mmoe", "dephn"], ["criteo-ur"], [0, 1],
                        vg=[None, VGSetting("add_sqrt", "pearson"), VGSetting("mul_cos", "cosine")])
    by_model = {m: [s for s in specs if s.model == m] for m in ("dnn", "mmoe", "dephn")}
    assert len(by_model["dnn"]) == 2 and len(by_model["mmoe"]) == 6 and len(by_model["dephn"]) == 6
    assert {s.table_label for s in by_model["dephn"]} == {"none", "add_sqrt/pearson", "mul_cos/cosine"}
    vg = [s for s in by_model["dephn"] if s.table_label == "mul_cos/cosine"][0]
    assert vg.train_options == {"vg": "mul_cos/cosine"} and vg.model_options == {}


def test_parse_settings():
    assert len(parse_settings(["all"])) == 16
    assert parse_settings(["none", "add_abs/cosine"]) == [None, VGSetting("add_abs", "cosine")]
    assert VGSetting.parse("add_abs/cosine").label == "add_abs/cosine"
    with pytest.raises(DephnError, match="expected none, all or GAMMA/CORR"):
        parse_settings(["add_abs/spearman"])


def test_virtual_gradient_on_a_model_without_gates_is_refused_before_training():
    with pytest.raises(DephnError, match="'dnn' has no gates"):
        RunSpec("dnn", "x", train_options={"vg": "add_sqrt/pearson"}).check()
    RunSpec("ple", "x", train_options={"vg": "add_sqrt/pearson"}).check()


def test_run_id_hashes_only_the_fields_a_model_reads():
    base = RunSpec("mmoe", "x", model_options={"n_experts": 2})
    assert base.run_id("fp") == RunSpec("mmoe", "x", model_options={"n_experts": 2, "ple_levels": 3,
                                                                       "mappings": ["raw"]}).run_id("fp")
    assert base.run_id("fp") != RunSpec("mmoe", "x", model_options={"n_experts": 3}).run_id("fp")
    assert base.run_id("fp") != RunSpec("mmoe", "x", model_options={"n_experts": 2},
                                        train_options={"vg": "add_sqrt/pearson"}).run_id("fp")
    assert base.run_id("fp") == RunSpec("mmoe", "x", model_options={"n_experts": 2},
                                        data_options={"cache_dir": "/elsewhere"}).run_id("fp")
    # the same value in any spelling is the same run
    assert (RunSpec("dephn", "x", model_options={"expert_hidden": "32,16"}).run_id("fp")
            == RunSpec("dephn", "x", model_options={"expert_hidden": [32, 16]}).run_id("fp"))


def test_an_option_added_later_keeps_the_ids_of_runs_stored_before_it():
    # ids made before gate_norm and dense_init existed (same code otherwise): runs already stored
    # (their dense vectors started small) keep them
    small = {"dense_init": "small"}
    assert RunSpec("mmoe", "criteo-ur", seed=3, model_options=small).run_id("fp") == "948498fb33be61cb"
    assert (RunSpec("dephn", "criteo-ur", model_options={**small, "gate": "mg"}).run_id("fp")
            == "13e0dec18971e748")
    # another value is another run, and so is the new default
    assert (RunSpec("mmoe", "criteo-ur", seed=3, model_options={**small, "gate_norm": "batch"}).run_id("fp")
            != "948498fb33be61cb")
    assert RunSpec("mmoe", "criteo-ur", seed=3).run_id("fp") != "948498fb33be61cb"


def test_run_id_depends_on_config_seed_and_data_not_on_quiet():
    a = RunSpec("mmoe", "x", seed=0, train_options={"quiet": True})
    assert a.run_id("fp1") == RunSpec("mmoe", "x", seed=0).run_id("fp1")
    assert a.run_id("fp1") != a.run_id("fp2")
    assert a.run_id("fp1") != RunSpec("mmoe", "x", seed=1).run_id("fp1")
    assert a.run_id("fp1") != RunSpec("mmoe", "x", model_options={"n_experts": 8}).run_id("fp1")


def test_sweep_skips_finished_runs_and_force_reruns(tmp_path):
    specs = expand_grid(["dnn", "mmoe"], ["synthetic"], [0, 1], model_options=SMALL, train_options=TRAIN)
    load = lambda spec: synthetic_encoded(n=1500)
    logs = []
    f1 = run_sweep(specs, tmp_path, load=load, log=logs.append)
    assert len(f1) == 4 and set(f1["status"]) == {"ok"}
    assert "4 ran, 0 already done" in logs[-1]
    f2 = run_sweep(specs, tmp_path, load=load, log=logs.append)
    assert "0 ran, 4 already done" in logs[-1]
    assert f2.sort_values("run_id")["test/t0/auc"].tolist() == f1.sort_values("run_id")["test/t0/auc"].tolist()
    run_sweep(specs[:1], tmp_path, load=load, log=logs.append, force=True)
    assert "1 ran, 0 already done" in logs[-1]
    assert len(ResultsStore(tmp_path).records()) == 4
    # a finished run asked for again with its weights kept reruns once, then is done
    keep = [RunSpec(**{**specs[1].__dict__, "save_model": True})]
    run_sweep(keep, tmp_path, load=load, log=logs.append)
    assert "1 ran, 0 already done" in logs[-1]
    assert ResultsStore(tmp_path).has_model(keep[0].run_id(load(None).fingerprint))
    run_sweep(keep, tmp_path, load=load, log=logs.append)
    assert "0 ran, 1 already done" in logs[-1]


def test_a_sweep_over_a_store_with_a_truncated_record_trains_that_run_again(tmp_path):
    specs = expand_grid(["dnn"], ["synthetic"], [0, 1, 2], model_options=SMALL, train_options=TRAIN)
    load = lambda spec: synthetic_encoded(n=1500)
    logs = []
    run_sweep(specs, tmp_path, load=load, log=logs.append)
    records = tmp_path / "records"
    broken = sorted(records.glob("*.json"))[1]
    broken.write_bytes(broken.read_bytes()[:40])             # a half-written copy, say
    with pytest.warns(CorruptRecordWarning, match=f"{broken.name}: a record that does not read"):
        frame = run_sweep(specs, tmp_path, load=load, log=logs.append)
    assert "1 ran, 2 already done" in logs[-1]
    assert len(frame) == 3 and set(frame["status"]) == {"ok"}
    assert ResultsStore(tmp_path).get(broken.stem)["run_id"] == broken.stem
    assert (records / f"{broken.name}.corrupt").is_file()
    assert len(ResultsStore(tmp_path).records()) == 3


SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {repo!r})
    from tests.conftest import synthetic_encoded
    from dephn.experiments.sweep import expand_grid, run_sweep
    specs = expand_grid(["dnn", "mmoe", "shared_bottom"], ["synthetic"], [0, 1, 2],
                        model_options={small!r}, train_options={train!r})
    run_sweep(specs, sys.argv[1], load=lambda s: synthetic_encoded(n=3000))
""")


@pytest.mark.slow
def test_killed_sweep_restarts_with_nothing_lost_or_duplicated(tmp_path):
    script = tmp_path / "sweep.py"
    script.write_text(SCRIPT.format(repo=str(REPO), small=SMALL, train={**TRAIN, "epochs": 2}))
    out = tmp_path / "results"
    proc = subprocess.Popen([sys.executable, str(script), str(out)], stderr=subprocess.PIPE,
                            start_new_session=True)
    records = out / "records"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(records.glob("*.json"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)                 # mid-sweep, no clean-up
    proc.wait()
    done_before = {p.name for p in records.glob("*.json")}
    assert 2 <= len(done_before) < 9, "the kill should land mid-sweep"
    rerun = subprocess.run([sys.executable, str(script), str(out)], capture_output=True, text=True,
                           timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"{len(done_before)} already done" in rerun.stderr
    done_after = [p.name for p in records.glob("*.json")]
    assert len(done_after) == len(set(done_after)) == 9
    assert done_before <= set(done_after)
    assert not list(records.glob(".*tmp")) and not list(records.glob(".*.lock"))


def test_table_labels_come_from_what_the_run_id_hashes():
    assert RunSpec("mmoe", "x").table_label == "none"
    assert RunSpec("mmoe", "x", train_options={"vg": "add_sqrt/pearson"}).table_label == "add_sqrt/pearson"
    assert RunSpec("mmoe", "x", train_options={"vg": "add_sqrt/pearson", "gate_optimizer": "sgd"}
                   ).table_label == "add_sqrt/pearson (sgd gates)"
    assert RunSpec("mmoe", "x", train_options={"balance": "upgrad", "vg": "add_cos/cosine"}
                   ).table_label == "add_cos/cosine+upgrad"
    assert RunSpec("mtphn", "x", label="D_pub,C&F_pri").table_label == "D_pub,C&F_pri"


def test_a_shared_run_takes_the_label_of_the_query(tmp_path, one_torch_thread):
    data = synthetic_encoded(n=400)
    base = dict(model="mmoe", dataset="synthetic", model_options=SMALL, train_options=TRAIN)
    first = run_sweep([RunSpec(**base, label="first name")], tmp_path, quiet=True, load=lambda s: data,
                      log=lambda m: None)
    again = run_sweep([RunSpec(**base, label="second name")], tmp_path, quiet=True, load=lambda s: data,
                      log=lambda m: None)
    assert list(first["run_id"]) == list(again["run_id"])               # one run, not two
    assert list(first["label"]) == ["first name"] and list(again["label"]) == ["second name"]

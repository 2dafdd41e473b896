"""The recording callbacks: what a run writes down for the study, and the recorder's files; a
run's spec and the record it starts."""
import copy
import dataclasses
import json
import pickle

import numpy as np
import pytest
import torch

from dephn.config import ModelConfig
from dephn.experiments.recorder import Recorder
from dephn.experiments.recording import RecordRun
from dephn.errors import DephnError
from dephn.experiments.runs import RunSpec, execute, start_record
from dephn.train.config import TrainConfig
from dephn.models import build_model
from dephn.train.loop import fit
from dephn.virtual_gradient import VGSetting


def _fit(data, model, recorder, **kw):
    cfg = TrainConfig(**{**dict(epochs=3, batch_size=256, lr=0.05, sparse_lr=0.05, quiet=True, log_every=2,
                                device="cpu"), **kw})
    return fit(model, data, cfg, generator=torch.Generator().manual_seed(0), callbacks=[RecordRun(recorder)])


def test_losses_epochs_and_gates_are_recorded(tiny_data, tiny_model_factory):
    rec = Recorder(tasks=tiny_data.schema.tasks)
    res = _fit(tiny_data, tiny_model_factory(tiny_data), rec)
    steps = rec.steps_frame()
    assert steps["loss"].iloc[-1] < steps["loss"].iloc[0]
    assert set(steps.columns) >= {"step", "epoch", "loss", "loss/t0", "loss/t1"}
    np.testing.assert_allclose(steps["loss"], steps["loss/t0"] + steps["loss/t1"], rtol=1e-6)
    assert rec.epochs == res.history and len(rec.epochs) == res.epochs_run == 3
    assert rec.gate_history("gates/t0").shape == (3, 3)
    assert rec.vg_steps == [] and rec.vg_coef == {}          # no virtual gradient: nothing recorded


def test_virtual_gradient_coefficients_are_recorded_at_log_steps(tiny_data):
    torch.manual_seed(0)
    model = build_model("mmoe", tiny_data.feature_spec, ModelConfig(embed_dim=4, expert_hidden=(8,), n_experts=2,
                                                                    tower_hidden=(4,)))
    rec = Recorder(tasks=tiny_data.schema.tasks)
    _fit(tiny_data, model, rec, epochs=1, vg="add_sqrt/pearson", lr=1e-3, sparse_lr=1e-3)
    assert rec.vg_steps == [s["step"] for s in rec.steps]
    coef = rec.vg_history("gates")                             # (recorded steps, T, K), batch means
    assert coef.shape == (len(rec.vg_steps), 2, 2) and np.all((coef >= 0) & (coef <= 2))


def test_recorder_round_trip(tmp_path, tiny_data, tiny_model_factory):
    rec = Recorder(tasks=tiny_data.schema.tasks)
    _fit(tiny_data, tiny_model_factory(tiny_data), rec, epochs=2)
    rec.final["ssg/dnn"] = np.arange(4.0)
    rec.save(tmp_path)
    back = Recorder.load(tmp_path)
    assert back.steps == rec.steps and back.epochs == rec.epochs
    np.testing.assert_array_equal(back.gate_history("gates/t1"), rec.gate_history("gates/t1"))
    np.testing.assert_array_equal(back.final["ssg/dnn"], rec.final["ssg/dnn"])
    assert not list(tmp_path.glob("*.tmp"))


def test_every_virtual_gradient_run_records_its_coefficient_spread_and_probe(tiny_data, one_torch_thread):
    spec = RunSpec("mmoe", "synthetic", model_options={"embed_dim": 4, "expert_hidden": [8], "n_experts": 2},
                   train_options={"epochs": 1, "batch_size": 256, "quiet": True, "log_every": 2, "device": "cpu",
                                  "vg": "add_sqrt/pearson", "gate_optimizer": "sgd", "gate_lr": 0.05})
    rec = execute(spec, tiny_data)
    rows = rec["_recorder"].vg_stats
    assert [r["step"] for r in rows] == rec["_recorder"].vg_steps
    probed = [r for r in rows if "update_rel_change" in r]
    assert [r["step"] for r in probed] == [s for s in rec["_recorder"].vg_steps if s % 2 == 0]
    assert all(r["coef_min"] <= r["coef_mean"] <= r["coef_max"] for r in rows)
    summary = rec["vg_summary"]
    assert summary["recorded_steps"] == len(rows) and summary["update_rel_change_median"] > 0
    plain = execute(RunSpec("mmoe", "synthetic", model_options=spec.model_options,
                            train_options={**spec.train_options, "vg": None}), tiny_data)
    assert plain["vg_summary"] == {}


# --- a run's spec: configs built once, ids and records as before ------------------------------

# ids and recorded train options of specs with a virtual gradient / balancing, taken before
# TrainConfig.vg held a VGSetting (it was the "GAMMA/CORR" text): the same runs keep their ids
PINNED = [
    (dict(model="dephn", dataset="criteo-ur", seed=3, train_options={"vg": "add_sqrt/pearson"}),
     "1df72b570dd12052", "add_sqrt/pearson"),
    (dict(model="mmoe", dataset="criteo-ur", seed=1,
          train_options={"vg": "mul_cos/cosine", "balance": "upgrad", "lr": 0.01}),
     "65fc47598a8d265e", "mul_cos/cosine+upgrad"),
    (dict(model="mmoe", dataset="criteo-ur", train_options={"vg": None, "balance": "pcgrad", "task_weights": [1, 0.5]}),
     "dfd0b0827d3cdb41", "pcgrad"),
    (dict(model="ple", dataset="x", train_options={"vg": "none", "gate_optimizer": "sgd", "gate_lr": 0.05,
                                                   "max_steps": "10"}),
     "47202fcc50d4bfd1", "none (sgd gates)"),
    (dict(model="dephn", dataset="x", model_options={"gate": "mg"}, train_options={"vg": "add_cos/pearson", "quiet": True}),
     "2e3f87ed2aeba439", "add_cos/pearson"),
]


@pytest.mark.parametrize("kwargs, run_id, label", PINNED)
def test_run_ids_and_labels_are_those_of_before(kwargs, run_id, label):
    spec = RunSpec(**kwargs)
    assert spec.run_id("fp") == run_id and spec.table_label == label
    written = spec.identity("fp")["train_config"]["vg"]
    assert written is None or written == kwargs["train_options"]["vg"]


def test_a_setting_or_its_text_give_one_run():
    text = RunSpec("mmoe", "x", train_options={"vg": "add_sqrt/pearson"})
    typed = RunSpec("mmoe", "x", train_options={"vg": VGSetting("add_sqrt", "pearson")})
    assert typed.run_id("fp") == text.run_id("fp") and typed.train_config() == text.train_config()
    assert typed.train_config().vg == VGSetting("add_sqrt", "pearson")


@pytest.mark.parametrize("kwargs, message", [
    (dict(train_options={"lr": "nan"}), "learning rates must be finite and > 0"),
    (dict(train_options={"vg": "add_sqrt"}), "virtual-gradient setting 'add_sqrt'"),
    (dict(train_options={"bogus": 1}), "unknown training option(s) ['bogus']"),
    (dict(model_options={"embed_dim": 0}), "embed_dim must be >= 1"),
    (dict(seed=-1), "seed must be an integer >= 0, got -1"),
])
def test_a_bad_option_fails_when_the_spec_is_made(kwargs, message):
    with pytest.raises(DephnError) as info:
        RunSpec("mmoe", "x", **kwargs)
    assert message in str(info.value)


def test_a_spec_builds_its_configs_once_and_they_travel_with_it():
    spec = RunSpec("mmoe", "x", seed=2, model_options={"n_experts": 2},
                   train_options={"vg": "add_sqrt/pearson", "lr": 0.01}, data_options={"rows": 10})
    assert spec.train_config() is spec.train_config() and spec.model_config() is spec.model_config()
    assert set(spec.__dict__) == {f.name for f in dataclasses.fields(RunSpec)}     # only the fields
    for again in (pickle.loads(pickle.dumps(spec)), copy.deepcopy(spec), dataclasses.replace(spec),
                  RunSpec(**spec.__dict__)):
        assert again == spec and again.run_id("fp") == spec.run_id("fp")
        assert again.train_config() == spec.train_config() and again.model_config() == spec.model_config()
    assert dataclasses.replace(spec, train_options={"lr": 0.1}).train_config().lr == 0.1
    assert spec != RunSpec("mmoe", "x", seed=3, model_options={"n_experts": 2},
                           train_options={"vg": "add_sqrt/pearson", "lr": 0.01}, data_options={"rows": 10})


def test_the_record_writes_the_setting_as_text(tiny_data, tiny_model_factory):
    spec = RunSpec("mmoe", "synthetic", train_options={"vg": VGSetting("add_cos", "cosine"), "balance": "upgrad"})
    record = start_record(spec, tiny_data, tiny_model_factory(tiny_data))
    assert record["train_options"]["vg"] == "add_cos/cosine" and record["train_options"]["balance"] == "upgrad"
    assert record["label"] == "add_cos/cosine+upgrad"
    json.dumps(record)

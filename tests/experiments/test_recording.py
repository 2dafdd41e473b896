"""The recording callbacks: what a run writes down for the study, and the recorder's files."""
import numpy as np
import torch

from dephn.config import ModelConfig
from dephn.experiments.recorder import Recorder
from dephn.experiments.recording import RecordRun
from dephn.experiments.runs import RunSpec, execute
from dephn.train.config import TrainConfig
from dephn.models import build_model
from dephn.train.loop import fit


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

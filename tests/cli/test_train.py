"""`dephn train` on the embedded default data, for every registered model."""
import json

import pytest

from dephn.cli import main
from dephn.models import model_names

ROWS = ["--dataset", "criteo-ur", "--rows", "3000", "--epochs", "1", "--max-steps", "4",
        "--batch-size", "256", "--set", "embed_dim=4", "--set", "expert_hidden=[16]",
        "--set", "dnn_hidden=[16]", "--set", "tower_hidden=[8]", "--set", "cin_layers=[8]"]


@pytest.mark.parametrize("name", model_names())
def test_every_model_trains_from_the_command_line(name, tmp_path, capsys):
    rc = main(["train", "--model", name, *ROWS, "--out", str(tmp_path), "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["model"] == name and out["tasks"] == ["task1", "task2"]
    for split in ("valid", "test"):
        assert set(out["metrics"][split]) == {"task1", "task2"}
        for m in out["metrics"][split].values():
            assert 0.0 <= m["auc"] <= 1.0 and m["logloss"] > 0
    assert out["timing"]["samples_per_s"] > 0
    assert (tmp_path / "records" / f"{out['run_id']}.json").exists()


def test_virtual_gradient_flag_and_rerun_records_once(tmp_path, capsys):
    args = ["train", "--model", "dephn", *ROWS, "--vg", "add_sqrt/pearson", "--out", str(tmp_path), "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["train_options"]["vg"] == "add_sqrt/pearson" and "virtual_gradient" not in out["model_options"]
    assert main(args) == 0
    assert len(list((tmp_path / "records").glob("*.json"))) == 1


@pytest.mark.parametrize("args, message", [
    (["--model", "nope"], "unknown model 'nope'"),
    (["--model", "dnn", "--set", "bogus=1"], "unknown model option(s) ['bogus']"),
    (["--model", "dnn", "--vg", "add_sqrt/spearman"], "expected none or GAMMA/CORR"),
    (["--model", "dnn", "--vg", "all"], "all names every setting, in sweeps"),
    (["--model", "dnn", "--vg", "add_sqrt/pearson"], "'dnn' has no gates for the virtual gradient"),
    (["--model", "mmoe", "--set", "expert_hidden=abc"], "expert_hidden='abc': expected a list of integers"),
    (["--model", "mmoe", "--set", "embed_dim=x"], "embed_dim='x': expected an integer"),
    (["--model", "mmoe", "--set", "noequals"], "--set 'noequals': expected KEY=VALUE"),
    (["--model", "mmoe", "--threads", "0"], "--threads must be >= 1"),
    (["--model", "mmoe", "--on-bad-lines", "skip", "--data-option", "on_bad_lines=skip"],
     "on_bad_lines given both as a flag and as --data-option"),
    (["--model", "mmoe", "--train", "a.csv"], "--train, --valid and --test go together"),
    (["--model", "dnn", "--dataset", "criteo", "--data", "/no/such/file.txt"], "not found"),
    (["--model", "dnn", "--epochs", "0"], "epochs must be >= 1"),
])
def test_user_errors_are_one_line_and_exit_1(args, message, tmp_path, capsys):
    assert main(["train", *args, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dephn: error:") and message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("spelling", ["64", "64,", "[64]"])
def test_list_options_in_three_spellings(spelling, tmp_path, capsys):
    assert main(["train", "--model", "mmoe", *ROWS, "--set", f"expert_hidden={spelling}", "--threads", "1",
                 "--out", str(tmp_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["model_options"]["expert_hidden"] == [64]


def test_models_lists_every_model(capsys):
    assert main(["models"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == model_names()


def test_balance_flag_composes_with_the_virtual_gradient(tmp_path, capsys):
    assert main(["train", "--model", "mmoe", *ROWS, "--balance", "upgrad", "--vg", "add_sqrt/pearson",
                 "--out", str(tmp_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["train_options"]["balance"] == "upgrad" and out["train_options"]["vg"] == "add_sqrt/pearson"
    assert out["vg_summary"]["recorded_steps"] >= 1
    assert main(["train", "--model", "dnn", *ROWS, "--balance", "upgrad", "--out", str(tmp_path)]) == 1
    assert "nothing shared to balance" in capsys.readouterr().err

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
    (["--model", "dnn", "--vg", "add_sqrt/pearson"], "'dnn' has no gates for the virtual gradient"),
    (["--model", "mmoe", "--set", "expert_hidden=abc"], "expert_hidden='abc': expected a list of integers"),
    (["--model", "mmoe", "--set", "embed_dim=x"], "embed_dim='x': expected an integer"),
    (["--model", "mmoe", "--set", "noequals"], "--set 'noequals': expected KEY=VALUE"),
    (["--model", "mmoe", "--threads", "0"], "argument --threads: must be >= 1, got 0"),
    (["--model", "mmoe", "--on-bad-lines", "skip", "--data-option", "on_bad_lines=skip"],
     "on_bad_lines given both as a flag and as --data-option"),
    (["--model", "mmoe", "--train", "a.csv"], "argument --train: file not found: a.csv"),
    (["--model", "mmoe", "--train", __file__], "--train, --valid and --test go together"),
    (["--model", "dnn", "--dataset", "criteo", "--data", "/no/such/file.txt"], "not found"),
    # options that are only KEY=VALUE text until TrainConfig reads them: refused when the run's spec is made
    (["--model", "mmoe", "--train-set", "weight_decay=-1"], "weight_decay must be finite and >= 0, got -1.0"),
    (["--model", "mmoe", "--train-set", "task_weights=1,-0.5"], "task_weights must be finite and >= 0"),
    (["--model", "mmoe", "--train-set", "lr=nan"], "learning rates must be finite and > 0, got lr=nan"),
    (["--model", "mmoe", "--train-set", "max_steps=0"], "max_steps must be >= 1 (or none), got 0"),
    (["--model", "mmoe", "--train-set", "vg=add_sqrt"], "virtual-gradient setting 'add_sqrt'"),
    (["--model", "mmoe", "--train-set", "balance=nope"], "balance='nope': expected one of none"),
])
def test_user_errors_are_one_line_and_exit_1(args, message, tmp_path, capsys):
    assert main(["train", *args, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dephn: error:") and message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


NO_DATA = ["--dataset", "criteo", "--data", "/no/such/file.txt"]     # a value error must come before this one


@pytest.mark.parametrize("args, message", [
    (["--vg", "add_sqrt/spearman"], "argument --vg: virtual-gradient setting 'add_sqrt/spearman': expected none"),
    (["--vg", "all"], "all names every setting, in sweeps"),
    (["--vg", ""], "argument --vg: virtual-gradient setting ''"),
    (["--balance", ""], "argument --balance: balancing method '': expected one of none, upgrad"),
    (["--balance", "nope"], "argument --balance: balancing method 'nope'"),
    (["--lr", "nan"], "argument --lr: must be a finite number > 0, got 'nan'"),
    (["--lr", "inf"], "argument --lr: must be a finite number > 0, got 'inf'"),
    (["--lr", "0"], "argument --lr: must be a finite number > 0, got '0'"),
    (["--sparse-lr", "-0.001"], "argument --sparse-lr: must be a finite number > 0"),
    (["--max-steps", "0"], "argument --max-steps: must be >= 1, got 0"),
    (["--max-steps", "-5"], "argument --max-steps: must be >= 1, got -5"),
    (["--epochs", "0"], "argument --epochs: must be >= 1, got 0"),
    (["--batch-size", "x"], "argument --batch-size: expected an integer, got 'x'"),
    (["--patience", "-1"], "argument --patience: must be >= 0, got -1"),
    (["--seed", "-1"], "argument --seed: must be >= 0, got -1"),
])
def test_bad_flag_values_exit_1_with_one_line_before_data_loads(args, message, tmp_path, capsys):
    assert main(["train", "--model", "mmoe", *NO_DATA, *args, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dephn: error: ") and message in err[0]
    assert err[0].endswith("(see dephn train -h)")


@pytest.mark.parametrize("args, message", [
    (["--vg", ""], "argument --vg: virtual-gradient setting ''"),
    (["--vg", "none,add_sqrt"], "argument --vg: virtual-gradient setting 'add_sqrt'"),
    (["--balance", ""], "argument --balance: balancing method ''"),
    (["--balance", "none,nope"], "argument --balance: balancing method 'nope'"),
    (["--seeds", "-1"], "argument --seeds: seeds '-1': expected e.g. 0,1,2 or 0-4"),
    (["--lr", "nan"], "argument --lr: must be a finite number > 0"),
])
def test_sweep_refuses_the_same_bad_values(args, message, tmp_path, capsys):
    assert main(["sweep", "--models", "mmoe", *NO_DATA, *args, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dephn: error: ") and message in err[0]


def test_a_sweep_with_no_run_is_an_error_not_zero_runs(tmp_path, capsys):
    assert main(["sweep", "--models", "dnn", *NO_DATA, "--vg", "all", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dephn: error: no run in this grid: models dnn")


def test_one_train_run_parses_its_setting_once_and_builds_its_configs_once(tmp_path, capsys, monkeypatch):
    """`dephn train --vg ...`: the flag parses the setting, the run's spec builds its TrainConfig and
    ModelConfig; nothing downstream (check, identity, record, training) parses or builds again."""
    from dephn.config import ModelConfig
    from dephn.train.config import TrainConfig
    from dephn.virtual_gradient import VGSetting

    counts = {"parse": 0, "train": 0, "model": 0}
    parse = VGSetting.parse.__func__

    def counting_parse(cls, text):
        counts["parse"] += 1
        return parse(cls, text)

    def counting(cls, key):
        post = cls.__post_init__

        def wrapped(self):
            counts[key] += 1
            post(self)
        return wrapped

    monkeypatch.setattr(VGSetting, "parse", classmethod(counting_parse))
    monkeypatch.setattr(TrainConfig, "__post_init__", counting(TrainConfig, "train"))
    monkeypatch.setattr(ModelConfig, "__post_init__", counting(ModelConfig, "model"))
    assert main(["train", "--model", "dephn", *ROWS, "--vg", "add_sqrt/pearson", "--balance", "upgrad",
                 "--out", str(tmp_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["train_options"]["vg"] == "add_sqrt/pearson" and out["train_options"]["balance"] == "upgrad"
    assert counts == {"parse": 1, "train": 1, "model": 1}


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


@pytest.mark.parametrize("args, message", [
    (["--model", "mmoe", "--dataset", "criteo-ur", "--data", "/no/such/file.txt"],
     "criteo-ur: Criteo file not found: /no/such/file.txt"),
    (["--model", "mmoe", "--dataset", "criteo-r", "--data", "{folder}"],
     "(a folder, but no built table: its summary.json is missing)"),
    (["--model", "mmoe", "--dataset", "criteo", "--rows", "3"],
     "3 row(s) leave 3 training and 0 validation rows after the split"),
    (["--model", "dephn", *NO_DATA, "--set", "attn_heads=3"],       # found before the data loads
     "embed_dim 16 is not divisible by attn_heads 3"),
])
def test_bad_data_and_model_settings_are_one_line_errors(args, message, tmp_path, capsys):
    args = [a.replace("{folder}", str(tmp_path)) for a in args]
    assert main(["train", *args, "--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dephn: error:") and message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_record_on_generated_data_carries_the_ground_truth_measure(tmp_path):
    assert main(["train", "--model", "mmoe", *ROWS, "--cache-dir", str(tmp_path / "c"), "--out", str(tmp_path)]) == 0
    record = json.loads(next((tmp_path / "records").glob("*.json")).read_text())
    for task in ("task1", "task2"):
        rho = record["metrics"]["test"][task]["truth_spearman"]
        assert -1 <= rho <= 1                        # a rank correlation, recorded beside AUC

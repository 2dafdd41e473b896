"""A user's own table end to end: `dephn data schema` -> edit nothing -> `dephn train --dataset csv`,
and each bad input one line with a non-zero exit."""
from __future__ import annotations

import json

import pytest

from dephn.cli import main
from tests.data.test_infer import COLUMNS, mixed_csv

TRAIN = ["--epochs", "1", "--batch-size", "64", "--set", "embed_dim=4", "--set", "expert_hidden=8",
         "--set", "tower_hidden=4", "--set", "n_experts=2", "--threads", "1"]


def test_schema_then_train_uses_every_categorical_column(tmp_path, capsys):
    data = mixed_csv(tmp_path, n=600)
    spec = tmp_path / "mixed.spec.json"
    assert main(["data", "schema", "--data", str(data), "--labels", "click,buy", "--out", str(spec)]) == 0
    printed = capsys.readouterr().out
    for column in COLUMNS:                                     # one explained line per column
        assert f"{column!r}: " in printed
    assert "next: dephn train" in printed
    written = json.loads(spec.read_text())
    assert written["sparse"] == "rest"

    out = tmp_path / "runs"
    code = main(["train", "--model", "mmoe", "--dataset", "csv", "--data", str(data), "--data-option",
                 f"spec={spec}", "--on-bad-lines", "skip", "--split-method", "random", "--split-seed", "3",
                 *TRAIN, "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    rec = json.loads(captured.out.strip().splitlines()[-1])
    assert rec["tasks"] == ["click", "buy"]
    for m in rec["metrics"]["test"].values():
        assert 0.0 <= m["auc"] <= 1.0
    assert "skipped 1 malformed line(s)" in captured.err and "line 21" in captured.err
    assert rec["data_meta"]["skipped_lines"] == 1 and "line 21" in rec["data_meta"]["skipped_examples"][0]
    assert rec["data_meta"]["split"]["method"] == "random"
    assert main(["data", "prepare", "--dataset", "csv", "--data", str(data), "--data-option", f"spec={spec}",
                 "--on-bad-lines", "skip", "--cache-dir", str(tmp_path / "cache")]) == 0
    summary = json.loads(capsys.readouterr().out)
    n_categorical = len(COLUMNS) - 2 - len(written["dense"]) - len(written.get("ignore", []))
    assert summary["n_sparse"] == n_categorical and summary["n_dense"] == len(written["dense"])


@pytest.mark.parametrize("make_args, message", [
    (lambda d, s: ["data", "schema", "--data", str(d), "--labels", "click,nope"], "nope"),
    (lambda d, s: ["data", "schema", "--data", str(d), "--labels", "click,city"], "city"),
    (lambda d, s: ["train", "--model", "mmoe", "--dataset", "csv", "--data", str(d), "--data-option",
                   f"spec={s}", "--set", "expert_hidden=64,x"], "expert_hidden='64,x': expected a list of integers"),
    (lambda d, s: ["data", "prepare", "--dataset", "csv", "--data", str(d), "--data-option", f"spec={s}",
                   "--split", "0.8,0.1,0.1", "--data-option", "split=[0.5,0.25,0.25]", "--cache-dir", str(d.parent)],
     "split given both as a flag and as --data-option"),
    (lambda d, s: ["train", "--model", "mmoe", "--dataset", "csv", "--data", str(d), "--data-option",
                   f"spec={s}", *TRAIN], "line 21"),                     # malformed line, not skipped
])
def test_bad_input_is_one_line_and_exit_1(make_args, message, tmp_path, capsys):
    data = mixed_csv(tmp_path)
    spec = tmp_path / "spec.json"
    assert main(["data", "schema", "--data", str(data), "--labels", "click,buy", "--out", str(spec)]) == 0
    capsys.readouterr()
    args = make_args(data, spec)
    args += ["--out", str(tmp_path / "runs")] if args[0] == "train" else []
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("dephn: error:") and message in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1

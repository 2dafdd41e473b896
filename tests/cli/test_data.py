"""`dephn data ...` through the real dispatcher: return codes, JSON output, one-line errors."""
from __future__ import annotations

import json

import pytest

from dephn.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["data", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_make_criteo_writes_the_same_bytes_for_a_seed(tmp_path, capsys):
    code, out, _ = run(capsys, "make-criteo", "--rows", "500", "--seed", "2", "--out", str(tmp_path / "a.txt"))
    assert code == 0
    summary = json.loads(out)
    assert summary["rows"] == 500 and summary["path"] == str(tmp_path / "a.txt")
    run(capsys, "make-criteo", "--rows", "500", "--seed", "2", "--out", str(tmp_path / "b.txt"))
    assert (tmp_path / "a.txt").read_bytes() == (tmp_path / "b.txt").read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []   # no temp left


def test_prepare_prints_the_summary_and_caches(generated_criteo, tmp_path, capsys):
    args = ["prepare", "--dataset", "criteo", "--data", str(generated_criteo(3000)),
            "--cache-dir", str(tmp_path), "--split", "0.5,0.25,0.25", "--min-count", "1"]
    code, out, err = run(capsys, *args)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["tasks"] == ["click"] and len(summary["encoding"]["vocab_sizes"]) == 26
    assert sum(summary["rows"].values()) == 3000 and summary["split"]["fractions"] == [0.5, 0.25, 0.25]
    code, again, _ = run(capsys, *args)
    assert json.loads(again)["fingerprint"] == summary["fingerprint"]


def test_prepare_with_own_split_files(criteo_sample, tmp_path, capsys):
    code, out, err = run(capsys, "prepare", "--dataset", "criteo", "--train", str(criteo_sample / "train.txt"),
                         "--valid", str(criteo_sample / "dev.txt"), "--test", str(criteo_sample / "test.txt"),
                         "--cache-dir", str(tmp_path))
    assert code == 0, err
    assert json.loads(out)["rows"] == {"train": 7200, "valid": 409, "test": 391}


@pytest.mark.parametrize("argv, message", [
    (["prepare", "--dataset", "nope"], "unknown data set 'nope'; known: criteo"),
    (["prepare", "--dataset", "criteo", "--split", "0.5,0.5"], "split fractions must be three numbers"),
    (["prepare", "--dataset", "criteo", "--split", "a,b,c"], "--split must be three comma-separated numbers"),
    (["prepare", "--dataset", "criteo", "--train", "x"], "argument --train: file not found: x"),
    (["prepare", "--dataset", "criteo", "--train", __file__], "--train, --valid and --test go together"),
    (["prepare", "--dataset", "criteo", "--option", "novalue"], "--data-option 'novalue': expected KEY=VALUE"),
    (["build", "--dataset", "criteo-ur", "--source", "missing.txt", "--out", "o"], "argument --source: file not found: missing.txt"),
    (["make-criteo", "--rows", "0", "--out", "x.txt"], "argument --rows: must be >= 1, got 0"),
])
def test_user_errors_are_one_line_without_traceback(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert err.startswith("dephn: error: ") and message in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_bad_line_error_names_file_and_line(criteo_lines, write_text, tmp_path, capsys):
    lines = criteo_lines[:20]
    lines[12] = lines[12].replace("\t", " ", 1)
    path = write_text("broken.txt", lines)
    code, _, err = run(capsys, "prepare", "--dataset", "criteo", "--data", str(path), "--cache-dir", str(tmp_path))
    assert code == 1 and f"{path}, line 13: expected 40 tab-separated fields" in err
    code, out, _ = run(capsys, "prepare", "--dataset", "criteo", "--data", str(path), "--cache-dir", str(tmp_path),
                       "--on-bad-lines", "skip")
    assert code == 0 and json.loads(out)["skipped_lines"] == 1


def test_build_refuses_a_non_empty_out(generated_criteo, tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    code, _, err = run(capsys, "build", "--dataset", "criteo-r", "--source", str(generated_criteo(3000)),
                       "--out", str(tmp_path / "out"))
    assert code == 1 and "already exists" in err
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


@pytest.mark.usefixtures("one_torch_thread")
def test_build_prints_the_summary(generated_criteo, tmp_path, capsys):
    code, out, err = run(capsys, "build", "--dataset", "criteo-ur", "--source", str(generated_criteo(3000)),
                         "--out", str(tmp_path / "ur"), "--teacher-epochs", "1")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["dataset"] == "criteo-ur" and summary["pearson_continuous"] == pytest.approx(0.5288, abs=0.005)
    assert (tmp_path / "ur" / "table.parquet").is_file() and (tmp_path / "ur" / "summary.json").is_file()


def test_list(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0 and "criteo-ur" in json.loads(out)

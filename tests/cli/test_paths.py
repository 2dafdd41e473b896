"""Paths and data-set combinations that cannot work are refused where the flags are parsed: one line,
exit 1, before any data loads or any run trains (each once failed after training or with a traceback)."""
import os
from pathlib import Path

import pytest

from dephn.cli import main

NO_DATA = ["--dataset", "criteo", "--data", "/no/such/file.txt"]      # reached only if the flags pass
TRAIN = ["train", "--model", "mmoe", *NO_DATA]
SWEEP = ["sweep", "--models", "mmoe", "--seeds", "0", *NO_DATA]
STUDY = ["study", "--profile", "smoke", "--plan"]


def one_error(capsys, argv) -> str:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and err.startswith("dephn: error: ")
    return err


@pytest.fixture
def paths(tmp_path, monkeypatch):
    """{file}: an existing file; {dir}: an empty folder; {ro}: a folder this process may not write in
    (os.access says so, as it does for a user without rights; tests run as root, which may write anywhere)."""
    (tmp_path / "file").write_text("x")
    (tmp_path / "dir").mkdir()
    (tmp_path / "ro").mkdir()
    access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: os.path.basename(p) != "ro" and access(p, mode, **kw))
    monkeypatch.chdir(tmp_path)
    return lambda argv: [a.format(file="file", dir="dir", ro="ro") for a in argv]


OUT_DIR = [("{file}", "file is a file, not a folder"), ("{file}/sub", "file/sub: file is a file, not a folder"),
           ("", "expected a path, got ''"), ("{ro}", "ro: cannot write in ro (read-only)"),
           ("{ro}/new/deeper", "ro/new/deeper: cannot write in ro (read-only)")]


@pytest.mark.parametrize("command", [TRAIN, SWEEP, STUDY, ["data", "build", "--dataset", "criteo-r", "--source",
                                                         "{file}"]], ids=["train", "sweep", "study", "build"])
@pytest.mark.parametrize("out, message", OUT_DIR)
def test_an_out_folder_that_cannot_be_written_is_refused_first(command, out, message, paths, capsys):
    err = one_error(capsys, paths([*command, "--out", out]))
    assert f"argument --out: {message}" in err


@pytest.mark.parametrize("command", [[*TRAIN, "--out", "{dir}"], ["data", "prepare", *NO_DATA]],
                         ids=["train", "prepare"])
@pytest.mark.parametrize("cache, message", OUT_DIR)
def test_a_cache_folder_that_cannot_be_written_is_refused_first(command, cache, message, paths, capsys):
    err = one_error(capsys, paths([*command, "--cache-dir", cache]))
    assert f"argument --cache-dir: {message}" in err


@pytest.mark.parametrize("command", [["data", "make-criteo", "--rows", "10"],
                                     ["data", "schema", "--data", "{file}", "--labels", "a"]],
                         ids=["make-criteo", "schema"])
@pytest.mark.parametrize("out, message", [("{dir}", "dir is a folder, not a file"), ("", "expected a path, got ''"),
                                          ("{file}/x", "file/x: file is a file, not a folder"),
                                          ("{ro}/x", "ro/x: cannot write in ro (read-only)")])
def test_an_out_file_that_cannot_be_written_is_refused_first(command, out, message, paths, capsys):
    err = one_error(capsys, paths([*command, "--out", out]))
    assert f"argument --out: {message}" in err


def test_schema_refuses_a_default_spec_path_it_cannot_write(paths, capsys, tmp_path):
    (tmp_path / "t.csv").write_text("a,b\n1,x\n0,y\n")
    (tmp_path / "t.csv.spec.json").mkdir()               # where the spec would go
    err = one_error(capsys, ["data", "schema", "--data", "t.csv", "--labels", "a"])
    assert "t.csv.spec.json is a folder, not a file" in err


@pytest.mark.parametrize("spec, message", [("", "expected a path, got ''"), ("{dir}", "dir is a folder, not a file"),
                                           ("nope.json", "file not found: nope.json")])
def test_a_spec_option_that_is_no_file_is_refused(spec, message, paths, capsys):
    Path("t.csv").write_text("a,b\n1,x\n0,y\n")
    err = one_error(capsys, paths(["train", "--model", "mmoe", "--dataset", "csv", "--data", "t.csv",
                                   "--data-option", f"spec={spec}", "--out", "{dir}"]))
    assert f"--data-option spec: {message}" in err


def test_a_sweep_refuses_an_unknown_model_before_training_any(tmp_path, capsys, monkeypatch):
    from dephn.cli import sweep
    monkeypatch.setattr(sweep, "run_sweep", lambda *a, **k: pytest.fail("a run trained"))
    err = one_error(capsys, ["sweep", "--models", "mmoe,foo", "--rows", "200", "--max-steps", "1", "--seeds", "0",
                             "--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "out")])
    assert "unknown model 'foo'" in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("flags", [["--split", "0.5,0.25,0.25"], ["--data-option", "split=0.5,0.25,0.25"],
                                   ["--split-method", "hash"], ["--split-seed", "3"]])
@pytest.mark.parametrize("command", ["train", "prepare"])
def test_own_split_files_refuse_a_split(command, flags, tmp_path, capsys):
    own = [arg for s in ("train", "valid", "test") for arg in (f"--{s}", __file__)]
    argv = ["train", "--model", "mmoe"] if command == "train" else ["data", "prepare"]
    err = one_error(capsys, [*argv, "--dataset", "criteo", *own, *flags, "--cache-dir", str(tmp_path)])
    assert "the --train/--valid/--test files are the split" in err

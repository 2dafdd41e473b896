"""Every flag of every command, fed bad values: a wrong type, a negative, zero, the empty text, an unknown
choice, a missing path, a file where a folder belongs. Each answer is exit 0 or one clean line
(`dephn: error: ...`, exit 1), never a traceback; where the value is wrong, always the clean line.

The commands and flags come from the parser itself (argparse's subparsers, walked), so a new flag is
fuzzed without a line here. A value may succeed only where MAY_SUCCEED says so (a seed of 0, a folder
that is made): a new flag that takes any garbage without a word fails here until it is listed, or checked.

Exit codes: 1 for every bad input, argparse's included (`dephn.cli.args.Parser`); 2 stays only for a
command line naming no known command (`dephn`, `dephn bogus`), which prints the usage.
"""
from __future__ import annotations

import argparse

import pytest

from dephn.cli import build_parser, main
from dephn.data.generator import write_criteo

# A small valid command line per command, so that one flag at a time is wrong; what runs trains
# one step on 200 generated rows. {tmp}: the case's folder, {src}: a Criteo file, {csv}: a CSV table.
SMALL = ["--rows", "200", "--max-steps", "1", "--epochs", "1", "--batch-size", "64", "--set", "embed_dim=4",
         "--set", "expert_hidden=[8]", "--set", "tower_hidden=[4]", "--cache-dir", "{cache}", "--quiet"]
BASE = {
    "data make-criteo": ["--rows", "50", "--out", "{tmp}/m.txt"],
    "data build": ["--dataset", "criteo-ur", "--source", "{src}", "--out", "{tmp}/built", "--teacher-epochs", "1"],
    "data prepare": ["--dataset", "criteo", "--data", "{src}", "--cache-dir", "{cache}"],
    "data schema": ["--data", "{csv}", "--labels", "click", "--out", "{tmp}/s.json"],
    "data list": [],
    "train": ["--model", "mmoe", *SMALL, "--out", "{tmp}/runs"],
    "models": [],
    "sweep": ["--models", "mmoe", "--seeds", "0", *SMALL, "--out", "{tmp}/runs"],
    "results": ["--out", "{tmp}"],
    "study": ["--profile", "smoke", "--plan", "--out", "{tmp}/study"],
    "report": ["--out", "{tmp}"],
}
BAD = {"type": "abc", "negative": "-1", "zero": "0", "empty": "", "choice": "no-such-choice",
       "missing": "missing/path", "file": "afile"}       # run in the case's own folder, where afile is a file

# Values that may succeed (the flag takes them), by command and flag; all others must be the clean error.
ANY_FOLDER = {"type", "negative", "zero", "choice", "missing"}  # a folder name, made if missing
ANY_FILE = {"type", "negative", "zero", "missing", "file"}      # a file name, replaced if there
MAY_SUCCEED = {
    "--seed": {"zero"}, "--split-seed": {"zero"}, "--min-count": {"zero"}, "--patience": {"zero"},
    "--seeds": {"zero"}, "data build --noise": {"zero"}, "data schema --dense": {"empty"},  # no dense column
    "--out": ANY_FOLDER, "--cache-dir": ANY_FOLDER, "results --out": set(), "report --out": set(),
    "data make-criteo --out": ANY_FILE, "data schema --out": ANY_FILE, "study --aliccp": {"file"},
    "study --criteo": {"file"}, "study --only": {"zero"},      # --plan reads no data; notebooks 0*
    "--ray-address": {"empty"},          # no address: a local Ray instance
}


def commands(parser: argparse.ArgumentParser, prefix: str = ""):
    """(command, parser) of every leaf command, through nested subparsers."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, f"{prefix} {name}".strip())
            return
    yield prefix, parser


def value_flags(parser: argparse.ArgumentParser):
    """The documented flags that take a value (not --help, not on/off switches)."""
    for action in parser._actions:
        if action.option_strings and action.nargs != 0 and action.help != argparse.SUPPRESS:
            yield action


CASES = [(cmd, action.option_strings[0], kind) for cmd, parser in commands(build_parser())
         for action in value_flags(parser) for kind in BAD
         if kind != "choice" or action.choices is not None]


def may_succeed(cmd: str, flag: str, kind: str) -> bool:
    return kind in MAY_SUCCEED.get(f"{cmd} {flag}", MAY_SUCCEED.get(flag, set()))


def without(argv: list[str], flag: str) -> list[str]:
    """`argv` less every occurrence of `flag` and its value."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == flag:
            skip = True
        else:
            out.append(arg)
    return out


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz-inputs")
    write_criteo(root / "src.txt", 300, 0)
    (root / "t.csv").write_text("click,price,city\n" + "".join(f"{i % 2},{i},c{i % 3}\n" for i in range(40)))
    return {"src": str(root / "src.txt"), "csv": str(root / "t.csv"), "cache": str(root / "cache")}


def test_every_command_has_a_small_valid_command_line():
    assert sorted(cmd for cmd, _ in commands(build_parser())) == sorted(BASE)


@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("cmd, flag, kind", CASES, ids=[" ".join(c) for c in CASES])
def test_a_bad_flag_value_is_one_clean_line_or_a_success(cmd, flag, kind, inputs, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)                 # relative names land here, not in the checkout
    (tmp_path / "afile").write_text("x")
    fill = {**inputs, "tmp": str(tmp_path)}
    argv = [*cmd.split(), *without(BASE[cmd], flag), flag, BAD[kind]]
    argv = [a.format(**fill) for a in argv]
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    if code == 0 and may_succeed(cmd, flag, kind):
        return
    assert code == 1, f"{' '.join(argv)!r} exited {code}: {err[-300:]}"
    assert lines and lines[-1].startswith("dephn: error: ") and len(lines) <= 2, err

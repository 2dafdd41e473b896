"""The command line's shared pieces: seeds, KEY=VALUE options, data flags, the profile default."""
import argparse

import pytest

from dephn.cli.args import (DEFAULT_PROFILE, Parser, add_data_args, balance_method, balance_methods, data_options,
                            non_negative_int, parse_seeds, parse_set, positive_float, positive_int, seed_list,
                            vg_setting, vg_settings)
from dephn.errors import DephnError
from dephn.study.context import Study
from dephn.study.profiles import DEFAULT_PROFILE as STUDY_DEFAULT
from dephn.virtual_gradient import VGSetting
from tests.conftest import REPO


@pytest.mark.parametrize("text, seeds", [("0,1,2", [0, 1, 2]), ("0-4", [0, 1, 2, 3, 4]), ("3", [3]),
                                         ("0-2,7", [0, 1, 2, 7]), ("1,1,0-1", [1, 0])])
def test_seeds(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["a", "0-", "", "1,,2"])
def test_bad_seeds(text):
    with pytest.raises(DephnError, match="expected e.g. 0,1,2 or 0-4"):
        parse_seeds(text)


def test_a_backwards_seed_range_says_so():
    with pytest.raises(DephnError, match=r"seeds '3-1': the range 3-1 runs backwards \(write 1-3\)"):
        parse_seeds("3-1")


@pytest.mark.parametrize("text", ["0.9,0,0.1", "0.9,0.1,0", "0,0.5,0.5", "0.9,nan,0.1"])
def test_a_split_without_validation_or_test_rows_is_refused(text):
    from dephn.cli.args import _fractions
    with pytest.raises(DephnError, match="every fraction .* must be > 0"):
        _fractions(text, "--split")


def test_set_keeps_text_for_the_config_to_convert():
    assert parse_set(["a=64", "b=64,32", "c=[64,32]", "d=add_sqrt/pearson", "e-f=true"]) == {
        "a": 64, "b": "64,32", "c": [64, 32], "d": "add_sqrt/pearson", "e_f": True}


def test_data_flags_and_options_merge_into_one_set(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.json").write_text("{}")
    p = argparse.ArgumentParser()
    add_data_args(p)
    args = p.parse_args(["--split", "0.7,0.2,0.1", "--split-seed", "3", "--on-bad-lines", "skip",
                         "--data-option", "spec=s.json"])
    assert data_options(args) == {"split": [0.7, 0.2, 0.1], "split_seed": 3, "on_bad_lines": "skip",
                                  "spec": "s.json"}


def test_one_profile_default_everywhere():
    assert DEFAULT_PROFILE == STUDY_DEFAULT
    params = (REPO / "notebooks" / "src" / "_params.txt").read_text()
    assert f'profile = "{DEFAULT_PROFILE}"' in params
    assert "environ" not in params
    assert Study.open().profile.name == DEFAULT_PROFILE


# --- flag types: text -> a typed value where the flag is parsed, argparse's one-line error otherwise

def test_flag_types_give_typed_values():
    assert positive_int("3") == 3 and non_negative_int("0") == 0 and positive_float("1e-3") == 1e-3
    assert vg_setting("add_sqrt/pearson") == VGSetting("add_sqrt", "pearson") and vg_setting("none") is None
    assert vg_settings("none,mul_cos/cosine") == [None, VGSetting("mul_cos", "cosine")]
    assert balance_method("none") == "none" and balance_methods("none,upgrad") == ["none", "upgrad"]
    assert seed_list("0-2") == [0, 1, 2]


@pytest.mark.parametrize("convert, text", [
    (positive_int, "0"), (positive_int, "-1"), (positive_int, "1.5"), (non_negative_int, "-1"),
    (positive_float, "nan"), (positive_float, "inf"), (positive_float, "-inf"), (positive_float, "0"),
    (positive_float, "x"), (vg_setting, ""), (vg_setting, "add_sqrt"), (vg_settings, ""),
    (vg_settings, "none,"), (balance_method, ""), (balance_method, "nope"), (balance_methods, "upgrad,"),
    (seed_list, "-1"), (seed_list, ""),
])
def test_flag_types_refuse_bad_text(convert, text):
    with pytest.raises(argparse.ArgumentTypeError) as info:
        convert(text)
    assert "\n" not in str(info.value)


def test_a_bad_flag_value_is_one_line_and_exit_1_before_the_command_runs(capsys):
    p = Parser(prog="dephn x")
    p.add_argument("--vg", type=vg_setting)
    p.add_argument("--lr", type=positive_float)
    with pytest.raises(SystemExit) as stop:
        p.parse_args(["--lr", "nan"])
    assert stop.value.code == 1
    assert capsys.readouterr().err.splitlines() == [
        "dephn: error: argument --lr: must be a finite number > 0, got 'nan' (see dephn x -h)"]

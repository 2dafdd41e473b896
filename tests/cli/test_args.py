"""The command line's shared pieces: seeds, KEY=VALUE options, data flags, the profile default."""
import argparse

import pytest

from dephn.cli.args import DEFAULT_PROFILE, add_data_args, data_options, parse_seeds, parse_set
from dephn.errors import DephnError
from dephn.study.context import Study
from dephn.study.profiles import DEFAULT_PROFILE as STUDY_DEFAULT
from tests.conftest import REPO


@pytest.mark.parametrize("text, seeds", [("0,1,2", [0, 1, 2]), ("0-4", [0, 1, 2, 3, 4]), ("3", [3]),
                                         ("0-2,7", [0, 1, 2, 7]), ("1,1,0-1", [1, 0])])
def test_seeds(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["a", "0-", "", "1,,2"])
def test_bad_seeds(text):
    with pytest.raises(DephnError, match="expected e.g. 0,1,2 or 0-4"):
        parse_seeds(text)


def test_set_keeps_text_for_the_config_to_convert():
    assert parse_set(["a=64", "b=64,32", "c=[64,32]", "d=add_sqrt/pearson", "e-f=true"]) == {
        "a": 64, "b": "64,32", "c": [64, 32], "d": "add_sqrt/pearson", "e_f": True}


def test_data_flags_and_options_merge_into_one_set():
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

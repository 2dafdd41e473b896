"""Config dicts (dephn/config.py): values converted to each field's type, list values in three
spellings, and a bad value as one error line naming the key and what it expects."""
from __future__ import annotations

import dataclasses
import json
import re
import typing

import pytest

from dephn.config import ModelConfig
from dephn.errors import DephnError
from dephn.train.config import TrainConfig
from dephn.virtual_gradient import VGSetting

INT_LISTS = [f.name for f in dataclasses.fields(ModelConfig)
             if typing.get_type_hints(ModelConfig)[f.name] == tuple[int, ...]]


def test_the_int_list_fields_are_found():
    assert set(INT_LISTS) == {"dnn_hidden", "cin_layers", "expert_hidden", "tower_hidden"}


# --- the three spellings of a list ------------------------------------------------------

@pytest.mark.parametrize("field", INT_LISTS)
@pytest.mark.parametrize("value, expected", [
    (64, (64,)),                 # one value
    ("64", (64,)),
    ("64,32", (64, 32)),         # comma separated (a command line)
    (" 64 , 32 ", (64, 32)),
    ([64, 32], (64, 32)),        # a JSON list
    ((64, 32), (64, 32)),
    ("[64,32]", (64, 32)),       # a JSON list typed as text
    ("[64, 32]", (64, 32)),
    ([64.0, "32"], (64, 32)),    # items are converted too
])
def test_int_list_spellings(field, value, expected):
    cfg = ModelConfig.from_dict({field: value})
    assert getattr(cfg, field) == expected
    assert type(getattr(cfg, field)) is tuple and all(type(w) is int for w in getattr(cfg, field))


@pytest.mark.parametrize("value", ["", "[]", [], ()])
def test_an_empty_list_spelled_every_way(value):
    assert ModelConfig.from_dict({"tower_hidden": value}).tower_hidden == ()


@pytest.mark.parametrize("value, expected", [
    ("raw", ("raw",)),
    ("raw,sin", ("raw", "sin")),
    (["raw", "sin"], ("raw", "sin")),
    ('["raw", "sin"]', ("raw", "sin")),
    ("raw, sin ,cos", ("raw", "sin", "cos")),
])
def test_string_list_spellings(value, expected):
    assert ModelConfig.from_dict({"mappings": value}).mappings == expected


@pytest.mark.parametrize("value", [0.5, "0.5,1", [0.5, 1], "[0.5, 1]"])
def test_number_list_spellings_in_the_training_config(value):
    weights = TrainConfig.from_dict({"task_weights": value}).task_weights
    assert tuple(weights) == ((0.5,) if value == 0.5 else (0.5, 1.0))
    assert all(type(w) is float for w in weights)


def test_the_three_spellings_give_one_config():
    spellings = [{"expert_hidden": "64,32", "mappings": "raw,sin"},
                 {"expert_hidden": [64, 32], "mappings": ["raw", "sin"]},
                 {"expert_hidden": "[64,32]", "mappings": '["raw","sin"]'}]
    configs = [ModelConfig.from_dict(s) for s in spellings]
    assert configs[0] == configs[1] == configs[2] == ModelConfig(expert_hidden=(64, 32), mappings=("raw", "sin"))


# --- scalars ------------------------------------------------------------------------------

@pytest.mark.parametrize("key, value, expected", [
    ("embed_dim", "8", 8), ("embed_dim", 8.0, 8), ("embed_dim", " 8 ", 8),
    ("dropout", "0.25", 0.25), ("dropout", 0, 0.0),
    ("batch_norm", "false", False), ("batch_norm", "True", True), ("batch_norm", "0", False),
    ("batch_norm", "yes", True), ("batch_norm", "off", False), ("batch_norm", 1, True), ("batch_norm", False, False),
    ("gate", "mg", "mg"), ("expert_setting", "D_pub,C&F_pub", "D_pub,C&F_pub"),  # a comma in a string stays
])
def test_scalars_are_converted(key, value, expected):
    got = getattr(ModelConfig.from_dict({key: value}), key)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("value", [None, "none", "None", "null"])
def test_optional_fields_take_none(value):
    cfg = TrainConfig.from_dict({"max_steps": value, "vg": value, "task_weights": value})
    assert cfg.max_steps is None and cfg.vg is None and cfg.task_weights is None


def test_optional_fields_take_a_value():
    cfg = TrainConfig.from_dict({"max_steps": "10", "vg": "add_sqrt/pearson"})
    assert cfg.max_steps == 10 and cfg.vg == VGSetting("add_sqrt", "pearson")


def test_the_vg_setting_is_typed_inside_and_written_out_as_text():
    """from_dict is the edge for text ("GAMMA/CORR", as records store it); a setting passes as it
    is (the command line parsed it); to_dict writes the label again, which is what run ids hash."""
    setting = VGSetting("mul_cos", "cosine")
    assert TrainConfig.from_dict({"vg": setting}).vg is setting
    assert TrainConfig(vg=setting).to_dict()["vg"] == "mul_cos/cosine"
    assert TrainConfig().to_dict()["vg"] is None
    assert json.loads(json.dumps(TrainConfig(vg=setting).to_dict()))["vg"] == "mul_cos/cosine"


@pytest.mark.parametrize("value", ["", "add_sqrt", "add_sqrt/spearman", "all", 3])
def test_a_bad_vg_setting_is_refused_naming_it(value):
    with pytest.raises(DephnError, match=re.escape(f"virtual-gradient setting {value!r}:")):
        TrainConfig.from_dict({"vg": value})


@pytest.mark.parametrize("options, message", [
    ({"lr": "nan"}, "learning rates must be finite and > 0, got lr=nan"),
    ({"lr": float("inf")}, "learning rates must be finite and > 0, got lr=inf"),
    ({"sparse_lr": "-inf"}, "learning rates must be finite and > 0, got sparse_lr=-inf"),
    ({"gate_lr": "nan"}, "learning rates must be finite and > 0, got gate_lr=nan"),
    ({"lr": 0}, "learning rates must be finite and > 0, got lr=0.0"),
    ({"weight_decay": -1}, "weight_decay must be finite and >= 0, got -1.0"),
    ({"weight_decay": "nan"}, "weight_decay must be finite and >= 0, got nan"),
    ({"task_weights": "1,-0.5"}, "task_weights must be finite and >= 0, got [1.0, -0.5]"),
    ({"task_weights": [1, "inf"]}, "task_weights must be finite and >= 0, got [1.0, inf]"),
    ({"max_steps": 0}, "max_steps must be >= 1 (or none), got 0"),
    ({"max_steps": -3}, "max_steps must be >= 1 (or none), got -3"),
])
def test_out_of_range_training_values_are_refused(options, message):
    with pytest.raises(DephnError) as info:
        TrainConfig.from_dict(options)
    assert str(info.value) == message


def test_edge_training_values_are_kept():
    cfg = TrainConfig.from_dict({"weight_decay": 0, "task_weights": [0, 1], "max_steps": 1})
    assert (cfg.weight_decay, cfg.task_weights, cfg.max_steps) == (0.0, (0.0, 1.0), 1)


def test_round_trips():
    cfg = ModelConfig(embed_dim=8, dnn_hidden=(16, 8), tower_hidden=(), mappings=("raw",), batch_norm=False,
                      dropout=0.1, gate="mg")
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    assert ModelConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg   # tuples came back as lists
    train = TrainConfig(max_steps=5, vg=VGSetting("mul_cos", "cosine"), task_weights=(1.0, 0.5))
    assert TrainConfig.from_dict(json.loads(json.dumps(train.to_dict()))) == train
    assert ModelConfig.from_dict({}) == ModelConfig() == ModelConfig.from_dict(None)


# --- one error line naming the key and what it expects --------------------------------------

INT_LIST_WORDS = "a list of integers (64, 64,32 or [64,32])"


@pytest.mark.parametrize("key, value, expects", [
    ("expert_hidden", "abc", INT_LIST_WORDS),
    ("expert_hidden", "64,abc", INT_LIST_WORDS),
    ("expert_hidden", "[64,", INT_LIST_WORDS),          # broken JSON
    ("expert_hidden", "[[64]]", INT_LIST_WORDS),        # nested
    ("expert_hidden", '{"a": 1}', INT_LIST_WORDS),
    ("expert_hidden", 64.5, INT_LIST_WORDS),
    ("expert_hidden", [True], INT_LIST_WORDS),
    ("expert_hidden", None, INT_LIST_WORDS),
    ("dnn_hidden", {"a": 1}, INT_LIST_WORDS),
    ("cin_layers", "[1.5]", INT_LIST_WORDS),
    ("tower_hidden", "8;4", INT_LIST_WORDS),
    ("embed_dim", "x", "an integer"),
    ("embed_dim", 2.5, "an integer"),
    ("embed_dim", True, "an integer"),
    ("embed_dim", [8], "an integer"),
    ("embed_dim", None, "an integer"),
    ("dropout", "abc", "a number"),
    ("dropout", [0.1], "a number"),
    ("batch_norm", "maybe", "true or false"),
    ("batch_norm", 2, "true or false"),
    ("gate", ["mg"], "a string"),
    ("mappings", [["raw"]], 'a list of strings (raw, raw,sin or ["raw","sin"])'),
])
def test_a_bad_value_is_one_line_naming_the_key(key, value, expects):
    with pytest.raises(DephnError) as info:
        ModelConfig.from_dict({"embed_dim": 8, key: value})
    message = str(info.value)
    assert "\n" not in message
    assert message == f"model option {key}={value!r}: expected {expects}"
    assert info.value.__cause__ is None and info.value.__suppress_context__   # no traceback chain


@pytest.mark.parametrize("key, value, expects", [
    ("max_steps", "abc", "an integer or none"),
    ("task_weights", "x", "a list of numbers (0.5, 0.5,1 or [0.5,1]) or none"),
    ("lr", "fast", "a number"),
])
def test_a_bad_training_value_is_one_line_too(key, value, expects):
    with pytest.raises(DephnError) as info:
        TrainConfig.from_dict({key: value})
    assert str(info.value) == f"training option {key}={value!r}: expected {expects}"


def test_unknown_keys_are_named():
    with pytest.raises(DephnError, match=r"unknown model option\(s\) \['bogus'\]"):
        ModelConfig.from_dict({"bogus": 1, "embed_dim": 8})


@pytest.mark.parametrize("bad, match", [
    ({"dnn_hidden": "8,0"}, "dnn_hidden widths must be >= 1"),
    ({"cin_layers": "5,4"}, "cin_layers"),
    ({"expert_hidden": ""}, "expert_hidden needs at least one width"),
    ({"mappings": "[]"}, "mappings needs at least one"),
    ({"gate": 5}, "gate"),
    ({"dropout": "nan"}, "dropout"),
])
def test_converted_values_are_still_validated(bad, match):
    with pytest.raises(DephnError, match=match):
        ModelConfig.from_dict(bad)

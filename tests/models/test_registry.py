"""The model table: each model's listed config fields are all it reads.

A run id hashes only the `ModelConfig` fields in `MODELS[name].fields`, so changing any other
field must leave the model exactly as it was: same parameters (names, shapes, values, from
the same seed), same buffers, the same training-mode forward on a fixed batch, and the same
gradients (values and sparse/dense layout) from it. Every
field has an alternative value below; a field added to ModelConfig without one fails
`test_every_config_field_has_an_alternative`.
"""
from __future__ import annotations

import dataclasses
import functools

import pytest
import torch

from dephn.config import ModelConfig
from dephn.errors import DephnError
from dephn.layers import GateHook
from dephn.models import MODELS, ModelEntry, build_model, is_multi_task, model_entry, model_names
from dephn.train.policy import VirtualGradientPolicy
from dephn.virtual_gradient import VGSetting

from .conftest import make_batch, make_spec, task_bce

# small enough that ~250 builds and forwards take a few seconds on one thread
BASE = dict(embed_dim=4, attn_heads=2, attn_layers=1, dnn_hidden=(6, 4), expert_hidden=(6, 4),
            tower_hidden=(4,), cin_layers=(4, 2), n_experts=2, cross_layers=1, cross_rank=2,
            fint_layers=1, n_specific_experts=1, ple_levels=2)
N_TASKS, ROWS = 2, 16

# field -> other valid values (each differs from BASE / the default); NO_ALTERNATIVE marks a
# field with one valid value today (then every model must list it, see below)
NO_ALTERNATIVE = ()
ALTERNATIVES: dict[str, tuple] = {
    "embed_dim": (8,),                       # attn_heads = 2 and 1 both divide it
    "dense_mode": NO_ALTERNATIVE,            # "vector" only
    "dense_init": ("small",),
    "sparse_grad": (False,),
    "dnn_hidden": ((8,),),
    "dropout": (0.3,),
    "batch_norm": (False,),
    "attn_heads": (1,),
    "attn_layers": (2,),
    "cross_layers": (2, 0),
    "cross_version": ("v1",),
    "cross_rank": (0,),
    "fint_layers": (2,),
    "cin_layers": ((8, 4),),
    "n_experts": (3,),
    "expert_hidden": ((5,),),
    "tower_hidden": ((), (3, 2)),
    "n_specific_experts": (2,),
    "ple_levels": (1, 3),
    "snr_beta": (0.5,),
    "snr_l0_weight": (0.1,),
    "expert_setting": ("D_pub,C&F_pub", "D_pri,C&F_pub", "D_pub"),
    "mappings": (("raw",), ("square", "sin")),
    "gate": ("mg",),
    "gate_norm": ("batch",),
    "tvg_norm": ("softmax", "sigmoid"),
    "ssg": (False,),
    "public_tower": ("linear",),
    "output": ("sum_of_sigmoids",),
}
FIELDS = [f.name for f in dataclasses.fields(ModelConfig)]


def _base_config(**change) -> ModelConfig:
    return ModelConfig(**{**BASE, **change})


def test_every_config_field_has_an_alternative():
    assert set(ALTERNATIVES) == set(FIELDS), "give every ModelConfig field an alternative value here"
    base = _base_config()
    for name, values in ALTERNATIVES.items():
        for value in values:
            assert value != getattr(base, name), f"{name}={value!r} is the base value: it tests nothing"
            _base_config(**{name: value})            # valid on its own, with the base config


def test_a_field_without_alternative_really_has_one_value_and_every_model_lists_it():
    for name, values in ALTERNATIVES.items():
        if values == NO_ALTERNATIVE:
            with pytest.raises(DephnError, match=name):
                _base_config(**{name: "something-else"})
            assert all(name in entry.fields for entry in MODELS.values()), name


def _cases():
    return [pytest.param(model, name, value, id=f"{model}-{name}={value!r}")
            for model in sorted(MODELS) for name in FIELDS if name not in MODELS[model].fields
            for value in ALTERNATIVES.get(name, ())]


@functools.lru_cache(maxsize=None)
def _batch():
    return make_batch(N_TASKS, n=ROWS, spec=make_spec(N_TASKS), seed=3)


def _build_and_run(model_name: str, cfg: ModelConfig):
    """(parameter names and shapes, state_dict before the step, ModelOutput of one training-mode
    forward, state_dict after it, parameter gradients of the summed task loss)."""
    torch.manual_seed(0)
    model = build_model(model_name, make_spec(N_TASKS), cfg)
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    names = [(n, tuple(p.shape)) for n, p in model.named_parameters()]
    batch = _batch()
    model.train()
    torch.manual_seed(1)                              # SNR samples its gates, dropout its masks
    out = model(batch.sparse, batch.dense)
    after = {k: v.detach().clone() for k, v in model.state_dict().items()}   # BN statistics moved
    loss = task_bce(out, batch.labels, list(out.logits)).sum()
    (loss if out.aux_loss is None else loss + out.aux_loss).backward()
    # the layout matters too: a sparse gradient goes to another optimizer (sparse_grad)
    grads = {n: (p.grad.layout, p.grad.to_dense()) for n, p in model.named_parameters() if p.grad is not None}
    return names, before, out, after, grads


@functools.lru_cache(maxsize=None)
def _base_run(model_name: str):
    return _build_and_run(model_name, _base_config())


def _assert_same_tensors(a: dict, b: dict, what: str) -> None:
    assert list(a) == list(b), f"{what}: different names"
    for k in a:
        assert a[k].shape == b[k].shape, f"{what} {k}: shape {tuple(a[k].shape)} != {tuple(b[k].shape)}"
        assert a[k].dtype == b[k].dtype, f"{what} {k}"
        assert torch.equal(a[k], b[k]), f"{what} {k}: different values"


@pytest.mark.parametrize("model, field, value", _cases())
def test_a_field_the_model_does_not_list_changes_nothing(model, field, value):
    names0, before0, out0, after0, grads0 = _base_run(model)
    names1, before1, out1, after1, grads1 = _build_and_run(model, _base_config(**{field: value}))
    assert names1 == names0, f"{model} reads {field}: parameters differ"
    _assert_same_tensors(before0, before1, f"{model} with {field}={value!r}: initial state")
    _assert_same_tensors(out0.logits, out1.logits, f"{model} with {field}={value!r}: logits")
    assert (out0.aux_loss is None) == (out1.aux_loss is None)
    if out0.aux_loss is not None:
        assert torch.equal(out0.aux_loss, out1.aux_loss), f"{model} with {field}={value!r}: aux_loss"
    assert (out0.probs is None) == (out1.probs is None)
    if out0.probs is not None:
        _assert_same_tensors(out0.probs, out1.probs, f"{model} with {field}={value!r}: probs")
    _assert_same_tensors(out0.intermediates, out1.intermediates, f"{model} with {field}={value!r}: intermediates")
    _assert_same_tensors(after0, after1, f"{model} with {field}={value!r}: state after a step")
    assert {n: g[0] for n, g in grads0.items()} == {n: g[0] for n, g in grads1.items()}, \
        f"{model} with {field}={value!r}: gradient layouts differ"
    _assert_same_tensors({n: g[1] for n, g in grads0.items()}, {n: g[1] for n, g in grads1.items()},
                         f"{model} with {field}={value!r}: gradients")


def test_the_invariance_cases_cover_every_model_and_unlisted_field():
    cases = {(p.values[0], p.values[1]) for p in _cases()}
    for model, entry in MODELS.items():
        unlisted = set(FIELDS) - set(entry.fields)
        assert {f for m, f in cases if m == model} == unlisted - {
            f for f in unlisted if ALTERNATIVES[f] == NO_ALTERNATIVE}
    assert len(cases) > 100


def test_listed_fields_are_real_config_fields():
    for model, entry in MODELS.items():
        assert isinstance(entry, ModelEntry)
        unknown = set(entry.fields) - set(FIELDS)
        assert not unknown, f"{model} lists fields ModelConfig does not have: {sorted(unknown)}"
        assert len(set(entry.fields)) == len(entry.fields), f"{model} lists a field twice"
        assert all(isinstance(f, str) for f in entry.fields)


def test_the_table_is_what_the_lookups_read():
    assert model_names() == sorted(MODELS)
    for name, entry in MODELS.items():
        assert model_entry(name) is entry
        assert is_multi_task(name) == entry.multi_task
        model = build_model(name, make_spec(N_TASKS), _base_config())
        assert type(model) is entry.cls
    with pytest.raises(DephnError, match="unknown model"):
        model_entry("no_such_model")
    with pytest.raises(DephnError, match="dephn"):   # the message lists the known models
        build_model("no_such_model", make_spec(N_TASKS))


@pytest.mark.parametrize("change", [{}, {"ple_levels": 1}, {"ple_levels": 3}, {"gate": "mg"},
                                    {"expert_setting": "D_pub,C&F_pub"}, {"n_experts": 1}],
                         ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "base")
def test_has_gates_exactly_for_models_with_a_gate_hook(change):
    for name, entry in MODELS.items():
        model = build_model(name, make_spec(N_TASKS), _base_config(**change))
        hooks = [m for m in model.modules() if isinstance(m, GateHook)]
        assert entry.has_gates == bool(hooks), name
        if entry.has_gates:
            VirtualGradientPolicy(VGSetting()).attach(model).detach()
        else:  # the virtual gradient needs gates: a model without them is a user error
            with pytest.raises(DephnError, match="gates"):
                VirtualGradientPolicy(VGSetting()).attach(model)
    assert {n for n, e in MODELS.items() if e.has_gates} == {"dephn", "mtphn", "mmoe", "ple"}

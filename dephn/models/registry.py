"""Models by name: one explicit table. `build_model("dephn", spec, cfg)` is the only
constructor callers use.

Each entry also says which `ModelConfig` fields the model reads: a run's identity (and so
its run id) hashes only those, so a field added for one model leaves every other model's
runs where they are. `tests/models/test_registry.py` checks that changing any field a model
does not list leaves its parameters and outputs unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ..config import ModelConfig
from ..data.schema import FeatureSpec
from ..errors import DephnError
from .dephn import DEPHN
from .mmoe import MMoE
from .mtphn import MTPHN
from .ple import PLE
from .shared_bottom import SharedBottom
from .single_task import DCN, DNN, FINT, NFM, WideDeep, XDeepFM
from .snr import SNRTrans

# field groups, by the block that reads them
EMBEDDING = ("embed_dim", "dense_mode", "dense_init", "sparse_grad")
MLPS = ("dropout", "batch_norm")
CROSS = ("cross_layers", "cross_version", "cross_rank")
EXPERTS = ("n_experts", "expert_hidden")
PHN = ("attn_heads", "attn_layers", *CROSS, "fint_layers", *EXPERTS, "expert_setting", "ssg")


@dataclass(frozen=True)
class ModelEntry:
    cls: type[nn.Module]               # constructed as cls(spec: FeatureSpec, cfg: ModelConfig)
    multi_task: bool                   # False: one independent network per task
    fields: tuple[str, ...]            # the ModelConfig fields the model reads

    @property
    def has_gates(self) -> bool:
        """Whether gradient policies on gates (the virtual gradient) apply to it."""
        return self.cls in GATED


def _entry(cls, multi_task: bool, *fields: str) -> ModelEntry:
    return ModelEntry(cls, multi_task, (*EMBEDDING, *MLPS, *fields))


GATED = (DEPHN, MTPHN, MMoE, PLE)      # models that route their task gates through a GateHook
MODELS: dict[str, ModelEntry] = {
    "dnn": _entry(DNN, False, "dnn_hidden"),
    "wide_deep": _entry(WideDeep, False, "dnn_hidden"),
    "dcn": _entry(DCN, False, "dnn_hidden", *CROSS),
    "fint": _entry(FINT, False, "dnn_hidden", "fint_layers"),
    "nfm": _entry(NFM, False, "dnn_hidden"),
    "xdeepfm": _entry(XDeepFM, False, "dnn_hidden", "cin_layers"),
    "shared_bottom": _entry(SharedBottom, True, "expert_hidden", "tower_hidden"),
    "mmoe": _entry(MMoE, True, *EXPERTS, "tower_hidden", "gate_norm"),
    "ple": _entry(PLE, True, *EXPERTS, "tower_hidden", "n_specific_experts", "ple_levels", "gate_norm"),
    "snr": _entry(SNRTrans, True, *EXPERTS, "tower_hidden", "snr_beta", "snr_l0_weight"),
    "mtphn": _entry(MTPHN, True, *PHN, "tower_hidden", "gate_norm"),
    "dephn": _entry(DEPHN, True, *PHN, "mappings", "gate", "tvg_norm", "gate_norm", "public_tower", "tower_hidden",
                    "output"),
}


def model_names() -> list[str]:
    return sorted(MODELS)


def model_entry(name: str) -> ModelEntry:
    if name not in MODELS:
        raise DephnError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    return MODELS[name]


def is_multi_task(name: str) -> bool:
    return model_entry(name).multi_task


def build_model(name: str, spec: FeatureSpec, cfg: ModelConfig | None = None) -> nn.Module:
    return model_entry(name).cls(spec, cfg or ModelConfig())

"""Hyper-parameters shared by every model (one config, as in the paper's comparisons); build
configs with `ModelConfig.from_dict`, which names an unknown key."""
from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass

from .errors import DephnError


# choices of the text fields; the layers that use them read the first three
DENSE_INITS = ("small", "unit")            # how a dense field's vector starts (layers.embedding)
GATE_NORMS = ("none", "batch")             # per-sample softmax gates (layers.gates.SoftmaxGate)
TVG_NORMS = ("none", "softmax", "sigmoid")  # trainable value gates (layers.gates.TrainableValueGate)
CHOICES = {"dense_mode": ("vector",), "dense_init": DENSE_INITS, "cross_version": ("v1", "v2"),
           "expert_setting": ("D_pub,C&F_pub", "D_pri,C&F_pub", "D_pub,C&F_pri", "D_pub"),
           "gate": ("tvg", "mg"), "gate_norm": GATE_NORMS, "tvg_norm": TVG_NORMS,
           "public_tower": ("linear", "mlp"), "output": ("sigmoid_of_sum", "sum_of_sigmoids")}

_WORDS = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def _scalar(value, kind):
    """`value` (from JSON or typed on a command line) as `kind`; ValueError when it is not one."""
    if isinstance(value, (list, tuple, dict)) or (isinstance(value, bool) and kind not in (bool, str)):
        raise ValueError
    if kind is bool:
        text = str(value).strip().lower()
        if not isinstance(value, bool) and text not in _TRUE | _FALSE:
            raise ValueError
        return value if isinstance(value, bool) else text in _TRUE
    if kind is str:
        return str(value)
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        return int(value) if not isinstance(value, str) else int(value.strip())
    return float(value)


def _items(value) -> list:
    """A list value in any of its three spellings: 64 | "64,32" | [64, 32] (or "[64, 32]")."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            parsed = json.loads(text)          # JSONDecodeError is a ValueError
            if not isinstance(parsed, list):
                raise ValueError
            return parsed
        return [x.strip() for x in text.split(",") if x.strip()]
    return [value]


def coerce(kind, value):
    """`value` converted to the annotated field type `kind` (int, float, str, bool, tuple[X, ...],
    a class with a `parse` classmethod, or X | None); ValueError when it cannot be (the class's
    own error, a DephnError naming the value, for a parsed type)."""
    args = typing.get_args(kind)
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null")):
            if type(None) in args:
                return None
        inner = [a for a in args if a is not type(None)]
        return coerce(inner[0], value)
    if isinstance(kind, type) and hasattr(kind, "parse"):   # a typed value with a text spelling (VGSetting):
        return value if isinstance(value, kind) else kind.parse(value)   # text parsed here, a value kept
    if typing.get_origin(kind) is tuple:
        return tuple(_scalar(v, args[0]) for v in _items(value))
    return _scalar(value, kind)


def expected(kind) -> str:
    """What a field of type `kind` accepts, in words, for error messages."""
    args = typing.get_args(kind)
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return f"{expected(inner[0])} or none"
    if typing.get_origin(kind) is tuple:
        example = {int: "64, 64,32 or [64,32]", float: "0.5, 0.5,1 or [0.5,1]",
                   str: "raw, raw,sin or [\"raw\",\"sin\"]"}[args[0]]
        return f"a list of {_WORDS[args[0]].split(' ', 1)[1]}s ({example})"
    return _WORDS.get(kind, getattr(kind, "__name__", str(kind)))


class StrictConfig:
    """Dict round trip for config dataclasses: unknown keys, and values that do not convert to
    their field's type (`coerce`), are one error line naming the key."""

    kind = "config"      # word used in the error message ("model", "training")

    @classmethod
    def from_dict(cls, d: dict | None):
        d = dict(d or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise DephnError(f"unknown {cls.kind} option(s) {unknown}; known: {sorted(known)}")
        hints = typing.get_type_hints(cls)
        values = {}
        for key, value in d.items():
            try:
                values[key] = coerce(hints[key], value)
            except (ValueError, TypeError, KeyError):
                raise DephnError(f"{cls.kind} option {key}={value!r}: expected {expected(hints[key])}") from None
        return cls(**values)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class ModelConfig(StrictConfig):
    kind = "model"

    # --- inputs -----------------------------------------------------------
    embed_dim: int = 16                 # d: embedding size of every field
    dense_mode: str = "vector"          # dense field -> "vector" (learned vector x value)
    dense_init: str = "unit"            # dense vectors start N(0, 1/d) | "small" N(0, 1e-2^2)
                                        # (docs/decisions.md#dense-field-vectors)
    sparse_grad: bool = True            # sparse embedding gradients (SparseAdam): fast on big tables
    # --- shared building blocks ------------------------------------------
    dnn_hidden: tuple[int, ...] = (256, 128)   # MLP widths of DNN-type experts / single-task DNNs
    dropout: float = 0.0                # dropout inside MLPs
    batch_norm: bool = True             # batch norm inside MLPs (benchmarks/README.md)
    attn_heads: int = 2                 # heads of the field self-attention (SSG)
    attn_layers: int = 1                # stacked self-attention layers (SSG)
    cross_layers: int = 3               # DCN cross layers
    cross_version: str = "v2"           # "v1" (x0 x^T w) or "v2" (x0 * (W x + b))
    cross_rank: int = 32                # v2: rank of W = U V^T (0 = full n x n W)
    fint_layers: int = 3                # FINT field-aware interaction layers
    cin_layers: tuple[int, ...] = (64, 64)     # xDeepFM CIN feature-map counts
    # --- multi-task architecture -------------------------------------------
    n_experts: int = 4                  # K: shared experts (MMoE, DEPHN public DNN experts)
    expert_hidden: tuple[int, ...] = (128, 64)  # MLP widths of one expert; last = h
    tower_hidden: tuple[int, ...] = (32,)      # MLP widths of each task tower (() = linear)
    n_specific_experts: int = 1         # PLE: task-specific experts per task and level
    ple_levels: int = 2                 # PLE: CGC extraction levels
    snr_beta: float = 0.667             # SNR: hard-concrete temperature
    snr_l0_weight: float = 1e-4         # SNR: weight of the L0 penalty
    gate_norm: str = "none"             # per-sample gates: softmax(W x) | "batch" softmax(BN(W x))
                                        # (docs/decisions.md#gate-batch-norm)
    # --- MT-PHN / DEPHN ------------------------------------------------------
    expert_setting: str = "D_pub,C&F_pri"      # paper Table I; "D_pub": no private expert (ablation)
    ssg: bool = True                    # soft selection gating; False: every structure reads E as it is (ablation)
    mappings: tuple[str, ...] = ("raw", "sin", "cos")  # explicit mappings f_p of public experts
    gate: str = "tvg"                   # "tvg" trainable value gating | "mg" mapping gating
    tvg_norm: str = "none"              # TVG values: "none" (raw trainable values, the paper) | "softmax" | "sigmoid"
    public_tower: str = "mlp"           # "mlp" (tower_hidden, as the baselines) | "linear" (eq. 4 literally)
    output: str = "sigmoid_of_sum"      # "sigmoid_of_sum" | "sum_of_sigmoids" (eq. 6 literally)

    def __post_init__(self):
        for name in ("dnn_hidden", "cin_layers", "expert_hidden", "tower_hidden", "mappings"):
            setattr(self, name, tuple(getattr(self, name)))
        if self.embed_dim < 1:
            raise DephnError(f"embed_dim must be >= 1, got {self.embed_dim}")
        if self.n_experts < 1:
            raise DephnError(f"n_experts must be >= 1, got {self.n_experts}")
        if not 0.0 <= self.dropout < 1.0:
            raise DephnError(f"dropout must be in [0, 1), got {self.dropout}")
        for name, choices in CHOICES.items():
            if getattr(self, name) not in choices:
                raise DephnError(f"{name}={getattr(self, name)!r} is not one of {sorted(choices)}")
        if self.cross_rank < 0:
            raise DephnError(f"cross_rank must be >= 0 (0 = full rank), got {self.cross_rank}")
        if not self.expert_hidden:
            raise DephnError("expert_hidden needs at least one width")
        for name in ("dnn_hidden", "cin_layers", "expert_hidden", "tower_hidden"):
            if any(w < 1 for w in getattr(self, name)):
                raise DephnError(f"{name} widths must be >= 1, got {getattr(self, name)}")
        for name in ("cross_layers", "fint_layers", "attn_layers"):
            if getattr(self, name) < 0:
                raise DephnError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not self.cin_layers or any(w % 2 for w in self.cin_layers[:-1]):
            # xDeepFM's CIN splits every layer but the last in halves (split_half)
            raise DephnError(f"cin_layers needs >= 1 width and even widths before the last, got {self.cin_layers}")
        if self.n_specific_experts < 1 or self.ple_levels < 1:
            raise DephnError(f"PLE needs n_specific_experts >= 1 and ple_levels >= 1, "
                             f"got {self.n_specific_experts} and {self.ple_levels}")
        if self.snr_beta <= 0 or self.snr_l0_weight < 0:
            raise DephnError(f"SNR needs snr_beta > 0 and snr_l0_weight >= 0, "
                             f"got {self.snr_beta} and {self.snr_l0_weight}")
        if not self.mappings:
            raise DephnError("mappings needs at least one explicit mapping")

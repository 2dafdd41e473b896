"""Models by name. `build_model("dephn", spec, cfg)` is the only constructor callers use."""
from __future__ import annotations

from typing import Callable

from torch import nn

from ..config import ModelConfig
from ..data.schema import FeatureSpec
from ..errors import DephnError

_MODELS: dict[str, type[nn.Module]] = {}
_MULTI_TASK: dict[str, bool] = {}


def register(name: str, *, multi_task: bool) -> Callable[[type[nn.Module]], type[nn.Module]]:
    """Class decorator: `@register("mmoe", multi_task=True)`.

    A registered class is constructed as `cls(spec: FeatureSpec, cfg: ModelConfig)` and its
    forward is `forward(sparse (B,S) long, dense (B,D) float, labels (B,T) float | None) -> ModelOutput`.
    """

    def deco(cls):
        if name in _MODELS:
            raise ValueError(f"model {name!r} registered twice")
        _MODELS[name] = cls
        _MULTI_TASK[name] = multi_task
        cls.registry_name = name
        return cls

    return deco


def model_names() -> list[str]:
    _load_all()
    return sorted(_MODELS)


def is_multi_task(name: str) -> bool:
    _load_all()
    return _MULTI_TASK[name]


def build_model(name: str, spec: FeatureSpec, cfg: ModelConfig | None = None) -> nn.Module:
    _load_all()
    if name not in _MODELS:
        raise DephnError(f"unknown model {name!r}; known: {', '.join(sorted(_MODELS))}")
    return _MODELS[name](spec, cfg or ModelConfig())


def _load_all():
    # importing the package imports every model module, each registering itself
    from . import zoo  # noqa: F401

"""The model zoo: an explicit table of models by name (see registry.py)."""
from .output import ModelOutput
from .registry import MODELS, ModelEntry, build_model, is_multi_task, model_entry, model_names

__all__ = ["MODELS", "ModelEntry", "ModelOutput", "build_model", "is_multi_task", "model_entry", "model_names"]

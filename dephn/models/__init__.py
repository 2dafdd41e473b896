"""Model zoo: every model registers itself by name (see registry.py)."""
from .output import ModelOutput
from .registry import build_model, is_multi_task, model_names, register

__all__ = ["ModelOutput", "build_model", "is_multi_task", "model_names", "register"]

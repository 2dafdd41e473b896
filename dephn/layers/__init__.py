"""Shared blocks: each written once and composed by the baselines and by DEPHN alike."""
from .attention import FieldSelfAttention, SoftSelectionGate
from .cin import CIN
from .cross import CrossNetwork
from .embedding import FieldEmbedding
from .experts import ExpertGroup
from .fint import FieldInteraction
from .fm import BiInteraction
from .gates import SoftmaxGate, TrainableValueGate
from .hook import GateHook
from .linear import LinearPart
from .mlp import MLP

__all__ = [
    "BiInteraction", "CIN", "CrossNetwork", "ExpertGroup", "FieldEmbedding",
    "FieldInteraction", "FieldSelfAttention", "GateHook", "LinearPart", "MLP", "SoftSelectionGate",
    "SoftmaxGate", "TrainableValueGate",
]

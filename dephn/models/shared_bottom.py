"""Shared-Bottom (Caruana, 1997): one shared MLP under one tower per task."""
from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig
from ..data.schema import FeatureSpec
from .common import make_embedding, make_mlp, make_towers
from .output import ModelOutput


class SharedBottom(nn.Module):
    """Embedding -> bottom MLP(expert_hidden) -> task towers: MMoE with one expert, no gates."""

    def __init__(self, spec: FeatureSpec, cfg: ModelConfig):
        super().__init__()
        self.tasks = tuple(spec.tasks)
        self.embedding = make_embedding(spec, cfg)
        self.bottom = make_mlp(spec.n_fields * cfg.embed_dim, cfg.expert_hidden, cfg)
        self.towers = make_towers(self.bottom.out_dim, spec, cfg)

    def forward(self, sparse: torch.Tensor, dense: torch.Tensor) -> ModelOutput:
        x = self.embedding(sparse, dense).flatten(1)          # (B, F*d)
        h = self.bottom(x)                                    # (B, h)
        logits = {t: tower(h).squeeze(-1) for t, tower in zip(self.tasks, self.towers)}  # (B,) each
        return ModelOutput(logits=logits)

"""MMoE: multi-gate mixture of experts (Ma et al., KDD 2018)."""
from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig
from ..data.schema import FeatureSpec
from ..layers import GateHook
from .common import make_embedding, make_experts, make_gate, make_towers
from .output import ModelOutput


class MMoE(nn.Module):
    """K shared experts; task t mixes them with its gate softmax(W_t x) (B, K), then its tower.
    The gates pass a `GateHook` (docs/decisions.md#virtual-gradient). Intermediates: "gates/<task>"
    (B, K), "experts" (B, K, h)."""

    def __init__(self, spec: FeatureSpec, cfg: ModelConfig):
        super().__init__()
        self.tasks = tuple(spec.tasks)
        n_in = spec.n_fields * cfg.embed_dim
        self.embedding = make_embedding(spec, cfg)
        self.experts = make_experts(cfg.n_experts, n_in, cfg)
        self.gates = nn.ModuleList(make_gate(n_in, cfg.n_experts, cfg) for _ in self.tasks)
        self.towers = make_towers(self.experts.out_dim, spec, cfg)
        self.gate_hook = GateHook("gates")

    def forward(self, sparse: torch.Tensor, dense: torch.Tensor) -> ModelOutput:
        x = self.embedding(sparse, dense).flatten(1)                        # (B, F*d)
        experts = self.experts(x)                                           # (B, K, h)
        gates = torch.stack([g(x) for g in self.gates], 1)                  # (B, T, K)
        mixed = torch.bmm(self.gate_hook(gates), experts)                   # (B, T, h)
        logits = {t: tower(mixed[:, i]).squeeze(-1)                         # (B,) each
                  for i, (t, tower) in enumerate(zip(self.tasks, self.towers))}
        inter = {f"gates/{t}": gates[:, i] for i, t in enumerate(self.tasks)}
        inter["experts"] = experts
        return ModelOutput(logits=logits, intermediates=inter)

"""MMoE: multi-gate mixture of experts (Ma et al., KDD 2018)."""
from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig
from ..data.schema import FeatureSpec
from ..layers import SoftmaxGate
from .common import GatePolicy, make_embedding, make_experts, make_towers
from .output import ModelOutput
from .registry import register


@register("mmoe", multi_task=True)
class MMoE(nn.Module):
    """K shared DNN experts; task t mixes them with its own gate softmax(W_t x) (B, K),
    then its tower. With `cfg.virtual_gradient` the gates' gradients are rescaled by the
    virtual-gradient policy (SPEC §4, "virtual gradient on MMoE", paper Fig. 5).

    Intermediates: "gates/<task>" (B, K), "experts" (B, K, h).
    """

    def __init__(self, spec: FeatureSpec, cfg: ModelConfig):
        super().__init__()
        self.tasks = tuple(spec.tasks)
        n_in = spec.n_fields * cfg.embed_dim
        self.embedding = make_embedding(spec, cfg)
        self.experts = make_experts(cfg.n_experts, n_in, cfg)
        self.gates = nn.ModuleList(SoftmaxGate(n_in, cfg.n_experts) for _ in self.tasks)
        self.towers = make_towers(self.experts.out_dim, spec, cfg)
        self.gate_policy = GatePolicy(cfg)

    def forward(self, sparse: torch.Tensor, dense: torch.Tensor,
                labels: torch.Tensor | None = None) -> ModelOutput:
        x = self.embedding(sparse, dense).flatten(1)                        # (B, F*d)
        experts = self.experts(x)                                           # (B, K, h)
        gates = torch.stack([g(x) for g in self.gates], 1)                  # (B, T, K)
        gates_used, coef = self.gate_policy(gates, labels)                  # (B, T, K)
        mixed = torch.bmm(gates_used, experts)                              # (B, T, h)
        logits = {t: tower(mixed[:, i]).squeeze(-1)                         # (B,) each
                  for i, (t, tower) in enumerate(zip(self.tasks, self.towers))}
        inter = {f"gates/{t}": gates[:, i] for i, t in enumerate(self.tasks)}
        inter["experts"] = experts
        return ModelOutput(logits=logits, intermediates=inter,
                           vg_coef={} if coef is None else {"gates": coef})

"""MT-PHN: multi-task parallel heterogeneous network (DEPHN paper §III-A, Table I; docs/decisions.md#mt-phn-expert-settings).

MMoE over the heterogeneous experts of `heterogeneous.py`; for task t, with the per-sample
gate g_t = softmax(W_t z) over the public experts (z = the flattened raw embedding):

  public_logit_t  = tower_t( sum_k g_tk e_k )          tower_t = MLP(h, tower_hidden) -> 1
  private_logit_t = w_t . [e_pri,t,1 || ... ]          linear, no bias (the tower has one)
  logit_t         = public_logit_t + private_logit_t

so the logit splits into a public and a private part (paper Fig. 3b). The gates pass a
`GateHook` (docs/decisions.md#virtual-gradient).
"""
from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig
from ..data.schema import FeatureSpec
from ..layers import GateHook
from .common import make_embedding, make_gate, make_towers
from .heterogeneous import ParallelHeterogeneousLayers, TaskLinear
from .output import ModelOutput


class MTPHN(nn.Module):
    """MT-PHN (DEPHN, IJCNN 2023, §III-A): MMoE over parallel heterogeneous experts."""

    def __init__(self, spec: FeatureSpec, cfg: ModelConfig):
        super().__init__()
        self.tasks, self.cfg = tuple(spec.tasks), cfg
        n_fields, n_tasks = spec.n_fields, len(spec.tasks)
        self.embedding = make_embedding(spec, cfg)
        self.phl = ParallelHeterogeneousLayers(n_fields, n_tasks, cfg)
        n_public, h = len(self.phl.public_kinds), self.phl.out_dim
        self.gates = nn.ModuleList(make_gate(n_fields * cfg.embed_dim, n_public, cfg) for _ in spec.tasks)
        self.towers = make_towers(h, spec, cfg)
        self.private_head = TaskLinear(n_tasks, len(self.phl.private_kinds) * h, bias=False)
        self.gate_hook = GateHook("gates")

    def forward(self, sparse: torch.Tensor, dense: torch.Tensor) -> ModelOutput:
        e = self.embedding(sparse, dense)                              # (B, F, d)
        phl = self.phl(e)                                              # public (B, K, h)
        gates = torch.stack([g(e.flatten(1)) for g in self.gates], dim=1)  # (B, T, K)
        gates = self.gate_hook(gates)                                  # policies attach here
        mixed = torch.einsum("btk,bkh->bth", gates, phl.public)        # (B, T, h)
        public = torch.cat([tower(mixed[:, t]) for t, tower in enumerate(self.towers)], dim=1)  # (B, T)
        private = self.private_head(phl.private.flatten(2))            # (B, T)
        logits = public + private                                      # (B, T)

        inter: dict[str, torch.Tensor] = {f"ssg/{s}": g for s, g in phl.ssg.items()}
        inter["experts"] = phl.public                                  # (B, K, h)
        for t, name in enumerate(self.tasks):
            inter[f"gates/{name}"] = gates[:, t]                       # (B, K)
            inter[f"public_logit/{name}"] = public[:, t]               # (B,)
            inter[f"private_logit/{name}"] = private[:, t]             # (B,)
        return ModelOutput(logits={name: logits[:, t] for t, name in enumerate(self.tasks)},
                           intermediates=inter)

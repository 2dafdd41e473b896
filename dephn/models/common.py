"""Pieces every baseline shares: the input embedding, task towers, the gate-gradient policy."""
from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig
from ..data.schema import FeatureSpec
from ..layers import MLP, ExpertGroup, FieldEmbedding


def make_embedding(spec: FeatureSpec, cfg: ModelConfig) -> FieldEmbedding:
    """The model's own field embedding E (B, F, d); never shared between models."""
    return FieldEmbedding(spec.vocab_sizes, spec.n_dense, cfg.embed_dim, sparse=cfg.sparse_grad)


def make_mlp(in_dim: int, hidden, cfg: ModelConfig, out_dim: int | None = None) -> MLP:
    """An MLP with the config's shared dropout / batch-norm settings."""
    return MLP(in_dim, hidden, out_dim, dropout=cfg.dropout, batch_norm=cfg.batch_norm)


def make_experts(n: int, in_dim: int, cfg: ModelConfig) -> ExpertGroup:
    """n parallel experts MLP(expert_hidden) over one input: (B, in_dim) -> (B, n, h)."""
    return ExpertGroup(n, in_dim, cfg.expert_hidden, dropout=cfg.dropout, batch_norm=cfg.batch_norm)


def make_towers(in_dim: int, spec: FeatureSpec, cfg: ModelConfig) -> nn.ModuleList:
    """One tower per task, in `spec.tasks` order: MLP(tower_hidden) -> 1 logit."""
    return nn.ModuleList(make_mlp(in_dim, cfg.tower_hidden, cfg, out_dim=1) for _ in spec.tasks)


class GatePolicy(nn.Module):
    """Applies the virtual gradient (SPEC §4) to stacked gates when the config asks for it.

    Active only in training, with labels, and with `cfg.virtual_gradient`; otherwise the
    gates pass through untouched and no coefficient is returned. The operator is imported
    lazily so that models without it never depend on `dephn.virtual_gradient`.
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.vg = None
        if cfg.virtual_gradient:
            from ..virtual_gradient import VirtualGradient
            self.vg = VirtualGradient(cfg.gamma, cfg.corr)

    def forward(self, gates: torch.Tensor, labels: torch.Tensor | None):
        """gates (B, T, M) or (T, M) -> (gates_used same shape, coef same shape | None)."""
        if self.vg is None or not self.training or labels is None:
            return gates, None
        return self.vg(gates, labels)

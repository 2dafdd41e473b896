"""Pieces every model shares, built from one ModelConfig: embedding, MLPs, experts, gates, towers."""
from __future__ import annotations

from torch import nn

from ..config import ModelConfig
from ..data.schema import FeatureSpec
from ..layers import MLP, ExpertGroup, FieldEmbedding, SoftmaxGate


def make_embedding(spec: FeatureSpec, cfg: ModelConfig) -> FieldEmbedding:
    """The model's own field embedding E (B, F, d)."""
    return FieldEmbedding(spec.vocab_sizes, spec.n_dense, cfg.embed_dim, sparse=cfg.sparse_grad,
                          dense_init=cfg.dense_init)


def make_mlp(in_dim: int, hidden, cfg: ModelConfig, out_dim: int | None = None) -> MLP:
    """An MLP with the config's dropout and batch norm."""
    return MLP(in_dim, hidden, out_dim, dropout=cfg.dropout, batch_norm=cfg.batch_norm)


def make_experts(n: int, in_dim: int, cfg: ModelConfig) -> ExpertGroup:
    """n parallel experts MLP(expert_hidden) over one input: (B, in_dim) -> (B, n, h)."""
    return ExpertGroup(n, in_dim, cfg.expert_hidden, dropout=cfg.dropout, batch_norm=cfg.batch_norm)


def make_gate(in_dim: int, n_out: int, cfg: ModelConfig) -> SoftmaxGate:
    """A per-sample gate softmax([BN](W x)) over n_out entries (`gate_norm`)."""
    return SoftmaxGate(in_dim, n_out, norm=cfg.gate_norm)


def make_towers(in_dim: int, spec: FeatureSpec, cfg: ModelConfig) -> nn.ModuleList:
    """One tower per task, in `spec.tasks` order: MLP(tower_hidden) -> 1 logit."""
    return nn.ModuleList(make_mlp(in_dim, cfg.tower_hidden, cfg, out_dim=1) for _ in spec.tasks)


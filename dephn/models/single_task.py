"""Single-task baselines (docs/decisions.md#baselines-and-shared-hyper-parameters): each registered
class is a `PerTask` container of one independent network (sparse, dense) -> (B,) logit per task.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..config import ModelConfig
from ..data.schema import FeatureSpec
from ..layers import CIN, BiInteraction, CrossNetwork, FieldInteraction, LinearPart
from .common import make_embedding, make_mlp
from .output import ModelOutput


class DNNNet(nn.Module):
    """Embedding -> [field-wise layer (B, F, d) -> (B, F, d)] -> flatten -> MLP(dnn_hidden) -> logit.
    `fields` builds the field-wise layer after the embedding (parameters seeded in order of use)."""

    def __init__(self, spec: FeatureSpec, cfg: ModelConfig, fields: Callable[[], nn.Module] | None = None):
        super().__init__()
        self.embedding = make_embedding(spec, cfg)
        self.fields = fields() if fields is not None else nn.Identity()
        self.deep = make_mlp(spec.n_fields * cfg.embed_dim, cfg.dnn_hidden, cfg, out_dim=1)

    def forward(self, sparse, dense):
        e = self.fields(self.embedding(sparse, dense))       # (B, F, d)
        return self.deep(e.flatten(1)).squeeze(-1)           # (B,)


class WideDeepNet(nn.Module):
    """Wide & Deep (Cheng et al., DLRS 2016): first-order linear part + DNN, logits added."""

    def __init__(self, spec: FeatureSpec, cfg: ModelConfig):
        super().__init__()
        self.wide = LinearPart(spec.vocab_sizes, spec.n_dense, sparse=cfg.sparse_grad)
        self.deep = DNNNet(spec, cfg)

    def forward(self, sparse, dense):
        return self.wide(sparse, dense) + self.deep(sparse, dense)  # (B,)


class DCNNet(nn.Module):
    """Deep & Cross (Wang et al., 2017 / 2021), parallel: [CrossNetwork(x0) ; MLP(x0)] -> linear."""

    def __init__(self, spec: FeatureSpec, cfg: ModelConfig):
        super().__init__()
        n = spec.n_fields * cfg.embed_dim
        self.embedding = make_embedding(spec, cfg)
        self.cross = CrossNetwork(n, cfg.cross_layers, cfg.cross_version, cfg.cross_rank)
        self.deep = make_mlp(n, cfg.dnn_hidden, cfg)
        self.head = nn.Linear(n + self.deep.out_dim, 1)

    def forward(self, sparse, dense):
        x0 = self.embedding(sparse, dense).flatten(1)        # (B, F*d)
        h = torch.cat([self.cross(x0), self.deep(x0)], 1)    # (B, F*d + h)
        return self.head(h).squeeze(-1)                      # (B,)


class FINTNet(DNNNet):
    """FINT (Zhao et al. 2021): field-aware interaction layers, then an MLP over flattened V_L."""

    def __init__(self, spec: FeatureSpec, cfg: ModelConfig):
        super().__init__(spec, cfg, fields=lambda: FieldInteraction(spec.n_fields, cfg.fint_layers))


class NFMNet(nn.Module):
    """NFM (He & Chua, SIGIR 2017): linear part + MLP over bi-interaction pooling."""

    def __init__(self, spec: FeatureSpec, cfg: ModelConfig):
        super().__init__()
        self.linear = LinearPart(spec.vocab_sizes, spec.n_dense, sparse=cfg.sparse_grad)
        self.embedding = make_embedding(spec, cfg)
        self.bi = BiInteraction()
        self.deep = make_mlp(cfg.embed_dim, cfg.dnn_hidden, cfg, out_dim=1)

    def forward(self, sparse, dense):
        pooled = self.bi(self.embedding(sparse, dense))      # (B, d)
        return self.linear(sparse, dense) + self.deep(pooled).squeeze(-1)  # (B,)


class XDeepFMNet(nn.Module):
    """xDeepFM (Lian et al., KDD 2018): linear part + CIN -> linear + DNN, logits added."""

    def __init__(self, spec: FeatureSpec, cfg: ModelConfig):
        super().__init__()
        self.linear = LinearPart(spec.vocab_sizes, spec.n_dense, sparse=cfg.sparse_grad)
        self.embedding = make_embedding(spec, cfg)
        self.cin = CIN(spec.n_fields, cfg.embed_dim, cfg.cin_layers)
        self.cin_head = nn.Linear(self.cin.out_dim, 1)
        self.deep = make_mlp(spec.n_fields * cfg.embed_dim, cfg.dnn_hidden, cfg, out_dim=1)

    def forward(self, sparse, dense):
        e = self.embedding(sparse, dense)                    # (B, F, d)
        cin = self.cin_head(self.cin(e)).squeeze(-1)         # (B,)
        deep = self.deep(e.flatten(1)).squeeze(-1)           # (B,)
        return self.linear(sparse, dense) + cin + deep       # (B,)


class PerTask(nn.Module):
    """One independent `net_cls(spec, cfg)` per task; forward returns {task: logit}."""

    net_cls: type[nn.Module]

    def __init__(self, spec: FeatureSpec, cfg: ModelConfig):
        super().__init__()
        self.tasks = tuple(spec.tasks)
        self.nets = nn.ModuleList(self.net_cls(spec, cfg) for _ in self.tasks)

    def forward(self, sparse: torch.Tensor, dense: torch.Tensor) -> ModelOutput:
        return ModelOutput(logits={t: net(sparse, dense) for t, net in zip(self.tasks, self.nets)})


def per_task(name: str, net_cls: type[nn.Module]) -> type[PerTask]:
    """The single-task model class `name`: one independent `net_cls` per task."""
    return type(name, (PerTask,), {"net_cls": net_cls, "__doc__": f"One {net_cls.__name__} per task.",
                                   "__module__": __name__})


DNN = per_task("DNN", DNNNet)
WideDeep = per_task("WideDeep", WideDeepNet)
DCN = per_task("DCN", DCNNet)
FINT = per_task("FINT", FINTNet)
NFM = per_task("NFM", NFMNet)
XDeepFM = per_task("XDeepFM", XDeepFMNet)

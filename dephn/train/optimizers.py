"""The optimizers of a model: Adam for dense parameters, RowAdam (SparseAdam's rule) for sparse
embedding tables, the gates' own optimizer when the config asks for one."""
from __future__ import annotations

import torch
from torch import nn

from .config import TrainConfig
from .probe import gate_parameters
from .row_adam import RowAdam


def sparse_parameters(model: nn.Module) -> list[nn.Parameter]:
    """Weights of embedding tables that produce sparse gradients (trained by `RowAdam`)."""
    return [m.weight for m in model.modules()
            if isinstance(m, (nn.Embedding, nn.EmbeddingBag)) and m.sparse]


def make_optimizers(model: nn.Module, cfg: TrainConfig, extra: list[nn.Parameter] = ()) -> list[torch.optim.Optimizer]:
    """Adam for dense parameters (and `extra`, e.g. a balancing method's own values), RowAdam for
    sparse embedding tables; the gate parameters follow `gate_optimizer` / `gate_lr` (with Adam
    at the common rate they are just part of the dense set: Adam's update is per parameter, so
    grouping changes nothing)."""
    sparse = sparse_parameters(model)
    apart = cfg.gate_optimizer != "adam" or cfg.gate_lr is not None
    gates = gate_parameters(model) if apart else []
    skip = {id(p) for p in sparse} | {id(p) for p in gates}
    dense = [p for p in model.parameters() if id(p) not in skip and p.requires_grad] + list(extra)
    return optimizers_for(dense, gates, sparse, cfg)


def optimizers_for(dense: list, gates: list, sparse: list, cfg: TrainConfig) -> list[torch.optim.Optimizer]:
    """Adam over `dense`, the gates' optimizer over `gates`, RowAdam over the embedding tables."""
    opts = []
    if dense:
        opts.append(torch.optim.Adam(dense, lr=cfg.lr, weight_decay=cfg.weight_decay))
    if gates:
        gate_lr = cfg.gate_lr if cfg.gate_lr is not None else cfg.lr
        opts.append(torch.optim.SGD(gates, lr=gate_lr) if cfg.gate_optimizer == "sgd"
                    else torch.optim.Adam(gates, lr=gate_lr, weight_decay=cfg.weight_decay))
    if sparse:
        opts.append(RowAdam(sparse, lr=cfg.sparse_lr))         # SparseAdam's rule, leaner
    return opts

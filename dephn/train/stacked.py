"""C copies of one architecture as one vectorised model (`torch.func.vmap` over stacked weights).

Every dense parameter and buffer of the C copies is stacked along a new leading axis
(`torch.func.stack_module_state`), and one forward computes all copies with
`functional_call` under `vmap`: inputs (C, B, ...), outputs (C, ...), so the products are C
times larger than a single run's. The copies stay independent: copy c's outputs read only
copy c's weights and inputs, so the gradient of the sum of the copies' losses is, for each
copy, exactly its own gradient.

Sparse embedding tables are not stacked but concatenated: copy c's (V, d) table becomes rows
[c*V, (c+1)*V) of one (C*V, d) table, which every copy's forward reads through its own row
offsets (the `FieldEmbedding.offsets` buffer of copy c is shifted by c*V). The table keeps its
sparse gradient, and `RowAdam` on it updates each copy's rows with SparseAdam's rule as the
copy's own optimizer would: the rule is per row, the rows of two copies never meet, and every
copy steps at every step, so the step count is the same.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from ..errors import DephnError
from ..layers import FieldEmbedding
from .config import TrainConfig
from .policy import VirtualGradientPolicy
from .probe import gate_parameters
from .optimizers import optimizers_for
from .step import task_losses
from .vmap_forwards import vmap_forwards


def sparse_tables(model: nn.Module) -> list[str]:
    """Names of the `FieldEmbedding`s whose table has sparse gradients; an error for any other
    sparse embedding (it has no row offsets to shift per copy)."""
    fields = {f"{name}.table": name for name, m in model.named_modules() if isinstance(m, FieldEmbedding)}
    out = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.Embedding, nn.EmbeddingBag)) and m.sparse:
            if name not in fields:
                raise DephnError(f"multi-copy training: the sparse embedding {name!r} of "
                                 f"{type(model).__name__} is not a FieldEmbedding table; set sparse_grad=false "
                                 "or train the copies separately")
            out.append(fields[name])
    return out


class StackedCopies:
    """The C copies' weights stacked, their vectorised training forward, and their optimizers.

    `models` are the copies as separately built (same class and config); they are left as built
    until `write_copy(c)` copies copy c's current weights into `models[c]`.
    """

    def __init__(self, models: Sequence[nn.Module], tasks: tuple[str, ...],
                 policy: VirtualGradientPolicy | None, device: torch.device):
        self.models, self.tasks, self.policy, self.device = list(models), tasks, policy, device
        self.base = self.models[0]                      # the module structure functional_call runs
        self.copies = len(self.models)
        for m in self.models:
            m.to(device)
        params, buffers = stack_module_state(self.models)          # name -> (C, ...)
        self.offset_keys, self.tables = [], {}
        for prefix in sparse_tables(self.base):
            key = f"{prefix}.table.weight"
            stacked = params.pop(key).detach()                      # (C, V, d)
            c, v, d = stacked.shape
            self.tables[key] = stacked.reshape(c * v, d).requires_grad_()   # (C*V, d)
            off = f"{prefix}.offsets"
            buffers[off] = buffers[off] + v * torch.arange(c, device=device).unsqueeze(1)   # (C, S)
            self.offset_keys.append(off)
        self.params, self.buffers = params, buffers
        # (C,): what each copy's forward hands the policy's operator: its setting's index
        self.which = (policy.operator.index if policy is not None else torch.zeros(self.copies)).to(device)
        self._forward = vmap(self._one, in_dims=(0, 0, 0, 0, 0, 0))

    def _one(self, params, buffers, which, sparse, dense, labels):
        """One copy's training forward (under vmap): (per-task losses (T,), aux loss (), VG coefficients)."""
        policy = self.policy
        if policy is not None:
            policy.operator.which = which
            policy.set_labels(labels)
        with vmap_forwards(self.base):
            out = functional_call(self.base, ({**params, **self.tables}, buffers), (sparse, dense))
        coef = {}
        if policy is not None:
            policy.set_labels(None)
            coef, policy.coef = dict(policy.coef), {}      # batched values: returned, not kept
        losses = task_losses(out, labels, self.tasks)                               # (T,)
        aux = out.aux_loss.float() if out.aux_loss is not None else losses.new_zeros(())
        return losses, aux, coef

    def forward(self, sparse: torch.Tensor, dense: torch.Tensor, labels: torch.Tensor):
        """sparse (C, B, S), dense (C, B, D), labels (C, B, T) -> per-task losses (C, T),
        aux losses (C,), VG coefficients {hook: (C, ...)}."""
        self.base.train()
        return self._forward(self.params, self.buffers, self.which, sparse, dense, labels)

    def optimizers(self, cfg: TrainConfig) -> list[torch.optim.Optimizer]:
        """The optimizers `make_optimizers` gives one copy, over the stacked weights: Adam (and the
        gates' own optimizer when the config asks) element-wise, RowAdam per row."""
        apart = cfg.gate_optimizer != "adam" or cfg.gate_lr is not None
        gate_ids = {id(p) for p in gate_parameters(self.base)} if apart else set()
        gate_names = {n for n, p in self.base.named_parameters() if id(p) in gate_ids}
        dense = [p for n, p in self.params.items() if n not in gate_names and p.requires_grad]
        gates = [p for n, p in self.params.items() if n in gate_names and p.requires_grad]
        return optimizers_for(dense, gates, list(self.tables.values()), cfg)

    @torch.no_grad()
    def write_copy(self, c: int) -> nn.Module:
        """Copy c's current weights and buffers into `models[c]` (which is returned)."""
        model = self.models[c]
        own = dict(model.named_parameters())
        own.update(model.named_buffers())
        for name, value in self.params.items():
            own[name].copy_(value[c])
        for name, value in self.buffers.items():
            if name not in self.offset_keys:
                own[name].copy_(value[c])
        for name, table in self.tables.items():
            rows = own[name].shape[0]
            own[name].copy_(table[c * rows:(c + 1) * rows])
        return model

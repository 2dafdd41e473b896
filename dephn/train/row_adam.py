"""Adam for embedding tables with sparse gradients, touching only the rows a batch used.

The update rule is torch.optim.SparseAdam's, row for row (tested equal): for every row r in
the batch, with g_r the sum of its gradients,

    m_r <- b1 m_r + (1 - b1) g_r        v_r <- b2 v_r + (1 - b2) g_r^2
    w_r <- w_r - lr * sqrt(1 - b2^t) / (1 - b1^t) * m_r / (sqrt(v_r) + eps)

with t the table's step count; rows the batch did not use keep their weights and moments.
SparseAdam builds this from sparse-tensor operations (coalesce, sparse masks, sparse adds),
whose bookkeeping costs more than the arithmetic at recommender batch sizes (a 1024-row batch
of 26 fields touches ~15k rows of 16 floats). Here the rows are found once (`torch.unique`),
their gradients summed with one `index_add_`, and the moments and weights read and written
with `index_select` / `index_copy_`: about 1.5x faster per step on a 2-core CPU.
"""
from __future__ import annotations

import math

import torch


class RowAdam(torch.optim.Optimizer):
    """SparseAdam's rule over the rows present in each parameter's sparse (COO) gradient.

    Every parameter must be 2-D (rows x dim) and receive sparse gradients, as an
    `nn.Embedding(sparse=True)` weight does; the gradient may be coalesced or not.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8):
        if lr < 0:
            raise ValueError(f"invalid learning rate {lr}")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"invalid betas {betas}")
        if eps < 0:
            raise ValueError(f"invalid eps {eps}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if not grad.is_sparse or p.dim() != 2:
                    raise RuntimeError("RowAdam needs 2-D parameters with sparse gradients "
                                       "(nn.Embedding(sparse=True)); use torch.optim.Adam for the others")
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["step"] += 1
                t = state["step"]
                ids, values = grad._indices()[0], grad._values()                # (nnz,), (nnz, d)
                rows, where = torch.unique(ids, return_inverse=True)            # (U,), (nnz,)
                g = values.new_zeros(len(rows), values.shape[1]).index_add_(0, where, values)  # (U, d)
                m = state["exp_avg"].index_select(0, rows).lerp_(g, 1 - b1)     # (U, d)
                v = state["exp_avg_sq"].index_select(0, rows).mul_(b2).addcmul_(g, g, value=1 - b2)
                state["exp_avg"].index_copy_(0, rows, m)
                state["exp_avg_sq"].index_copy_(0, rows, v)
                step_size = group["lr"] * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                update = m.div_(v.sqrt_().add_(group["eps"]))                   # (U, d)
                p.index_copy_(0, rows, p.index_select(0, rows).add_(update, alpha=-step_size))
        return loss

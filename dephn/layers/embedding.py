"""Field embedding: the shared matrix E in R^{B x F x d} (docs/decisions.md#inputs-and-embedding),
every sparse field in ONE fused table (sparse gradients: the fast path on CPU) with row offsets.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..config import DENSE_INITS

# sparse rows (and "small" dense vectors) start at N(0, 1e-2^2); "unit" dense vectors at N(0, 1/d)
# (docs/decisions.md#dense-field-vectors)
EMBED_INIT_STD = 1e-2


def field_offsets(vocab_sizes: Sequence[int]) -> torch.Tensor:
    """Row offset of each field in a fused table: exclusive cumulative sum of the vocab sizes."""
    sizes = torch.as_tensor(list(vocab_sizes), dtype=torch.long)  # (S,)
    return torch.cumsum(sizes, 0) - sizes                         # (S,)


class FieldEmbedding(nn.Module):
    """E = [sparse field vectors ; dense field vectors], (B, F=S+D, d). Sparse field s with id i
    (0 = out-of-vocabulary) reads row offsets[s] + i (ids trusted to lie in [0, vocab_sizes[s]));
    dense field j is e_j = x_j * v_j, v_j a learned vector started as `dense_init` says."""

    def __init__(self, vocab_sizes: Sequence[int], n_dense: int, dim: int, sparse: bool = True,
                 dense_init: str = "unit"):
        super().__init__()
        self.vocab_sizes = tuple(int(v) for v in vocab_sizes)
        if any(v < 1 for v in self.vocab_sizes):
            raise ValueError(f"every vocab size must be >= 1, got {self.vocab_sizes}")
        self.n_sparse, self.n_dense, self.dim = len(self.vocab_sizes), int(n_dense), int(dim)
        # max(.., 1): a data set with dense fields only still gets a (never read) valid table
        self.table = nn.Embedding(max(sum(self.vocab_sizes), 1), dim, sparse=sparse)
        self.register_buffer("offsets", field_offsets(self.vocab_sizes))  # (S,)
        self.dense_weight = nn.Parameter(torch.empty(self.n_dense, dim))   # (D, d)
        nn.init.normal_(self.table.weight, std=EMBED_INIT_STD)
        if dense_init not in DENSE_INITS:
            raise ValueError(f"dense_init must be one of {DENSE_INITS}, got {dense_init!r}")
        nn.init.normal_(self.dense_weight, std=EMBED_INIT_STD if dense_init == "small" else dim ** -0.5)

    def forward(self, sparse: torch.Tensor, dense: torch.Tensor) -> torch.Tensor:
        e_sparse = self.table(sparse + self.offsets)                 # (B, S, d)
        if self.n_dense == 0:
            return e_sparse
        e_dense = dense.unsqueeze(-1) * self.dense_weight            # (B, D, d)
        return torch.cat([e_sparse, e_dense], dim=1)                 # (B, F, d)

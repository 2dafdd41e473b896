"""The "wide" (first-order) part of Wide&Deep, NFM and xDeepFM: y_lin = b + sum_s w[s, id_s] + sum_j u_j x_j."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .embedding import field_offsets


class LinearPart(nn.Module):
    """First-order logit, (B,). Zero-initialised: the model starts as its deep part alone."""

    def __init__(self, vocab_sizes: Sequence[int], n_dense: int, sparse: bool = True):
        super().__init__()
        vocab_sizes = tuple(int(v) for v in vocab_sizes)
        self.weight = nn.Embedding(max(sum(vocab_sizes), 1), 1, sparse=sparse)
        self.register_buffer("offsets", field_offsets(vocab_sizes))  # (S,)
        self.dense_weight = nn.Parameter(torch.zeros(int(n_dense)))   # (D,)
        self.bias = nn.Parameter(torch.zeros(()))
        nn.init.zeros_(self.weight.weight)

    def forward(self, sparse: torch.Tensor, dense: torch.Tensor) -> torch.Tensor:
        w_sparse = self.weight(sparse + self.offsets).sum(dim=(1, 2))  # (B,)
        w_dense = dense @ self.dense_weight                            # (B,)
        return w_sparse + w_dense + self.bias                          # (B,)

"""SNR-Trans: sub-network routing (Ma et al., AAAI 2019).

K shared lower sub-networks u_k, one upper sub-network (tower) per task, connected by
transformations gated by coding variables z (hard concrete, Louizos et al., ICLR 2018):

    v_t = sum_k z_tk W_tk u_k,      W_tk in R^{h x h},  logit_t = tower_t(v_t)
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..config import ModelConfig
from ..data.schema import FeatureSpec
from .common import make_embedding, make_experts, make_towers
from .output import ModelOutput

STRETCH = (-0.1, 1.1)  # (gamma, zeta): the stretch interval of the hard concrete


class HardConcrete(nn.Module):
    """Coding variables z in [0, 1], one learnable log_alpha each (from 0: half open).
    Training: u ~ U(0, 1), s = sigmoid((log u - log(1 - u) + log_alpha) / beta), one draw per
    forward; eval: s = sigmoid(log_alpha). Then z = clamp(s * (zeta - gamma) + gamma, 0, 1)."""

    def __init__(self, shape: tuple[int, ...], beta: float):
        super().__init__()
        self.log_alpha = nn.Parameter(torch.zeros(shape))
        self.beta = float(beta)

    def forward(self) -> torch.Tensor:
        gamma, zeta = STRETCH
        if self.training:
            u = torch.rand_like(self.log_alpha).clamp(1e-6, 1 - 1e-6)
            s = torch.sigmoid((torch.log(u) - torch.log1p(-u) + self.log_alpha) / self.beta)
        else:
            s = torch.sigmoid(self.log_alpha)
        return (s * (zeta - gamma) + gamma).clamp(0.0, 1.0)

    def expected_l0(self) -> torch.Tensor:
        """sum P(z != 0) = sum sigmoid(log_alpha - beta * log(-gamma / zeta)) (Louizos eq. 12)."""
        gamma, zeta = STRETCH
        return torch.sigmoid(self.log_alpha - self.beta * math.log(-gamma / zeta)).sum()


class SNRTrans(nn.Module):
    """SNR-Trans, K = cfg.n_experts; aux_loss = cfg.snr_l0_weight * E[L0(z)].
    Intermediates: "snr/z" (T, K) this forward's coding variables, "experts" (B, K, h)."""

    def __init__(self, spec: FeatureSpec, cfg: ModelConfig):
        super().__init__()
        self.tasks = tuple(spec.tasks)
        self.l0_weight = cfg.snr_l0_weight
        n_in, k, n_tasks = spec.n_fields * cfg.embed_dim, cfg.n_experts, len(spec.tasks)
        self.embedding = make_embedding(spec, cfg)
        self.experts = make_experts(k, n_in, cfg)
        h = self.experts.out_dim
        self.transforms = nn.Parameter(torch.empty(n_tasks, k, h, h))  # (T, K, h_out, h_in)
        for t in range(n_tasks):
            for j in range(k):
                nn.init.xavier_uniform_(self.transforms.data[t, j])
        self.coding = HardConcrete((n_tasks, k), cfg.snr_beta)
        self.towers = make_towers(h, spec, cfg)

    def forward(self, sparse: torch.Tensor, dense: torch.Tensor) -> ModelOutput:
        x = self.embedding(sparse, dense).flatten(1)                       # (B, F*d)
        u = self.experts(x)                                                # (B, K, h)
        z = self.coding()                                                  # (T, K)
        t, k, h, _ = self.transforms.shape
        # fold z into W, then one matmul: v[b, t] = sum_k z_tk W_tk u_bk
        w = (z[:, :, None, None] * self.transforms)                        # (T, K, h, h)
        w = w.permute(0, 2, 1, 3).reshape(t * h, k * h)                    # (T*h, K*h)
        v = (u.reshape(-1, k * h) @ w.T).view(-1, t, h)                    # (B, T, h)
        logits = {name: tower(v[:, i]).squeeze(-1)                         # (B,) each
                  for i, (name, tower) in enumerate(zip(self.tasks, self.towers))}
        return ModelOutput(logits=logits, intermediates={"snr/z": z, "experts": u},
                           aux_loss=self.l0_weight * self.coding.expected_l0())

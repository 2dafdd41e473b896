"""DEPHN: different expression parallel heterogeneous network (IJCNN 2023, §III; docs/decisions.md#dephn-model).

  E = embedding, SSG + HIL as MT-PHN (`heterogeneous.py`)
  public experts  e_k, k = 1..K             (B, K, h)   K DNN experts in the default setting
  explicit maps   f_p(e_k), p = 1..P        (B, K, P, h) element-wise (`MAPPINGS`, eq. 4)
  gates           G^t_kp per task:
                    "tvg": global trainable values (T, K*P)           (paper's pick), as they are
                           (`tvg_norm="none"`), or softmax over (k, p) / sigmoid
                    "mg":  per sample softmax(W_t z), z = flatten(E)
  public logit    s^pub_t = sum_kp W^t_kp . (G^t_kp f_p(e_k)) + b^pub_t          (eq. 4)
  private logit   s^pri_t = sum_k' W^t_k' . e^k'_pri,t + b^pri_t                  (eq. 5)
  output          "sigmoid_of_sum":  y_t = sigmoid(s^pub_t + s^pri_t)             (see below)
                  "sum_of_sigmoids": y_t = clip(sigmoid(s^pub_t) + sigmoid(s^pri_t)) (eq. 6 literally)

With the linear public tower, W^t_kp . (G^t_kp f_p(e_k)) = G^t_kp (W^t_kp . f_p(e_k)) is
recorded per (k, p) as "contrib/<task>" (B, K, P); `public_tower="mlp"` reads the concatenated
gated blocks instead. Other expert settings move experts between the paths as in MT-PHN.
The gates pass a `GateHook` (entries (K, P)), where the virtual gradient attaches
(docs/decisions.md#virtual-gradient, eqs. 7–9).
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn

from ..config import ModelConfig
from ..data.schema import FeatureSpec
from ..errors import DephnError
from ..layers import GateHook, TrainableValueGate
from .common import make_embedding, make_gate, make_mlp
from .heterogeneous import ParallelHeterogeneousLayers, TaskLinear
from .output import ModelOutput


def raw(x: torch.Tensor) -> torch.Tensor:
    """"RM", raw mapping: the expert output itself (Fig. 2a)."""
    return x


# Explicit element-wise mappings f_p (eq. 4): "raw" (RM), "sin", "cos" (TM); the others for ablations.
MAPPINGS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "raw": raw,
    "sin": torch.sin,
    "cos": torch.cos,
    "square": torch.square,
    "tanh": torch.tanh,
}

# The literal sum-of-sigmoids output (eq. 6) is clipped to [PROB_EPS, 1 - PROB_EPS]; both
# biases start at logit(1/4), so it starts near 1/2, not on the clip (docs/decisions.md#output-and-loss).
PROB_EPS = 1e-6
SUM_OF_SIGMOIDS_BIAS = math.log(0.25 / 0.75)


def _check_mappings(names) -> None:
    unknown = [m for m in names if m not in MAPPINGS]
    if unknown:
        raise DephnError(f"unknown explicit mapping(s) {unknown}; known: {', '.join(MAPPINGS)}")
    if len(set(names)) != len(names):
        raise DephnError(f"explicit mappings are repeated: {list(names)}")


class DEPHN(nn.Module):
    """DEPHN (Kong et al., IJCNN 2023): PHN experts, explicit mappings, TVG/MG gates,
    public + private logits, and the virtual gradient on the gates."""

    def __init__(self, spec: FeatureSpec, cfg: ModelConfig):
        super().__init__()
        _check_mappings(cfg.mappings)
        self.tasks, self.cfg = tuple(spec.tasks), cfg
        n_fields, n_tasks = spec.n_fields, len(spec.tasks)
        self.embedding = make_embedding(spec, cfg)
        self.phl = ParallelHeterogeneousLayers(n_fields, n_tasks, cfg)
        self.mappings = tuple(MAPPINGS[m] for m in cfg.mappings)
        k, p, h = len(self.phl.public_kinds), len(self.mappings), self.phl.out_dim
        self.kph = (k, p, h)
        if cfg.gate == "tvg":
            self.gate = TrainableValueGate(n_tasks, k * p, norm=cfg.tvg_norm)
        else:
            self.gate = nn.ModuleList(make_gate(n_fields * cfg.embed_dim, k * p, cfg) for _ in spec.tasks)
        if cfg.public_tower == "linear":
            bound = 1.0 / math.sqrt(k * p * h)  # nn.Linear's init over the K*P*h concatenation
            # W^t_kp and b^pub_t of eq. 4, all tasks in one tensor
            self.public_weight = nn.Parameter(torch.empty(n_tasks, k, p, h).uniform_(-bound, bound))  # (T,K,P,h)
            self.public_bias = nn.Parameter(torch.empty(n_tasks).uniform_(-bound, bound))  # (T,)
        else:
            self.public_towers = nn.ModuleList(
                make_mlp(k * p * h, cfg.tower_hidden, cfg, out_dim=1) for _ in spec.tasks)
        self.private_head = TaskLinear(n_tasks, len(self.phl.private_kinds) * h, bias=True)
        self.gate_hook = GateHook("gates", entries=(k, p))
        if cfg.output == "sum_of_sigmoids":
            self._start_sum_of_sigmoids_at_half()

    @torch.no_grad()
    def _start_sum_of_sigmoids_at_half(self) -> None:
        if self.cfg.public_tower == "linear":
            self.public_bias.fill_(SUM_OF_SIGMOIDS_BIAS)
        else:
            for tower in self.public_towers:
                tower.net[-1].bias.fill_(SUM_OF_SIGMOIDS_BIAS)  # the tower's final Linear
        self.private_head.bias.fill_(SUM_OF_SIGMOIDS_BIAS)

    def _gates(self, e: torch.Tensor) -> torch.Tensor:
        if self.cfg.gate == "tvg":
            return self.gate()                                          # (T, K*P)
        z = e.flatten(1)                                                # (B, F*d)
        return torch.stack([g(z) for g in self.gate], dim=1)            # (B, T, K*P)

    def forward(self, sparse: torch.Tensor, dense: torch.Tensor) -> ModelOutput:
        k, p, h = self.kph
        e = self.embedding(sparse, dense)                               # (B, F, d)
        phl = self.phl(e)                                               # public (B, K, h)
        mapped = torch.stack([f(phl.public) for f in self.mappings], dim=2)  # (B, K, P, h)

        gates = self._gates(e)                                          # (T, K*P) | (B, T, K*P)
        gates = self.gate_hook(gates)                                   # policies attach here
        gates = gates.unflatten(-1, (k, p))                             # (T, K, P) | (B, T, K, P)
        # TVG gates are global: give them a batch axis that broadcasts
        g_b = gates.unsqueeze(0) if gates.dim() == 3 else gates        # (1|B, T, K, P)

        inter: dict[str, torch.Tensor] = {f"ssg/{s}": g for s, g in phl.ssg.items()}
        inter["experts"] = phl.public                                   # (B, K, h)
        if self.cfg.public_tower == "linear":
            proj = torch.einsum("bkph,tkph->btkp", mapped, self.public_weight)  # (B, T, K, P)
            contrib = g_b * proj                                        # (B, T, K, P)
            public = contrib.sum(dim=(2, 3)) + self.public_bias         # (B, T)
            for t, name in enumerate(self.tasks):
                inter[f"contrib/{name}"] = contrib[:, t]                # (B, K, P)
        else:
            # unbind, not gated[:, t]: the backward then stacks the tasks' gradients into one
            # buffer instead of zero-filling a (B, T, K, P, h) one per task and adding them
            gated = g_b.unsqueeze(-1) * mapped.unsqueeze(1)             # (B, T, K, P, h)
            public = torch.cat([tower(z.flatten(1)) for z, tower in
                                zip(gated.unbind(1), self.public_towers)], dim=1)  # (B, T)
        private = self.private_head(phl.private.flatten(2))             # (B, T)

        probs = None
        if self.cfg.output == "sigmoid_of_sum":
            logits = public + private                                   # (B, T)
        else:
            prob = torch.sigmoid(public) + torch.sigmoid(private)       # (B, T) in (0, 2)
            prob = prob.clamp(PROB_EPS, 1.0 - PROB_EPS)                 # (B, T)
            logits = torch.log(prob) - torch.log1p(-prob)               # (B, T) logit(prob)
            probs = {name: prob[:, t] for t, name in enumerate(self.tasks)}

        for t, name in enumerate(self.tasks):
            inter[f"gates/{name}"] = gates[..., t, :, :]                # (K, P) | (B, K, P)
            inter[f"public_logit/{name}"] = public[:, t]                # (B,)
            inter[f"private_logit/{name}"] = private[:, t]              # (B,)
        return ModelOutput(logits={name: logits[:, t] for t, name in enumerate(self.tasks)},
                           intermediates=inter, probs=probs)

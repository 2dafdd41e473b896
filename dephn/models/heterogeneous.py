"""Parallel heterogeneous layers (PHN, paper §III-A), shared by MT-PHN and DEPHN
(docs/decisions.md#mt-phn-expert-settings: the expert settings of Table I).

  E (B, F, d) --shared MSA--> E_SA
  one SSG per structure:  E_sg^s = G_sg^s * E_SA + (1 - G_sg^s) * E        (eq. 1)
  HIL experts:  DNN   = MLP(flatten(E_sg^dnn))        (all DNN experts of a path: one ExpertGroup)
                Cross = Linear(CrossNetwork(flatten(E_sg^cross)))      (DCN v1 / v2)
                Field = MLP(flatten(FINT(E_sg^field)))                 (FINT)
  every expert returns (B, h), h = cfg.expert_hidden[-1]; public experts are shared and gated,
  private ones have one copy per task (one module per kind holds every task's copy, `copies=T`).
With `cfg.ssg = False` (an ablation) every structure reads E itself.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ..config import ModelConfig
from ..layers import CrossNetwork, FieldInteraction, FieldSelfAttention, SoftSelectionGate
from .common import make_experts

STRUCTURES = ("dnn", "cross", "field")


def expert_layout(setting: str, n_dnn: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(public expert kinds, private expert kinds of each task) for a Table I expert setting."""
    layouts = {
        "D_pub,C&F_pri": (("dnn",) * n_dnn, ("cross", "field")),
        "D_pub,C&F_pub": (("dnn",) * n_dnn + ("cross", "field"), ()),
        "D_pri,C&F_pub": (("cross", "field"), ("dnn",)),
        "D_pub": (("dnn",) * n_dnn, ()),                 # ablation: no Cross / Field expert at all
    }
    if setting not in layouts:
        raise ValueError(f"expert setting {setting!r} is not one of {sorted(layouts)}")
    return layouts[setting]


class SoftSelection(nn.Module):
    """One self-attention shared by all structures, one SSG vector per structure (eq. 1):
    E (B, F, d) -> {structure: E_sg (B, F, d)}; `vectors()` are the G_sg (paper Fig. 3a)."""

    def __init__(self, dim: int, heads: int, layers: int, structures=STRUCTURES):
        super().__init__()
        self.attention = FieldSelfAttention(dim, heads, layers)
        self.gates = nn.ModuleDict({s: SoftSelectionGate(dim) for s in structures})

    def forward(self, e: torch.Tensor) -> dict[str, torch.Tensor]:
        e_sa = self.attention(e)                                       # (B, F, d)
        return {s: gate(e, e_sa) for s, gate in self.gates.items()}    # each (B, F, d)

    def vectors(self) -> dict[str, torch.Tensor]:
        return {s: gate.g for s, gate in self.gates.items()}           # each (d,)


class CrossExpert(nn.Module):
    """CrossNetwork over the flattened fields, then a linear projection: (B, F, d) -> (B, h).
    copies=C: C independent experts over the same input, (B, F, d) -> (B, C, h) (C plain
    matmuls: at these widths faster on CPU than one batched matmul)."""

    def __init__(self, n_fields: int, dim: int, cfg: ModelConfig, copies: int | None = None):
        super().__init__()
        self.copies = copies
        n = n_fields * dim
        self.cross = nn.ModuleList(CrossNetwork(n, cfg.cross_layers, cfg.cross_version, cfg.cross_rank)
                                   for _ in range(copies or 1))
        self.proj = nn.ModuleList(nn.Linear(n, cfg.expert_hidden[-1]) for _ in range(copies or 1))

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        x0 = e.flatten(1)                                              # (B, F*d)
        out = [proj(cross(x0)) for cross, proj in zip(self.cross, self.proj)]  # C x (B, h)
        return out[0] if self.copies is None else torch.stack(out, dim=1)      # (B, [C,] h)


class FieldExpert(nn.Module):
    """FINT field interactions, then an MLP: (B, F, d) -> (B, h). copies=C: C independent
    experts computed together (batched FINT, one ExpertGroup), (B, F, d) -> (B, C, h)."""

    def __init__(self, n_fields: int, dim: int, cfg: ModelConfig, copies: int | None = None):
        super().__init__()
        self.copies = copies
        self.fint = FieldInteraction(n_fields, cfg.fint_layers, copies=copies)
        self.mlp = make_experts(copies or 1, n_fields * dim, cfg)

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        v = self.fint(e)                                               # (B, [C,] F, d)
        if self.copies is None:
            return self.mlp(v.flatten(1))[:, 0]                        # (B, h)
        return self.mlp(v.flatten(2))                                  # (B, C, h)


# the explicit-interaction experts; DNN experts (implicit interactions) are an ExpertGroup
EXPERTS: dict[str, type[nn.Module]] = {"cross": CrossExpert, "field": FieldExpert}


@dataclass
class HeterogeneousOutput:
    public: torch.Tensor             # (B, K_pub, h) shared experts, in `public_kinds` order
    private: torch.Tensor            # (B, T, K_pri, h) each task's own experts (K_pri may be 0)
    ssg: dict[str, torch.Tensor]     # structure -> G_sg (d,)


class ParallelHeterogeneousLayers(nn.Module):
    """SSG + HIL: E (B, F, d) in, public and private expert outputs out; each expert reads
    the SSG output of its own structure. `private_dnn` holds one DNN expert per task (expert
    t = task t's), `private_other` one module per Cross / Field kind with every task's copy."""

    def __init__(self, n_fields: int, n_tasks: int, cfg: ModelConfig):
        super().__init__()
        self.public_kinds, self.private_kinds = expert_layout(cfg.expert_setting, cfg.n_experts)
        self.n_tasks, self.out_dim = n_tasks, cfg.expert_hidden[-1]
        self.ssg = SoftSelection(cfg.embed_dim, cfg.attn_heads, cfg.attn_layers) if cfg.ssg else None
        n_in = n_fields * cfg.embed_dim
        n_dnn = self.public_kinds.count("dnn")
        self.public_dnn = make_experts(n_dnn, n_in, cfg) if n_dnn else None
        self.private_dnn = make_experts(n_tasks, n_in, cfg) if "dnn" in self.private_kinds else None
        self.public_other_kinds = tuple(k for k in self.public_kinds if k != "dnn")
        self.private_other_kinds = tuple(k for k in self.private_kinds if k != "dnn")
        self.public_other = nn.ModuleList(
            EXPERTS[k](n_fields, cfg.embed_dim, cfg) for k in self.public_other_kinds)
        self.private_other = nn.ModuleList(
            EXPERTS[k](n_fields, cfg.embed_dim, cfg, copies=n_tasks) for k in self.private_other_kinds)

    def forward(self, e: torch.Tensor) -> HeterogeneousOutput:
        e_sg = self.ssg(e) if self.ssg is not None else dict.fromkeys(STRUCTURES, e)  # structure -> (B, F, d)
        public = []
        if self.public_dnn is not None:
            public.append(self.public_dnn(e_sg["dnn"].flatten(1)))     # (B, K_dnn, h)
        public += [x(e_sg[k]).unsqueeze(1)
                   for x, k in zip(self.public_other, self.public_other_kinds)]  # (B, 1, h) each
        private = []
        if self.private_dnn is not None:
            private.append(self.private_dnn(e_sg["dnn"].flatten(1)).unsqueeze(2))  # (B, T, 1, h)
        if self.private_other_kinds:
            private.append(torch.stack([x(e_sg[k]) for x, k in zip(self.private_other,
                                                                    self.private_other_kinds)],
                                       dim=2))                         # (B, T, K_other, h)
        private = (torch.cat(private, dim=2) if private                # (B, T, K_pri, h)
                   else e.new_zeros(e.shape[0], self.n_tasks, 0, self.out_dim))
        vectors = self.ssg.vectors() if self.ssg is not None else {}
        return HeterogeneousOutput(torch.cat(public, dim=1), private, vectors)  # (B, K_pub, h)


class TaskLinear(nn.Module):
    """s_t = w_t . x_t (+ b_t), all tasks at once: (B, T, n) -> (B, T); n = 0 gives the bias
    alone. Initialised like `nn.Linear` (uniform +-1/sqrt(n))."""

    def __init__(self, n_tasks: int, in_dim: int, bias: bool = True):
        super().__init__()
        bound = 1.0 / math.sqrt(in_dim) if in_dim else 0.0
        self.weight = nn.Parameter(torch.empty(n_tasks, in_dim).uniform_(-bound, bound))  # (T, n)
        self.bias = nn.Parameter(torch.empty(n_tasks).uniform_(-bound, bound)) if bias else None  # (T,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = torch.einsum("btn,tn->bt", x, self.weight)                 # (B, T)
        return s + self.bias if self.bias is not None else s

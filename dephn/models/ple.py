"""PLE: progressive layered extraction with CGC levels (Tang et al., RecSys 2020)."""
from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig
from ..data.schema import FeatureSpec
from ..layers import GateHook
from .common import make_embedding, make_experts, make_gate, make_towers
from .output import ModelOutput


class CGC(nn.Module):
    """One customized gate control level: task t's gate mixes its S own and the K shared
    experts (B, T, S+K); below the last level a shared gate mixes all T*S+K experts into the
    input of the next level's shared experts."""

    def __init__(self, n_tasks: int, in_dim: int, cfg: ModelConfig, last: bool, hook_name: str):
        super().__init__()
        s, k = cfg.n_specific_experts, cfg.n_experts
        self.shared = make_experts(k, in_dim, cfg)
        self.specific = nn.ModuleList(make_experts(s, in_dim, cfg) for _ in range(n_tasks))
        self.task_gates = nn.ModuleList(make_gate(in_dim, s + k, cfg) for _ in range(n_tasks))
        self.shared_gate = None if last else make_gate(in_dim, n_tasks * s + k, cfg)
        self.gate_hook = GateHook(hook_name)
        self.out_dim = self.shared.out_dim

    def forward(self, task_in: list[torch.Tensor], shared_in: torch.Tensor):
        """task_in: T x (B, in), shared_in (B, in) -> (task outputs T x (B, h), shared output
        (B, h) or None at the last level, task gates (B, T, S+K), shared experts (B, K, h))."""
        shared = self.shared(shared_in)                                           # (B, K, h)
        specific = [group(x) for group, x in zip(self.specific, task_in)]         # (B, S, h) per task
        gates = torch.stack([g(x) for g, x in zip(self.task_gates, task_in)], 1)  # (B, T, S+K)
        gates_used = self.gate_hook(gates)                                        # (B, T, S+K)
        task_out = [torch.bmm(gates_used[:, t:t + 1], torch.cat([spec, shared], 1)).squeeze(1)  # (B, h)
                    for t, spec in enumerate(specific)]
        shared_out = None
        if self.shared_gate is not None:
            every = torch.cat(specific + [shared], 1)                             # (B, T*S+K, h)
            g = self.shared_gate(shared_in).unsqueeze(1)                          # (B, 1, T*S+K)
            shared_out = torch.bmm(g, every).squeeze(1)                           # (B, h)
        return task_out, shared_out, gates, shared


class PLE(nn.Module):
    """`cfg.ple_levels` stacked CGC levels, then one tower per task. Level l+1's task-t experts
    read task t's output of level l, its shared experts level l's shared-gate output. Gate
    hooks: "gates" (last level), "gates@level<l>" below (docs/decisions.md#virtual-gradient).
    Intermediates: "gates/<task>" (B, S+K) and "experts" (B, K, h) of the last level."""

    def __init__(self, spec: FeatureSpec, cfg: ModelConfig):
        super().__init__()
        self.tasks = tuple(spec.tasks)
        self.embedding = make_embedding(spec, cfg)
        in_dim = spec.n_fields * cfg.embed_dim
        self.levels = nn.ModuleList()
        for level in range(cfg.ple_levels):
            last = level == cfg.ple_levels - 1
            cgc = CGC(len(self.tasks), in_dim, cfg, last=last,
                      hook_name="gates" if last else f"gates@level{level + 1}")
            self.levels.append(cgc)
            in_dim = cgc.out_dim
        self.towers = make_towers(in_dim, spec, cfg)

    def forward(self, sparse: torch.Tensor, dense: torch.Tensor) -> ModelOutput:
        x = self.embedding(sparse, dense).flatten(1)                   # (B, F*d)
        task_in, shared_in = [x] * len(self.tasks), x
        for cgc in self.levels:
            task_in, shared_in, gates, shared = cgc(task_in, shared_in)
        logits = {t: tower(h).squeeze(-1)                              # (B,) each
                  for t, tower, h in zip(self.tasks, self.towers, task_in)}
        inter = {f"gates/{t}": gates[:, i] for i, t in enumerate(self.tasks)}
        inter["experts"] = shared
        return ModelOutput(logits=logits, intermediates=inter)

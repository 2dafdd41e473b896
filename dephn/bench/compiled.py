"""`torch.compile` for the benchmark's `+compile` entries (opt-in; eager stays the reference).

What is compiled is each part of a model that carries the dense arithmetic: every direct
child module, or every member of a child ModuleList/ModuleDict, except the field embedding
(sparse gradients, which compiled graphs do not produce), the gate hooks (where the virtual
gradient's policy attaches Python hooks that change every step) and any part holding one.
`nn.Module.compile` compiles in place, so parameter names, state dicts, optimizers and the
trainer's hooks see the same modules as in eager mode. Compiled backward passes are made
without donated buffers: the virtual gradient's probe steps keep the graph for a second
backward pass (`retain_graph=True`), which donated buffers forbid.
"""
from __future__ import annotations

import torch._functorch.config
from torch import nn

from ..layers import FieldEmbedding, GateHook

SKIPPED = (FieldEmbedding, GateHook)


def compilable_parts(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(name, module) of the parts `compile_model` compiles, in the model's order."""
    parts: list[tuple[str, nn.Module]] = []
    for name, child in model.named_children():
        members = (list(child.named_children()) if isinstance(child, (nn.ModuleList, nn.ModuleDict))
                   else [("", child)])
        for sub, module in members:
            if isinstance(module, SKIPPED) or any(isinstance(m, SKIPPED) for m in module.modules()):
                continue
            if not any(True for _ in module.parameters()):
                continue
            parts.append((f"{name}.{sub}" if sub else name, module))
    return parts


def compile_model(model: nn.Module, **options) -> list[str]:
    """Compile the model's dense parts in place (`torch.compile` options pass through);
    returns their names."""
    parts = compilable_parts(model)
    torch._functorch.config.donated_buffer = False      # allow retain_graph (see above)
    for _, module in parts:
        module.compile(**options)
    return [name for name, _ in parts]

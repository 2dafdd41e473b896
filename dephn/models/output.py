"""What every model returns: per-task logits plus what the study reads."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class ModelOutput:
    """Logits keyed by task (no sigmoid inside models) and named intermediates.

    `intermediates` holds, where the model has them (detached is not required;
    readers call `.detach()`):
      - "gates/<task>":            gate values, (K,) / (K*P,) global or (B, K[*P]) per sample
      - "ssg/<structure>":         SSG vector G_sg, (d,)
      - "public_logit/<task>", "private_logit/<task>":   (B,)
      - "contrib/<task>":          per expert x mapping contribution to the public logit, (B, K, P)
      - "experts":                 shared expert outputs, (B, K, h)
    `aux_loss` is a regulariser to add to the task loss (e.g. SNR's L0 penalty), or None.
    `probs` is set only by models whose output is not sigmoid(logit) (DEPHN's literal
    sum-of-sigmoids mode); the trainer then uses it instead of sigmoid(logits).
    """

    logits: dict[str, torch.Tensor]                                  # task -> (B,)
    intermediates: dict[str, torch.Tensor] = field(default_factory=dict)
    aux_loss: torch.Tensor | None = None
    probs: dict[str, torch.Tensor] | None = None

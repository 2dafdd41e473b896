"""What every model returns: per-task logits plus what the study reads."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class ModelOutput:
    """Logits keyed by task (no sigmoid inside models) and named intermediates (not detached):
    "gates/<task>" (K[, P]) global or (B, K[, P]) per sample, "ssg/<structure>" (d,),
    "public_logit/<task>" and "private_logit/<task>" (B,), "contrib/<task>" (B, K, P), "experts"
    (B, K, h). `aux_loss`: a regulariser added to the task loss (SNR's L0), or None. `probs`: set
    only where the output is not sigmoid(logit) (DEPHN's sum of sigmoids); the trainer uses it."""

    logits: dict[str, torch.Tensor]                                  # task -> (B,)
    intermediates: dict[str, torch.Tensor] = field(default_factory=dict)
    aux_loss: torch.Tensor | None = None
    probs: dict[str, torch.Tensor] | None = None

"""Training hyper-parameters (the model config is dephn.config.ModelConfig)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..config import StrictConfig
from ..errors import DephnError
from ..virtual_gradient import VGSetting
from .balance import BALANCERS


@dataclass
class TrainConfig(StrictConfig):
    kind = "training"

    epochs: int = 3                       # passes over the training split
    batch_size: int = 1024                # rows per optimisation step (global, over all processes)
    lr: float = 1e-3                      # Adam learning rate of dense parameters
    sparse_lr: float = 1e-3               # learning rate of embedding tables (RowAdam: SparseAdam's rule)
    weight_decay: float = 0.0             # Adam weight decay of dense parameters
    task_weights: tuple[float, ...] | None = None  # per-task loss weights (None: all 1)
    patience: int = 2                     # early stopping: epochs without valid-AUC gain
    restore: str = "best"                 # weights scored at the end: "best" (valid AUC) | "last" (a paired
                                          # arm trained to its baseline's chosen epoch, docs/decisions.md)
    device: str = "auto"                  # "auto" (cuda, then mps, then cpu) | "cpu" | "cuda" | "mps"
    precision: str = "auto"               # "auto" (bf16 on CUDA, else fp32) | "fp32" | "bf16"
    eval_batch_size: int = 16384          # rows per evaluation forward
    log_every: int = 20                   # record losses (and VG coefficients) every N steps
    max_steps: int | None = None          # stop after this many steps (smoke runs)
    quiet: bool = False                   # no progress bar
    data_on_device_max_gb: float = 4.0    # keep a split on the accelerator when it is at most this size
    # --- gradient policy on the gates (models with gate hooks: DEPHN, MT-PHN, MMoE, PLE) ---
    vg: VGSetting | None = None           # virtual gradient (None = off); written "GAMMA/CORR" in dicts and
                                          # records (e.g. "add_sqrt/pearson"): from_dict parses, to_dict writes it
    gate_optimizer: str = "adam"          # optimizer of the gate parameters: "adam" (with the rest) | "sgd"
    gate_lr: float | None = None          # learning rate of the gate parameters (None: lr)
    # --- multi-task gradient balancing (dephn.train.balance) -------------------------------
    balance: str = "none"                 # none | upgrad | mgda | pcgrad | cagrad | nashmtl | imtlg | alignedmtl |
                                          # dualproj | gradvac | config | uw | dwa | gradnorm

    def __post_init__(self):
        if self.task_weights is not None:
            self.task_weights = tuple(float(w) for w in self.task_weights)
            if not all(math.isfinite(w) and w >= 0 for w in self.task_weights):
                raise DephnError(f"task_weights must be finite and >= 0, got {list(self.task_weights)}")
        for name in ("epochs", "batch_size", "eval_batch_size", "log_every"):
            if getattr(self, name) < 1:
                raise DephnError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_steps is not None and self.max_steps < 1:
            raise DephnError(f"max_steps must be >= 1 (or none), got {self.max_steps}")
        for name in ("lr", "sparse_lr", "gate_lr"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise DephnError(f"learning rates must be finite and > 0, got {name}={value}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise DephnError(f"weight_decay must be finite and >= 0, got {self.weight_decay}")
        if self.balance not in BALANCERS:
            raise DephnError(f"balance={self.balance!r}: expected one of {', '.join(BALANCERS)}")
        if self.gate_optimizer not in ("adam", "sgd"):
            raise DephnError(f"gate_optimizer={self.gate_optimizer!r}: expected adam or sgd")
        if self.device not in ("auto", "cpu", "cuda", "mps") and not self.device.startswith("cuda:"):
            raise DephnError(f"device={self.device!r}: expected auto, cpu, cuda, cuda:N or mps")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise DephnError(f"precision={self.precision!r}: expected auto, fp32 or bf16")
        if self.patience < 0:
            raise DephnError("patience must be >= 0")
        if self.restore not in ("best", "last"):
            raise DephnError(f"restore={self.restore!r}: expected best or last")
        if isinstance(self.vg, str):     # text handed to the constructor (dephn.bench, tests); the command
            self.vg = VGSetting.parse(self.vg)   # line and RunSpec hand the setting, parsed where it came in
        elif self.vg is not None and not isinstance(self.vg, VGSetting):
            raise DephnError(f"vg={self.vg!r}: expected a virtual-gradient setting (GAMMA/CORR) or none")

    def to_dict(self) -> dict:
        """The fields as JSON values, `vg` in its written form ("GAMMA/CORR" or None): what run
        records store and run ids hash."""
        d = super().to_dict()
        d["vg"] = None if self.vg is None else self.vg.label
        return d

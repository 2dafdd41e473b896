"""What the study reads from a training run (losses, per-epoch metrics and gates, virtual-gradient
coefficients, final SSG vectors), saved as one JSON + one .npz that load without torch.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..fileio import atomic_write, json_default


@dataclass
class Recorder:
    tasks: tuple[str, ...] = ()
    steps: list[dict] = field(default_factory=list)        # {"step", "epoch", "loss", "loss/<task>"}
    epochs: list[dict] = field(default_factory=list)       # {"epoch", "train_loss", "valid/<task>/auc", ...}
    gates: dict[str, list[np.ndarray]] = field(default_factory=dict)   # name -> one array per epoch
    vg_coef: dict[str, list[np.ndarray]] = field(default_factory=dict)  # name -> one array per recorded step
    vg_steps: list[int] = field(default_factory=list)
    vg_stats: list[dict] = field(default_factory=list)   # per recorded step: coefficient mean/std/min/max over
                                                         # every entry, and the probe's relative changes
    balance: list[dict] = field(default_factory=list)    # per recorded step: a balancing method's task weights
    final: dict[str, np.ndarray] = field(default_factory=dict)          # e.g. "ssg/dnn" at the end

    # -- recording ----------------------------------------------------------
    def log_step(self, step: int, epoch: int, loss: float, task_losses: dict[str, float]):
        row = {"step": step, "epoch": epoch, "loss": loss}
        row.update({f"loss/{t}": v for t, v in task_losses.items()})
        self.steps.append(row)

    def log_vg(self, step: int, coefs: dict[str, np.ndarray]):
        if not coefs:
            return
        self.vg_steps.append(step)
        for name, c in coefs.items():
            self.vg_coef.setdefault(name, []).append(np.asarray(c, dtype=np.float32))

    def log_epoch(self, row: dict, gates: dict[str, np.ndarray]):
        self.epochs.append(row)
        for name, g in gates.items():
            self.gates.setdefault(name, []).append(np.asarray(g, dtype=np.float32))

    # -- views ----------------------------------------------------------------
    def steps_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.steps)

    def epochs_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.epochs)

    def gate_history(self, name: str) -> np.ndarray:
        """(epochs, ...) gate values of one gate tensor, e.g. "gates/ctr"."""
        return np.stack(self.gates[name])

    def vg_history(self, name: str = "gates") -> np.ndarray:
        """(recorded steps, ...) virtual-gradient coefficients."""
        return np.stack(self.vg_coef[name]) if self.vg_coef.get(name) else np.zeros((0,))

    # -- persistence ------------------------------------------------------------
    def save(self, directory: str | Path) -> None:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        arrays = {**{f"gates::{name}": np.stack(seq) for name, seq in self.gates.items()},
                  **{f"vg::{name}": np.stack(seq) for name, seq in self.vg_coef.items()},
                  **{f"final::{name}": np.asarray(a) for name, a in self.final.items()}}
        meta = {"tasks": list(self.tasks), "steps": self.steps, "epochs": self.epochs,
                "vg_steps": self.vg_steps, "vg_stats": self.vg_stats, "balance": self.balance}
        atomic_write(d / "recorder.json", json.dumps(meta, default=json_default).encode())
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        atomic_write(d / "recorder.npz", buf.getvalue())

    @classmethod
    def load(cls, directory: str | Path) -> "Recorder":
        d = Path(directory)
        meta = json.loads((d / "recorder.json").read_text())
        rec = cls(tasks=tuple(meta["tasks"]), steps=meta["steps"], epochs=meta["epochs"],
                  vg_steps=meta["vg_steps"], vg_stats=meta.get("vg_stats", []),
                  balance=meta.get("balance", []))
        with np.load(d / "recorder.npz") as z:
            for key in z.files:
                kind, name = key.split("::", 1)
                if kind == "gates":
                    rec.gates[name] = list(z[key])
                elif kind == "vg":
                    rec.vg_coef[name] = list(z[key])
                else:
                    rec.final[name] = z[key]
        return rec

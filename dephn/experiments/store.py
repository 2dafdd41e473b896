"""The results store: one JSON record per finished run, written atomically.

Layout under the output folder:
    records/<run_id>.json      one run's record (config, seed, data fingerprint, versions, metrics)
    artifacts/<run_id>/        what the study reads (recorder.json/.npz, optional model.pt)
A record file appears only once complete (write to a temporary file, fsync, rename), so a
killed sweep never leaves a half record; a restarted sweep skips every run that has one.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..fileio import atomic_write, json_default
from ..virtual_gradient import VGSetting


class ResultsStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.records_dir = self.root / "records"
        self.artifacts_root = self.root / "artifacts"

    def has(self, run_id: str) -> bool:
        return (self.records_dir / f"{run_id}.json").is_file()

    def get(self, run_id: str) -> dict:
        return json.loads((self.records_dir / f"{run_id}.json").read_text())

    def has_model(self, run_id: str) -> bool:
        """Whether the run's trained weights were kept (RunSpec.save_model)."""
        return (self.artifacts(run_id) / "model.pt").is_file()

    def artifacts(self, run_id: str) -> Path:
        return self.artifacts_root / run_id

    def put(self, record: dict) -> Path:
        self.records_dir.mkdir(parents=True, exist_ok=True)
        path = self.records_dir / f"{record['run_id']}.json"
        return atomic_write(path, json.dumps(record, indent=1, sort_keys=True, default=json_default).encode())

    def records(self) -> list[dict]:
        if not self.records_dir.is_dir():
            return []
        return [json.loads(p.read_text()) for p in sorted(self.records_dir.glob("*.json"))]

    def frame(self) -> pd.DataFrame:
        """One row per run: identity columns plus flattened metrics `test/<task>/auc` etc."""
        return records_frame(self.records())


def records_frame(records: list[dict]) -> pd.DataFrame:
    rows = []
    for r in records:
        row = {k: r.get(k) for k in ("run_id", "status", "model", "dataset", "seed", "label",
                                     "data_fingerprint", "code_version", "device")}
        setting = VGSetting.parse((r.get("train_options") or {}).get("vg"))
        row["gamma"] = setting.gamma if setting else None
        row["corr"] = setting.corr if setting else None
        row["virtual_gradient"] = setting is not None
        row["balance"] = (r.get("train_options") or {}).get("balance", "none")
        row["gate_optimizer"] = (r.get("train_options") or {}).get("gate_optimizer", "adam")
        row["lr"] = (r.get("train_options") or {}).get("lr")
        row["parameters"] = r.get("parameters")
        row["best_epoch"], row["stopped"], row["steps"] = r.get("best_epoch"), r.get("stopped"), r.get("steps")
        for split in ("valid", "test"):
            for task, m in (r.get("metrics", {}).get(split) or {}).items():
                for k, v in m.items():
                    row[f"{split}/{task}/{k}"] = v
        for k, v in (r.get("timing") or {}).items():
            row[k] = v
        rows.append(row)
    return pd.DataFrame(rows)

"""The results store: `records/<run_id>.json` (one atomic JSON record per finished run),
`artifacts/<run_id>/` (recorder.json/.npz, optional model.pt), `leases/<run_id>.lock` (`lease`).
A record that does not read is reported (`CorruptRecordWarning`), set aside as
`<run_id>.json.corrupt` and counts as absent, so its run trains again.
"""
from __future__ import annotations

import contextlib
import json
import os
import warnings
from pathlib import Path

import pandas as pd

from ..errors import DephnError
from ..fileio import atomic_write, json_default
from ..virtual_gradient import VGSetting

CORRUPT_SUFFIX = ".corrupt"


class CorruptRecordWarning(UserWarning):
    """A record file that does not read was set aside; its run counts as not done."""


class ResultsStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.records_dir = self.root / "records"
        self.artifacts_root = self.root / "artifacts"

    def _path(self, run_id: str) -> Path:
        return self.records_dir / f"{run_id}.json"

    def has(self, run_id: str) -> bool:
        """Whether the run has a record that reads (one that does not is set aside)."""
        return self._read(self._path(run_id)) is not None

    def get(self, run_id: str) -> dict:
        rec = self._read(self._path(run_id))
        if rec is None:
            raise DephnError(f"no record of run {run_id} in {self.records_dir}")
        return rec

    def has_model(self, run_id: str) -> bool:
        """Whether the run's trained weights were kept (RunSpec.save_model)."""
        return (self.artifacts(run_id) / "model.pt").is_file()

    def artifacts(self, run_id: str) -> Path:
        return self.artifacts_root / run_id

    def put(self, record: dict) -> Path:
        """Write the record atomically; a write that fails is a `DephnError` naming the file."""
        path = self._path(record["run_id"])
        data = json.dumps(record, indent=1, sort_keys=True, default=json_default).encode()
        try:
            self.records_dir.mkdir(parents=True, exist_ok=True)
            return atomic_write(path, data)
        except OSError as e:
            raise DephnError(f"could not write the record {path}: {e.strerror or e}") from e

    def records(self) -> list[dict]:
        """Every record that reads, by run id (one that does not is reported and set aside)."""
        if not self.records_dir.is_dir():
            return []
        return [r for p in sorted(self.records_dir.glob("*.json")) if (r := self._read(p)) is not None]

    def _read(self, path: Path) -> dict | None:
        """The record in `path`; None when there is none or it does not read (then set aside)."""
        seen = None
        try:
            with open(path, "rb") as f:
                seen = os.fstat(f.fileno())
                rec = json.loads(f.read())
            if not isinstance(rec, dict):
                raise ValueError(f"a JSON {type(rec).__name__}, not an object")
            return rec
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:        # JSON and UTF-8 errors are ValueErrors
            why = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        self._set_aside(path, seen, why)
        return None

    def _set_aside(self, path: Path, seen: os.stat_result | None, why: str) -> None:
        aside = path.with_name(path.name + CORRUPT_SUFFIX)
        try:
            os.replace(path, aside)
            if seen is not None and not os.path.samestat(os.stat(aside), seen):
                # a worker wrote the run's new record meanwhile: that one stays, ours is gone already
                with contextlib.suppress(FileExistsError):
                    os.link(aside, path)
                os.unlink(aside)
                return
            where = f"set aside as {aside.name}"
        except FileNotFoundError:
            return                                 # set aside by another reader meanwhile
        except OSError as e:
            where = f"could not be set aside ({e.strerror or e})"
        warnings.warn(f"{path}: a record that does not read ({why}); {where}, its run counts as not done",
                      CorruptRecordWarning, stacklevel=4)

    def frame(self) -> pd.DataFrame:
        """One row per run: identity columns plus flattened metrics `test/<task>/auc` etc."""
        return records_frame(self.records())


def records_frame(records: list[dict]) -> pd.DataFrame:
    rows = []
    for r in records:
        row = {k: r.get(k) for k in ("run_id", "status", "model", "dataset", "seed", "label",
                                     "data_fingerprint", "code_version", "device", "precision")}
        opts = r.get("train_options") or {}
        setting = VGSetting.parse(opts.get("vg"))
        row["gamma"] = setting.gamma if setting else None
        row["corr"] = setting.corr if setting else None
        row["virtual_gradient"] = setting is not None
        row["balance"], row["gate_optimizer"] = opts.get("balance", "none"), opts.get("gate_optimizer", "adam")
        row["lr"] = opts.get("lr")
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

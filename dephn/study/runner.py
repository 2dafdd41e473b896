"""`dephn study`: execute every study notebook in order with papermill, then the report.

Notebooks run with their `parameters` cell overridden (profile, output folder,
interactive=False), without storing widget state (plotly's FigureWidget would otherwise
add ~5 MB of plotly.js per executed notebook). Finished runs are in the results store,
so a second call resumes where the first stopped.
"""
from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import papermill as pm
from papermill.exceptions import PapermillExecutionError

from ..errors import DephnError
from ..experiments.provenance import code_version, package_versions
from ..experiments.store import ResultsStore
from ..fileio import atomic_write
from ..report import build_report
from .context import DEFAULT_ROOT
from .profiles import Profile, get_profile

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"


def study_notebooks(directory: Path = NOTEBOOK_DIR, only: list[str] | None = None) -> list[Path]:
    if not directory.is_dir():
        raise DephnError(f"notebook folder {directory} not found (run from a checkout of the project)")
    nbs = sorted(p for p in directory.glob("[0-9][0-9]_*.ipynb"))
    if only:
        nbs = [p for p in nbs if any(p.name.startswith(o) for o in only)]
        if not nbs:
            raise DephnError(f"no notebook matches {only}")
    return nbs


def run_study(profile: str | Profile, out: str | Path | None = None, *, only: list[str] | None = None,
              parameters: dict | None = None, report: bool = True, prerun: dict | None = None,
              log=None) -> Path:
    """Execute the notebooks, record the run in study.json and write the report. `prerun`
    describes the runs trained before the notebooks (`dephn study --workers`: runs, rounds,
    seconds, workers, engine); study.json's `total_seconds` counts them too."""
    profile = profile.name if isinstance(profile, Profile) else get_profile(profile).name   # before anything runs
    log = log or (lambda m: print(m, file=sys.stderr, flush=True))
    out = Path(out or DEFAULT_ROOT / profile).resolve()
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    nbs = study_notebooks(only=only)
    meta_path = out / "study.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    meta.update(profile=profile, parameters=parameters or {}, code_version=code_version(),
                packages=package_versions(),
                started=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    meta.setdefault("notebooks", {})
    meta["prerun"] = prerun
    params = {"profile": profile, "out_dir": str(out), "interactive": False, **(parameters or {})}
    t_all = time.perf_counter()
    for i, nb in enumerate(nbs, 1):
        target = out / "notebooks" / nb.name
        log(f"[{i}/{len(nbs)}] {nb.name} ...")
        t0 = time.perf_counter()
        try:
            pm.execute_notebook(str(nb), str(target), parameters=params, kernel_name="python3",
                                progress_bar=False, cwd=str(nb.parent), store_widget_state=False)
        except PapermillExecutionError as e:
            meta["notebooks"][nb.name] = {"status": "failed", "seconds": time.perf_counter() - t0,
                                          "cell": e.exec_count, "error": f"{e.ename}: {e.evalue}"}
            _write_json(meta_path, meta)
            raise DephnError(f"notebook {nb.name} failed in cell {e.exec_count} ({e.ename}: "
                             f"{str(e.evalue).splitlines()[0] if e.evalue else ''}); "
                             f"the executed copy with the error is {target}") from None
        dt = time.perf_counter() - t0
        meta["notebooks"][nb.name] = {"status": "ok", "seconds": round(dt, 1)}
        _write_json(meta_path, meta)
        log(f"[{i}/{len(nbs)}] {nb.name}: ok ({dt:.0f}s)")
    meta["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    meta["seconds"] = round(time.perf_counter() - t_all, 1)
    meta["total_seconds"] = round(meta["seconds"] + (prerun or {}).get("seconds", 0.0), 1)
    meta["data_fingerprints"] = _fingerprints(out)
    _write_json(meta_path, meta)
    if report:
        path = build_report(out)
        log(f"report: {path}")
    return out


def _fingerprints(out: Path) -> dict[str, str]:
    fps = {}
    for r in ResultsStore(out / "results").records():
        fps[r.get("dataset", "?")] = r.get("data_fingerprint")
    return fps


def _write_json(path: Path, obj) -> None:
    atomic_write(path, json.dumps(obj, indent=1, default=str).encode())

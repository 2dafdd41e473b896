"""The "Run configuration" section: what study.json records about the run.

Profile and timing, parameters, package versions, data fingerprints, the notebooks run (each
linked to its executed copy) and any other key study.json holds.
"""
from __future__ import annotations

from pathlib import Path

from .sections import cell
from .template import Section, esc, key_values, note, table

# study.json keys shown in their own tables; anything else is listed under "other"
_STUDY_KEYS = ("profile", "started", "finished", "seconds", "code_version", "parameters", "packages",
               "data_fingerprints", "fingerprints", "notebooks")


def notebook_rows(notebooks) -> list[tuple]:
    """study.json's notebooks as (name, status, seconds, detail): a name → info map (what
    dephn.study writes) or a list of objects with a name."""
    if isinstance(notebooks, dict):
        notebooks = [{"name": k, **(v if isinstance(v, dict) else {"seconds": v})} for k, v in notebooks.items()]
    rows = []
    for nb in notebooks or []:
        if not isinstance(nb, dict):
            rows.append((str(nb), "", "", ""))
            continue
        name = nb.get("name") or nb.get("notebook") or nb.get("path") or ""
        seconds = nb.get("seconds", nb.get("duration"))
        detail = ": ".join(str(x) for x in (f"cell {nb['cell']}" if nb.get("cell") is not None else None,
                                            nb.get("error")) if x)
        rows.append((name, nb.get("status", ""),
                     f"{seconds:.1f}" if isinstance(seconds, (int, float)) else cell(seconds), detail))
    return rows


def config_section(study: dict | None, root: Path) -> Section:
    sec = Section("configuration", "Run configuration")
    if study is None:
        sec.body = note("No study.json was found: the run configuration is unknown.")
        return sec
    parts = [key_values([(k, study.get(k)) for k in ("profile", "started", "finished", "seconds", "code_version")
                         if k in study])]
    params = study.get("parameters")
    parts.append("<h3>Parameters</h3>" + (key_values(sorted(params.items())) if isinstance(params, dict) and params
                                          else note("study.json records no parameters.")))
    packages = study.get("packages")
    parts.append("<h3>Packages</h3>" + (table(("package", "version"), sorted(packages.items()))
                                        if isinstance(packages, dict) and packages
                                        else note("study.json records no package versions.")))
    fps = study.get("data_fingerprints", study.get("fingerprints"))
    parts.append("<h3>Data fingerprints</h3>" + (table(("data set", "fingerprint"), sorted(fps.items()))
                                                 if isinstance(fps, dict) and fps
                                                 else note("study.json records no data fingerprints.")))
    # a notebook name links to its executed copy under notebooks/ (a relative link: works offline)
    nb_rows = [(f'<a href="notebooks/{esc(n)}">{esc(n)}</a>' if n and (root / "notebooks" / n).is_file() else esc(n),
                esc(st), secs, esc(detail)) for n, st, secs, detail in notebook_rows(study.get("notebooks"))]
    parts.append("<h3>Notebooks</h3>" + (table(("notebook", "status", "seconds", "detail"), nb_rows,
                                               raw_cols=(0, 1, 3)) if nb_rows
                                         else note("study.json records no notebook runs.")))
    other = [(k, v) for k, v in study.items() if k not in _STUDY_KEYS]
    if other:
        parts.append("<h3>Other</h3>" + key_values(other))
    sec.body = "".join(parts)
    return sec

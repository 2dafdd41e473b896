"""The study report: `build_report(out_dir)` writes one self-contained, offline page
`<out_dir>/report.html` from a study output folder (`PIECES`: figures/, tables/, claims.json,
study.json, results/). A missing or unreadable piece is said so in the page, never an exception;
only a path that is no study output folder is a `DephnError`. `loaders` reads the folder,
`sections` makes the page's sections, `template` holds the HTML blocks, CSS and JS (no I/O).
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from plotly.offline import get_plotlyjs

from ..errors import DephnError
from ..fileio import atomic_write
from .loaders import Problems, load_figures, load_records, load_tables, read_json
from .sections import claims_section, config_section, figures_section, runs_section, tables_section
from .template import Section, esc, note, page

__all__ = ["PIECES", "REPORT_NAME", "build_report"]

REPORT_NAME = "report.html"
# what makes a folder a study output folder; at least one must be present
PIECES = ("figures", "tables", "claims.json", "study.json", "results")


def build_report(out_dir: str | Path) -> Path:
    """Write `<out_dir>/report.html` from a study output folder and return its path."""
    root = Path(out_dir)
    if not root.is_dir():
        what = "is a file, not a folder" if root.exists() else "no such folder"
        raise DephnError(f"{root}: {what} (expected a study output folder such as outputs/<profile>)")
    if not any((root / p).exists() for p in PIECES):
        raise DephnError(f"{root}: not a study output folder (none of {', '.join(PIECES)} found)")
    problems = Problems()
    study = read_json(root / "study.json", dict, problems)
    figures = load_figures(root, problems)
    tables = load_tables(root, problems)
    claims = read_json(root / "claims.json", list, problems)
    records = load_records(root, problems)

    sections = [claims_section(claims, figures, tables), figures_section(figures), tables_section(tables),
                runs_section(records), config_section(study, root)]
    if problems:
        sections.insert(0, Section("problems", "Problems found while building this report",
                                   "".join(note(p, "problem") for p in problems)))
    profile = (study or {}).get("profile") or root.name
    interactive = any(f.plotly is not None for f in figures or [])
    html = page(f"DEPHN study report — {profile}", _header(profile, study, figures, tables, claims, records),
                sections, get_plotlyjs() if interactive else None)
    return atomic_write(root / REPORT_NAME, html.encode("utf-8"))   # a reader never sees half a report


def _header(profile, study, figures, tables, claims, records) -> str:
    built = datetime.now(timezone.utc).isoformat(timespec="seconds")
    meta = [f"profile <b>{esc(profile)}</b>", f"report built {esc(built)}"]
    if study and study.get("code_version"):
        meta.append(f"code <code>{esc(study['code_version'])}</code>")
    badges = [_count(len(figures or []), "figure"), _count(len(tables or []), "table"),
              _count(len(records or []), "run")]
    if claims:
        verdicts = Counter(c.get("reproduced") for c in claims if isinstance(c, dict))
        badges.append(f"claims: {verdicts[True]} reproduced, {verdicts[False]} not, "
                      f"{len(claims) - verdicts[True] - verdicts[False]} undecided")
    return (f"<h1>DEPHN study report</h1><p class=\"meta\">{' · '.join(meta)}</p>"
            '<ul class="badges">' + "".join(f"<li>{esc(b)}</li>" for b in badges) + "</ul>")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")

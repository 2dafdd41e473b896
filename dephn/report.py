"""The study report: one self-contained, offline HTML page per study output folder.

`build_report(out_dir)` reads what the study wrote into `outputs/<profile>/`

    figures/index.json + figures/<name>.json   plotly figures (drawn interactively in the page)
    tables/index.json  + tables/<name>.csv     result tables
    claims.json                                the paper's claims, checked against this run
    study.json                                 profile, parameters, versions, data fingerprints
    results/records/*.json                     one record per training run (the results store)

and writes `<out_dir>/report.html`: plotly.js inlined once, every figure embedded from its
plotly JSON and grouped by the notebook that made it, every table, the claims table, the run
configuration and a summary of the runs. A missing or unreadable piece is said so in the page
(the report is most useful exactly when a study went wrong), never an exception; only a path
that is not a study output folder at all is a `DephnError`.
"""
from __future__ import annotations

import base64
import csv
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .errors import DephnError
from .fileio import atomic_write
from .report_template import (MAX_TABLE_ROWS, Section, esc, json_for_script, key_values, note,
                              page, slug, table)

REPORT_NAME = "report.html"
# what makes a folder a study output folder; at least one must be present
PIECES = ("figures", "tables", "claims.json", "study.json", "results")


class _Problems(list):
    """Problems met while reading the folder; shown at the top of the page."""

    def add(self, where, what: str) -> None:
        self.append(f"{where}: {what}")


def build_report(out_dir: str | Path) -> Path:
    """Write `<out_dir>/report.html` from a study output folder and return its path."""
    root = Path(out_dir)
    if not root.is_dir():
        what = "is a file, not a folder" if root.exists() else "no such folder"
        raise DephnError(f"{root}: {what} (expected a study output folder such as outputs/<profile>)")
    if not any((root / p).exists() for p in PIECES):
        raise DephnError(f"{root}: not a study output folder (none of {', '.join(PIECES)} found)")
    problems = _Problems()
    study = _read_json(root / "study.json", dict, problems)
    figures = _load_figures(root, problems)
    tables = _load_tables(root, problems)
    claims = _read_json(root / "claims.json", list, problems)
    records = _load_records(root, problems)

    sections = [
        _claims_section(claims, figures, tables),
        _figures_section(figures),
        _tables_section(tables),
        _runs_section(records),
        _config_section(study, root),
    ]
    if problems:
        sections.insert(0, Section("problems", "Problems found while building this report",
                                   "".join(note(p, "problem") for p in problems)))
    profile = (study or {}).get("profile") or root.name
    interactive = any(f.plotly is not None for f in figures or [])
    html = page(f"DEPHN study report — {profile}", _header(profile, study, figures, tables, claims, records),
                sections, _plotly_js() if interactive else None)
    path = root / REPORT_NAME
    return atomic_write(path, html.encode("utf-8"))   # a reader never sees half a report


# ---------------------------------------------------------------- reading the folder

def _read_json(path: Path, expect: type, problems: _Problems):
    """The parsed file, or None (absent: silently; unreadable or of the wrong kind: a problem)."""
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        problems.add(path.name, f"could not be read ({e})")
        return None
    if not isinstance(value, expect):
        kinds = " or ".join(t.__name__ for t in (expect if isinstance(expect, tuple) else (expect,)))
        problems.add(path.name, f"expected a JSON {kinds}, found {type(value).__name__}")
        return None
    return value


def _index_entries(index: Path, problems: _Problems) -> list[dict] | None:
    """The entries of a figures/ or tables/ index (a list, or {"figures"|"tables": [...]})."""
    kind = index.parent.name
    data = _read_json(index, (list, dict), problems)
    if isinstance(data, dict):
        data = data.get(kind)
        if not isinstance(data, list):
            problems.add(f"{kind}/{index.name}", f'expected a list of entries (or a "{kind}" list)')
            return None
    if data is None:
        return None
    good = [e for e in data if isinstance(e, dict) and e.get("name")]
    if len(good) < len(data):
        problems.add(f"{kind}/{index.name}", f"{len(data) - len(good)} entries without a name were skipped")
    return good


def _entry_files(entry: dict, key: str) -> list[str]:
    files = entry.get(key) or []
    if isinstance(files, str):
        return [files]
    if isinstance(files, dict):
        return [str(v) for v in files.values()]
    return [str(f) for f in files]


def _find_file(root: Path, folder: Path, entry: dict, key: str, suffix: str) -> Path | None:
    """The entry's file with this suffix: as listed (relative to its folder or to the output
    folder, or absolute), else `<folder>/<name><suffix>`."""
    listed = [f for f in _entry_files(entry, key) if f.lower().endswith(suffix)]
    candidates = [base / f for f in listed for base in (folder, root)] + [folder / f"{entry['name']}{suffix}"]
    return next((c for c in candidates if c.is_file()), None)


@dataclass
class FigureItem:
    name: str
    title: str
    caption: str
    source: str
    plotly: dict | None = None       # {"data", "layout", "frames"} when the JSON was readable
    png: bytes | None = None         # static fallback when it was not
    problem: str | None = None


def _entry_text(e: dict) -> dict:
    """The name, title, caption and source every index entry (figure or table) carries."""
    return {"name": str(e["name"]), "title": str(e.get("title") or e["name"]),
            "caption": str(e.get("caption") or ""), "source": str(e.get("source") or "")}


def _load_figures(root: Path, problems: _Problems) -> list[FigureItem] | None:
    folder = root / "figures"
    entries = _index_entries(folder / "index.json", problems)
    if entries is None:
        return None
    items = []
    for e in entries:
        item = FigureItem(**_entry_text(e))
        path = _find_file(root, folder, e, "files", ".json")
        if path is not None:
            try:
                # plotly writes NaN as null, but a hand-made file may not; JSON.parse refuses NaN
                fig = json.loads(path.read_text(encoding="utf-8"), parse_constant=lambda _: None)
                if not isinstance(fig, dict) or not isinstance(fig.get("data", []), list):
                    raise ValueError("not a plotly figure (expected an object with a 'data' list)")
                item.plotly = {k: fig[k] for k in ("data", "layout", "frames") if k in fig}
            except (OSError, UnicodeDecodeError, ValueError) as err:
                item.problem = f"{path.name}: unreadable plotly JSON ({err})"
        else:
            item.problem = "no plotly JSON file"
        if item.plotly is None:
            png = _find_file(root, folder, e, "files", ".png")
            if png is not None:
                item.png = png.read_bytes()
            problems.add(f"figure {item.name}", item.problem + ("; its static image is shown" if item.png else ""))
        items.append(item)
    return items


@dataclass
class TableItem:
    name: str
    title: str
    caption: str
    source: str
    header: list[str] | None = None
    rows: list[list[str]] | None = None
    total_rows: int = 0
    problem: str | None = None


def _load_tables(root: Path, problems: _Problems) -> list[TableItem] | None:
    folder = root / "tables"
    entries = _index_entries(folder / "index.json", problems)
    if entries is None:
        return None
    items = []
    for e in entries:
        item = TableItem(**_entry_text(e))
        path = _find_file(root, folder, e, "file", ".csv")
        if path is None:
            item.problem = "no CSV file"
        else:
            try:
                with open(path, newline="", encoding="utf-8") as f:
                    rows = list(csv.reader(f))
                item.header, body = (rows[0], rows[1:]) if rows else ([], [])
                item.total_rows, item.rows = len(body), body[:MAX_TABLE_ROWS]
            except (OSError, UnicodeDecodeError, csv.Error) as err:
                item.problem = f"{path.name}: unreadable CSV ({err})"
        if item.problem:
            problems.add(f"table {item.name}", item.problem)
        items.append(item)
    return items


def _load_records(root: Path, problems: _Problems) -> list[dict] | None:
    """The results store's records (read here, not via ResultsStore.records(), so that one
    corrupt record is a reported problem rather than a crash)."""
    from .experiments.store import ResultsStore
    records_dir = ResultsStore(root / "results").records_dir
    if not records_dir.is_dir():
        return None
    out = []
    for p in sorted(records_dir.glob("*.json")):
        rec = _read_json(p, dict, problems)
        if rec is not None:
            out.append(rec)
    return out


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs
    return get_plotlyjs()


# ---------------------------------------------------------------- sections

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


def figure_id(name: str) -> str:
    return f"fig-{slug(name)}"


def table_id(name: str) -> str:
    return f"table-{slug(name)}"


_VERDICT = {True: ('<span class="ok" title="reproduced">✓</span>'),
            False: ('<span class="bad" title="not reproduced">✗</span>'),
            None: ('<span class="undecided" title="not decided by this run">–</span>')}


def _evidence_html(evidence, figure_names: set, table_names: set) -> str:
    """Evidence text; items naming a figure or table of this report become links to it."""
    items = evidence if isinstance(evidence, list) else [evidence]
    parts = []
    for it in items:
        if it is None:
            continue
        text = it if isinstance(it, str) else json.dumps(it, default=str)
        if text in figure_names:
            parts.append(f'<a href="#{figure_id(text)}">{esc(text)}</a>')
        elif text in table_names:
            parts.append(f'<a href="#{table_id(text)}">{esc(text)}</a>')
        else:
            parts.append(esc(text))
    return "; ".join(parts)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.5g}"
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _claims_section(claims, figures, tables) -> Section:
    sec = Section("claims", "Claims of the paper, checked")
    if claims is None:
        sec.body = note("No claims were evaluated (claims.json not found).")
        return sec
    if not claims:
        sec.body = note("claims.json lists no claims.")
        return sec
    fig_names = {f.name for f in figures or []}
    tab_names = {t.name for t in tables or []}
    rows = []
    for c in claims:
        c = c if isinstance(c, dict) else {"claim": c}
        verdict = c.get("reproduced")
        rows.append((esc(_cell(c.get("claim"))), esc(_cell(c.get("paper"))), esc(_cell(c.get("this_run"))),
                     _VERDICT.get(verdict if isinstance(verdict, bool) else None),
                     _evidence_html(c.get("evidence"), fig_names, tab_names)))
    sec.body = table(("claim", "paper", "this run", "reproduced", "evidence"), rows,
                     raw_cols=range(5), cls="claims")
    return sec


def _figure_html(f: FigureItem) -> str:
    fid = figure_id(f.name)
    if f.plotly is not None:
        body = (f'<div class="figure-plot" id="{fid}-plot" data-figure="{fid}-json"></div>'
                f'<script type="application/json" id="{fid}-json">{json_for_script(f.plotly)}</script>')
    elif f.png is not None:
        body = (f'<img class="static" alt="{esc(f.title)}" '
                f'src="data:image/png;base64,{base64.b64encode(f.png).decode("ascii")}">')
    else:
        body = note(f"This figure could not be embedded: {f.problem}.", "problem")
    caption = f"<figcaption>{esc(f.caption)}</figcaption>" if f.caption else ""
    return f'<figure id="{fid}"><h4>{esc(f.title)}</h4>{body}{caption}</figure>'


def _by_source(items) -> dict[str, list]:
    """Items grouped by source notebook, notebooks in name order (01_…, 02_…), unknown last."""
    groups = defaultdict(list)
    for it in items:
        groups[it.source].append(it)
    return {k: groups[k] for k in sorted(groups, key=lambda s: (s == "", s))}


def _figures_section(figures) -> Section:
    sec = Section("figures", "Figures")
    if figures is None:
        sec.body = note("No figures were produced (figures/index.json not found).")
        return sec
    if not figures:
        sec.body = note("No figures were produced (figures/index.json lists none).")
        return sec
    for source, items in _by_source(figures).items():
        title = f"Notebook {source}" if source else "Other figures"
        sec.children.append(Section(f"figures-{slug(source or 'other')}", title,
                                    "".join(_figure_html(f) for f in items)))
    return sec


def _tables_section(tables) -> Section:
    sec = Section("tables", "Tables")
    if tables is None:
        sec.body = note("No tables were produced (tables/index.json not found).")
        return sec
    if not tables:
        sec.body = note("No tables were produced (tables/index.json lists none).")
        return sec
    parts = []
    for t in sorted(tables, key=lambda t: (t.source == "", t.source)):
        head = f'<h3 id="{table_id(t.name)}">{esc(t.title)}</h3>'
        if t.source:
            head += f'<p class="meta">from {esc(t.source)}</p>'
        if t.header is None:
            body = note(f"This table could not be read: {t.problem}.", "problem")
        else:
            cut = (f" Showing the first {MAX_TABLE_ROWS} of {t.total_rows} rows; the rest are in tables/."
                   if t.total_rows > MAX_TABLE_ROWS else "")
            body = table(t.header, t.rows, caption=(t.caption + cut).strip() or None)
        parts.append(head + body)
    sec.body = "".join(parts)
    return sec


def _mean(values) -> float | None:
    values = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return sum(values) / len(values) if values else None


def _runs_section(records) -> Section:
    sec = Section("runs", "Training runs")
    if records is None:
        sec.body = note("No results store was found (results/records/ is missing).")
        return sec
    if not records:
        sec.body = note("The results store holds no finished runs.")
        return sec
    status = Counter(str(r.get("status", "unknown")) for r in records)
    summary = ", ".join(f"{n} {s}" for s, n in status.most_common())
    groups = defaultdict(list)
    for r in records:
        groups[(str(r.get("dataset", "")), str(r.get("model", "")), str(r.get("label") or ""))].append(r)
    rows = []
    for (dataset, model, label), rs in sorted(groups.items()):
        ok = [r for r in rs if r.get("status") == "ok"]
        tasks = sorted({t for r in ok for t in ((r.get("metrics") or {}).get("test") or {})})
        auc = []
        for t in tasks:
            m = _mean(((r.get("metrics") or {}).get("test") or {}).get(t, {}).get("auc") for r in ok)
            if m is not None:
                auc.append(f"{t} {m:.4f}")
        seeds = sorted({r.get("seed") for r in rs if r.get("seed") is not None})
        wall = sum((r.get("timing") or {}).get("wall_seconds") or 0 for r in rs)
        rows.append((dataset, model, label, len(rs), len(ok), ",".join(map(str, seeds)),
                     "; ".join(auc), f"{wall:.1f}"))
    sec.body = (f"<p>{len(records)} runs in the results store ({esc(summary)}).</p>"
                + table(("dataset", "model", "variant", "runs", "ok", "seeds", "test AUC (mean over ok runs)",
                         "wall seconds"), rows))
    return sec


def _notebook_rows(notebooks) -> list[tuple]:
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
                     f"{seconds:.1f}" if isinstance(seconds, (int, float)) else _cell(seconds), detail))
    return rows


# study.json keys shown in their own tables; anything else is listed under "other"
_STUDY_KEYS = ("profile", "started", "finished", "seconds", "code_version", "parameters", "packages",
               "data_fingerprints", "fingerprints", "notebooks")


def _config_section(study, root: Path) -> Section:
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
                esc(st), sec, esc(detail)) for n, st, sec, detail in _notebook_rows(study.get("notebooks"))]
    parts.append("<h3>Notebooks</h3>" + (table(("notebook", "status", "seconds", "detail"), nb_rows,
                                               raw_cols=(0, 1, 3)) if nb_rows
                                         else note("study.json records no notebook runs.")))
    other = [(k, v) for k, v in study.items() if k not in _STUDY_KEYS]
    if other:
        parts.append("<h3>Other</h3>" + key_values(other))
    sec.body = "".join(parts)
    return sec

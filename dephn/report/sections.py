"""The sections of the page: claims, figures, tables, training runs and run configuration, each
with a note when the study did not produce its piece or produced it empty.
"""
from __future__ import annotations

import base64
import json
from collections import Counter, defaultdict
from pathlib import Path

from .loaders import FigureItem, TableItem
from .template import MAX_TABLE_ROWS, Section, esc, json_for_script, key_values, note, slug, table


def figure_id(name: str) -> str:
    return f"fig-{slug(name)}"


def table_id(name: str) -> str:
    return f"table-{slug(name)}"


def cell(value) -> str:
    """A JSON value as the text of a table cell (floats to 5 significant digits)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.5g}"
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _placeholder(sec: Section, items, absent: str, empty: str) -> bool:
    """Give the section a note for a body when its piece is absent (None) or empty; True when it did."""
    if items is None:
        sec.body = note(absent)
    elif not items:
        sec.body = note(empty)
    return not items


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


def claims_section(claims, figures: list[FigureItem] | None, tables: list[TableItem] | None) -> Section:
    sec = Section("claims", "Claims of the paper, checked")
    if _placeholder(sec, claims, "No claims were evaluated (claims.json not found).",
                    "claims.json lists no claims."):
        return sec
    fig_names = {f.name for f in figures or []}
    tab_names = {t.name for t in tables or []}
    rows = []
    for c in claims:
        c = c if isinstance(c, dict) else {"claim": c}
        verdict = c.get("reproduced")
        rows.append((esc(cell(c.get("claim"))), esc(cell(c.get("paper"))), esc(cell(c.get("this_run"))),
                     _VERDICT.get(verdict if isinstance(verdict, bool) else None), esc(cell(c.get("why", ""))),
                     _evidence_html(c.get("evidence"), fig_names, tab_names)))
    sec.body = table(("claim", "paper", "this run", "reproduced", "why", "evidence"), rows,
                     raw_cols=range(6), cls="claims")
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


def figures_section(figures: list[FigureItem] | None) -> Section:
    sec = Section("figures", "Figures")
    if _placeholder(sec, figures, "No figures were produced (figures/index.json not found).",
                    "No figures were produced (figures/index.json lists none)."):
        return sec
    for source, items in _by_source(figures).items():
        title = f"Notebook {source}" if source else "Other figures"
        sec.children.append(Section(f"figures-{slug(source or 'other')}", title,
                                    "".join(_figure_html(f) for f in items)))
    return sec


def tables_section(tables: list[TableItem] | None) -> Section:
    sec = Section("tables", "Tables")
    if _placeholder(sec, tables, "No tables were produced (tables/index.json not found).",
                    "No tables were produced (tables/index.json lists none)."):
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


def runs_section(records: list[dict] | None) -> Section:
    sec = Section("runs", "Training runs")
    if _placeholder(sec, records, "No results store was found (results/records/ is missing).",
                    "The results store holds no finished runs."):
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


# study.json keys shown in their own tables; anything else is listed under "other"
_STUDY_KEYS = ("profile", "started", "finished", "seconds", "code_version", "parameters", "packages",
               "data_fingerprints", "notebooks")


def config_section(study: dict | None, root: Path) -> Section:
    """study.json: profile and timing, parameters, packages, data fingerprints, the notebooks run
    (linked to their executed copies) and any other key."""
    sec = Section("configuration", "Run configuration")
    if study is None:
        sec.body = note("No study.json was found: the run configuration is unknown.")
        return sec
    parts = [key_values([(k, study.get(k)) for k in ("profile", "started", "finished", "seconds", "code_version")
                         if k in study])]
    for key, title, header, missing in (
            ("parameters", "Parameters", None, "parameters"),
            ("packages", "Packages", ("package", "version"), "package versions"),
            ("data_fingerprints", "Data fingerprints", ("data set", "fingerprint"), "data fingerprints")):
        value = study.get(key)
        if isinstance(value, dict) and value:
            body = key_values(sorted(value.items())) if header is None else table(header, sorted(value.items()))
        else:
            body = note(f"study.json records no {missing}.")
        parts.append(f"<h3>{title}</h3>{body}")
    rows = []
    for name, nb in (study.get("notebooks") or {}).items():   # what dephn.study.runner writes
        nb = nb if isinstance(nb, dict) else {"seconds": nb}
        seconds = nb.get("seconds")
        detail = ": ".join(str(x) for x in (f"cell {nb['cell']}" if nb.get("cell") is not None else None,
                                            nb.get("error")) if x)
        # a notebook name links to its executed copy under notebooks/ (a relative link: works offline)
        executed = (root / "notebooks" / name).is_file()
        link = f'<a href="notebooks/{esc(name)}">{esc(name)}</a>' if executed else esc(name)
        rows.append((link, esc(nb.get("status", "")),
                     f"{seconds:.1f}" if isinstance(seconds, (int, float)) else cell(seconds), esc(detail)))
    parts.append("<h3>Notebooks</h3>" + (table(("notebook", "status", "seconds", "detail"), rows, raw_cols=(0, 1, 3))
                                         if rows else note("study.json records no notebook runs.")))
    other = [(k, v) for k, v in study.items() if k not in _STUDY_KEYS]
    if other:
        parts.append("<h3>Other</h3>" + key_values(other))
    sec.body = "".join(parts)
    return sec

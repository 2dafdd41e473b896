"""HTML building blocks of the study report (escaping, tables, the page skeleton, CSS and JS), no
I/O; the page references no external stylesheet, font, script or image.
"""
from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# the widest table the report shows in full; longer CSV tables are cut with a note
MAX_TABLE_ROWS = 200


def esc(value) -> str:
    """Text as HTML, quotes included (safe inside attributes too)."""
    return html.escape("" if value is None else str(value), quote=True)


def slug(text: str) -> str:
    """An id-safe lower-case slug (`"05_gating.ipynb"` → `"05-gating-ipynb"`)."""
    s = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return s or "item"


def json_for_script(obj) -> str:
    """JSON safe inside `<script type="application/json">`: `<`, `>` and `&` as unicode escapes."""
    text = json.dumps(obj, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def short_number(text: str) -> str | None:
    """A number's cell text, a long float shortened to 5 significant digits; None for a non-number."""
    t = text.strip()
    try:
        value = float(t)
    except ValueError:
        return None
    frac = t.split(".", 1)[1] if "." in t else ""
    return f"{value:.5g}" if len(frac) > 5 or ("e" in t.lower() and "." in t) else text


def table(header: Sequence[str], rows: Iterable[Sequence], *, raw_cols: Iterable[int] = (),
          caption: str | None = None, cls: str = "data") -> str:
    """An HTML table; cells are escaped except the columns in `raw_cols` (already HTML)."""
    raw = set(raw_cols)
    out = [f'<div class="table-wrap"><table class="{esc(cls)}">']
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr></thead><tbody>")
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            number = None if v is None or isinstance(v, bool) or i in raw else short_number(str(v))
            if i in raw:
                cells.append(f"<td>{v}</td>")
            elif number is not None:
                cells.append(f'<td class="num" title="{esc(v)}">{esc(number)}</td>')
            else:
                cells.append(f"<td>{esc(v)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def key_values(pairs: Iterable[tuple[str, object]]) -> str:
    """A two-column table; nested values are shown as compact JSON."""
    rows = [(k, v if isinstance(v, (str, int, float)) or v is None
             else json.dumps(v, sort_keys=True, default=str)) for k, v in pairs]
    return table(("key", "value"), rows, cls="kv")


def note(text: str, kind: str = "missing") -> str:
    """A boxed sentence: `missing` (a piece the study did not produce) or `problem`."""
    return f'<p class="note {esc(kind)}">{esc(text)}</p>'


@dataclass
class Section:
    """One entry of the page and of its table of contents (sub-sections nest one level)."""
    id: str
    title: str
    body: str = ""
    children: list["Section"] = field(default_factory=list)

    def render(self, level: int = 2) -> str:
        inner = "".join(c.render(level + 1) for c in self.children)
        return (f'<section id="{esc(self.id)}"><h{level}>{esc(self.title)}</h{level}>'
                f"{self.body}{inner}</section>")


def toc(sections: Sequence[Section]) -> str:
    def item(s: Section) -> str:
        sub = "".join(item(c) for c in s.children)
        return f'<li><a href="#{esc(s.id)}">{esc(s.title)}</a>' + (f"<ul>{sub}</ul>" if sub else "") + "</li>"
    return '<nav class="toc"><h2>Contents</h2><ul>' + "".join(item(s) for s in sections) + "</ul></nav>"


def page(title: str, header_html: str, sections: Sequence[Section], plotly_js: str | None) -> str:
    """The whole document; `plotly_js` inlined once, or None when no figure is interactive."""
    scripts = ""
    if plotly_js is not None:
        scripts = f'<script id="plotly-js">{plotly_js}</script><script>{RENDER_JS}</script>'
    body = "".join(s.render() for s in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f'<body><div class="layout">{toc(sections)}<main><header>{header_html}</header>{body}</main></div>'
        f"{scripts}</body></html>\n"
    )


# Draws every `div.figure-plot` from the JSON script named by its data-figure attribute.
# A figure that fails is replaced by a message (and logged), never breaks the others.
RENDER_JS = r"""
(function () {
  var config = {responsive: true, displaylogo: false, showLink: false,
                showSendToCloud: false, showEditInChartStudio: false};
  function fail(div, err) {
    div.classList.add('figure-error');
    div.textContent = 'This figure could not be drawn: ' + err;
    console.error('dephn report: figure ' + div.id + ': ' + err);
  }
  var divs = document.querySelectorAll('div.figure-plot[data-figure]');
  Array.prototype.forEach.call(divs, function (div) {
    try {
      if (typeof Plotly === 'undefined') { throw new Error('plotly.js did not load'); }
      var fig = JSON.parse(document.getElementById(div.getAttribute('data-figure')).textContent);
      var layout = fig.layout || {};
      // a figure saved wider than the column is fitted to it instead of widening the page
      if (layout.width && layout.width > div.clientWidth) {
        layout = Object.assign({}, layout, {autosize: true});
        delete layout.width;
      }
      Plotly.newPlot(div, {data: fig.data || [], layout: layout,
                           frames: fig.frames || [], config: config})
        .catch(function (err) { fail(div, err); });
    } catch (err) { fail(div, err); }
  });
})();
"""

CSS = """
:root { --fg: #1d2330; --muted: #5b6475; --line: #d9dde5; --bg-alt: #f5f7fa; --accent: #2c5d9e;
        --ok: #1f7a3a; --bad: #b3261e; --warn-bg: #fff7e0; --warn-line: #e6c25a; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto,
       "Helvetica Neue", Arial, sans-serif; background: #fff; }
.layout { display: grid; grid-template-columns: 250px minmax(0, 1fr); max-width: 1500px; margin: 0 auto; }
nav.toc { position: sticky; top: 0; align-self: start; max-height: 100vh; overflow-y: auto;
          padding: 1.2rem 1rem; border-right: 1px solid var(--line); font-size: 0.9rem; }
nav.toc h2 { font-size: 1rem; margin: 0 0 0.5rem; }
nav.toc ul { list-style: none; margin: 0; padding-left: 0.8rem; }
nav.toc > ul { padding-left: 0; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
main { padding: 1.2rem 2rem 4rem; min-width: 0; }
header h1 { margin: 0 0 0.3rem; font-size: 1.6rem; }
.meta { color: var(--muted); margin: 0 0 0.8rem; }
.badges { display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 0.6rem 0 1rem; padding: 0; list-style: none; }
.badges li { background: var(--bg-alt); border: 1px solid var(--line); border-radius: 4px; padding: 0.2rem 0.6rem; }
section { margin-top: 1.6rem; }
section section { margin-top: 1.2rem; }
h2 { border-bottom: 2px solid var(--line); padding-bottom: 0.2rem; }
h3 { margin-bottom: 0.4rem; }
figure { margin: 1rem 0 1.8rem; padding: 0.6rem; border: 1px solid var(--line); border-radius: 6px; }
figure h4 { margin: 0 0 0.3rem; }
figcaption { color: var(--muted); margin-top: 0.4rem; }
.figure-plot { width: 100%; min-height: 420px; overflow-x: auto; }
.figure-error { min-height: 0; color: var(--bad); }
img.static { max-width: 100%; }
.table-wrap { overflow-x: auto; margin: 0.5rem 0 1rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
caption { text-align: left; color: var(--muted); caption-side: bottom; padding-top: 0.3rem; }
th, td { border: 1px solid var(--line); padding: 0.25rem 0.55rem; vertical-align: top; text-align: left; }
th { background: var(--bg-alt); }
tbody tr:nth-child(even) { background: #fafbfc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv td:first-child { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; white-space: nowrap; }
table.kv td { word-break: break-word; }
.ok { color: var(--ok); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
.undecided { color: var(--muted); }
p.note { padding: 0.5rem 0.8rem; border-radius: 4px; border: 1px solid var(--line); background: var(--bg-alt); }
p.note.problem { background: var(--warn-bg); border-color: var(--warn-line); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.88em; }
@media (max-width: 900px) {
  .layout { display: block; }
  nav.toc { position: static; max-height: none; border-right: 0; border-bottom: 1px solid var(--line); }
}
"""

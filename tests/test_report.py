"""The HTML report builder (dephn.report), checked on a synthetic study output folder."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from plotly.offline import get_plotlyjs

from dephn.errors import DephnError
from dephn.report import build_report
from tests.report_fixtures import CLAIMS, FIGURES, FINGERPRINTS, make_output_folder


class _Elements(HTMLParser):
    """Every element's attributes, and the text of every script (as a browser would split them)."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.attrs, self.scripts, self._script = [], [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.attrs.append((tag, dict(attrs)))
        if tag == "script":
            self._script = [dict(attrs), ""]

    def handle_data(self, data):
        if self._script is not None:
            self._script[1] += data

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append(tuple(self._script))
            self._script = None


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = make_output_folder(tmp_path_factory.mktemp("study"))
    path = build_report(out)
    return path, path.read_text(encoding="utf-8")


def test_report_is_written_in_the_output_folder(report):
    path, html = report
    assert path.name == "report.html" and path.parent.name == "smoke"
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert not list(path.parent.glob(".report.html.*.tmp"))


def test_plotly_js_inlined_exactly_once(report):
    _, html = report
    head = get_plotlyjs()[:400]
    assert html.count(head) == 1
    assert html.count('id="plotly-js"') == 1


def test_each_figure_embedded_once_with_its_data(report):
    _, html = report
    scripts = {a.get("id"): text for a, text in _Elements(html).scripts if a.get("type") == "application/json"}
    assert len(scripts) == len(FIGURES)
    for name, _, fig in FIGURES:
        slug = name.replace("_", "-")
        assert html.count(f'id="fig-{slug}-plot"') == 1
        embedded = json.loads(scripts[f"fig-{slug}-json"])
        original = json.loads(fig.to_json())
        assert embedded["data"] == original["data"]
        assert embedded["layout"]["title"]["text"] == fig.layout.title.text


def test_script_breaking_trace_name_survives(report):
    _, html = report
    # the trace name "</script><b>x</b>" must not end its script element early
    assert "</script><b>x</b>" not in html
    scripts = {a.get("id"): text for a, text in _Elements(html).scripts}
    assert json.loads(scripts["fig-ssg-vectors-json"])["data"][0]["name"] == "</script><b>x</b>"


def test_figures_grouped_by_source_notebook_in_order(report):
    _, html = report
    g05, g06 = html.index('id="figures-05-gating-ipynb"'), html.index('id="figures-06-confidence-ipynb"')
    assert g05 < html.index('id="fig-gates-heatmap"') < html.index('id="fig-ssg-vectors"') < g06
    assert g06 < html.index('id="fig-confidence-curve"')
    assert "Notebook 05_gating.ipynb" in html and "Gate values" in html


def test_captions_are_escaped(report):
    _, html = report
    assert "Caption of gates_heatmap with &lt;i&gt;markup&lt;/i&gt; &amp; ampersand." in html
    assert "<i>markup</i>" not in html


def test_table_rows_rendered(report):
    _, html = report
    section = html[html.index('id="tables"'):html.index('id="runs"')]
    rows = re.findall(r"<tr>(.*?)</tr>", section)
    assert len(rows) == 3                                        # header + 2 data rows
    assert "<th>ctr_auc</th>" in rows[0]
    assert "<td>dephn</td>" in rows[2] and ">0.6201<" in rows[2]
    assert 'title="0.6123456789">0.61235<' in rows[1]          # long floats shortened, full in title
    assert "Test AUC, mean over seeds." in section


def test_claims_table(report):
    _, html = report
    section = html[html.index('id="claims"'):html.index('id="figures"')]
    rows = re.findall(r"<tr>(.*?)</tr>", section)[1:]
    assert len(rows) == len(CLAIMS)
    assert 'class="ok"' in rows[0] and "✓" in rows[0] and "0.00781" in rows[0]
    assert 'class="bad"' in rows[1] and "✗" in rows[1]
    assert 'class="undecided"' in rows[2] and "–" in rows[2]
    # evidence naming a table or figure links to it
    assert 'href="#table-main-results"' in rows[0] and 'href="#fig-gates-heatmap"' in rows[1]
    assert "seed spread 0.002" in rows[1]
    assert "1 reproduced, 1 not, 1 undecided" in html


def test_run_configuration(report):
    _, html = report
    section = html[html.index('id="configuration"'):]
    for dataset, fp in FINGERPRINTS.items():
        assert re.search(rf"<td>{dataset}</td><td>{re.escape(fp)}</td>", section)
    assert re.search(r'05_gating.ipynb</a></td><td>ok</td><td class="num" title="41.5">41.5</td><td></td>', section)
    assert re.search(r"<td>06_confidence.ipynb</td><td>failed</td><td[^>]*>3.5</td>"
                     r"<td>cell 4: ValueError: no runs</td>", section)
    assert re.search(r"<td>seconds</td><td[^>]*>300.0</td>", section)
    assert '<td><a href="notebooks/05_gating.ipynb">05_gating.ipynb</a></td>' in section   # executed copy
    assert "0.1.0+gdeadbeef" in section and "<td>torch</td>" in section
    assert "<td>seeds</td><td>[0, 1]</td>" in section


def test_runs_section_counts_per_model(report):
    _, html = report
    section = html[html.index('id="runs"'):html.index('id="configuration"')]
    assert "2 runs in the results store (2 ok)" in section
    rows = re.findall(r"<tr>(.*?)</tr>", section)[1:]
    assert [re.findall(r"<td[^>]*>(.*?)</td>", r)[1] for r in rows] == ["dephn", "mmoe"]
    assert "ctr 0.6300" in rows[0] and "ctr 0.6100" in rows[1]


def test_no_external_urls(report):
    _, html = report
    elements = _Elements(html)
    for tag, attrs in elements.attrs:
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            assert not re.match(r"(https?:)?//", value, re.I), (tag, key, value)
    assert not any(tag == "link" for tag, _ in elements.attrs)
    # plotly.js itself mentions URLs in its source; everything else must not
    outside = re.sub(r'<script id="plotly-js">.*?</script>', "", html, flags=re.S)
    assert "http://" not in outside and "https://" not in outside


def test_toc_links_to_every_section(report):
    _, html = report
    toc = html[html.index('<nav class="toc">'):html.index("</nav>")]
    for anchor in ("claims", "figures", "figures-05-gating-ipynb", "tables", "runs", "configuration"):
        assert f'href="#{anchor}"' in toc
        assert f'id="{anchor}"' in html


def test_missing_pieces_are_reported_in_the_page(tmp_path):
    out = make_output_folder(tmp_path, figures=False, tables=False, claims=False, records=False)
    html = build_report(out).read_text()
    assert "No figures were produced" in html and "No tables were produced" in html
    assert "No claims were evaluated" in html and "No results store was found" in html
    assert 'id="plotly-js"' not in html            # nothing to draw: plotly.js left out
    assert len(html) < 100_000


def test_missing_study_json_is_reported(tmp_path):
    out = make_output_folder(tmp_path, study=False)
    html = build_report(out).read_text()
    assert "No study.json was found" in html
    assert "profile <b>smoke</b>" in html          # the folder name stands in for the profile


def test_broken_pieces_become_problems_not_crashes(tmp_path):
    out = make_output_folder(tmp_path)
    (out / "figures" / "confidence_curve.json").unlink()
    (out / "figures" / "confidence_curve.png").write_bytes(b"\x89PNG fake")
    (out / "figures" / "ssg_vectors.json").write_text("{not json")
    (out / "tables" / "main_results.csv").unlink()
    (out / "claims.json").write_text('{"claim": "not a list"}')
    (out / "results" / "records" / "broken.json").write_text("{")
    html = build_report(out).read_text()
    problems = html[html.index('id="problems"'):html.index('id="claims"')]
    assert "figure confidence_curve: no plotly JSON file; its static image is shown" in problems
    assert "figure ssg_vectors: ssg_vectors.json: unreadable plotly JSON" in problems
    assert "table main_results: no CSV file" in problems
    assert "claims.json: expected a JSON list, found dict" in problems
    assert "broken.json: could not be read" in problems
    assert 'src="data:image/png;base64,' in html
    assert html.count('class="figure-plot"') == 1    # only gates_heatmap is still interactive
    assert "2 runs in the results store" in html


def test_index_as_plain_list_and_files_found_by_name(tmp_path):
    out = make_output_folder(tmp_path)
    index = json.loads((out / "figures" / "index.json").read_text())["figures"]
    for e in index:
        del e["files"]                            # <name>.json beside the index is found anyway
    (out / "figures" / "index.json").write_text(json.dumps(index))
    html = build_report(out).read_text()
    assert html.count('class="figure-plot"') == len(FIGURES)
    assert 'id="problems"' not in html


@pytest.mark.parametrize("make", [
    lambda p: p / "absent",
    lambda p: p,                                              # exists but holds nothing of a study
    lambda p: (p / "file.txt").write_text("x") and p / "file.txt",
])
def test_bad_folder_is_a_user_error(tmp_path, make):
    with pytest.raises(DephnError, match="folder"):
        build_report(make(tmp_path))


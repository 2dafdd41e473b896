"""The study report (dephn.report) opened from disk in headless Chromium: every figure draws,
nothing is fetched from the network, the console stays clean."""
from __future__ import annotations

import pytest

from dephn.report import build_report
from tests.browser.conftest import console_errors, save_screenshot
from tests.report_fixtures import FIGURES, make_output_folder

pytestmark = pytest.mark.browser


def test_report_renders_every_figure_offline(page, tmp_path):
    report = build_report(make_output_folder(tmp_path))
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri())

    divs = page.locator("div.figure-plot")
    assert divs.count() == len(FIGURES)
    page.wait_for_function("""() => Array.from(document.querySelectorAll('div.figure-plot'))
                                 .every(d => d.querySelector('.main-svg'))""", timeout=30_000, polling=200)
    assert page.locator("div.figure-plot .main-svg").count() >= len(FIGURES)
    assert page.locator(".figure-error").count() == 0
    # the data drawn is the data saved: the trace named "</script><b>x</b>" arrived intact
    names = page.evaluate("() => Array.from(document.querySelectorAll('div.figure-plot'))"
                          ".map(d => d.data.map(t => t.name || null))")
    assert ["</script><b>x</b>"] in names

    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert console_errors(page) == []
    save_screenshot(page, tmp_path, "report")


def test_report_without_figures_has_no_plotly_and_no_errors(page, tmp_path):
    report = build_report(make_output_folder(tmp_path, figures=False, records=False))
    page.goto(report.as_uri())
    assert page.locator("text=No figures were produced").count() == 1
    assert page.evaluate("() => typeof window.Plotly") == "undefined"
    assert console_errors(page) == []


def test_a_figure_that_cannot_draw_is_shown_and_logged(page, tmp_path):
    """Were plotly.js unusable, each figure says so in the page and on the console, so the
    checks above cannot pass on a silently blank report."""
    report = build_report(make_output_folder(tmp_path))
    # swallow plotly.js's `window.Plotly = ...` so the page finds no Plotly
    page.add_init_script("Object.defineProperty(window, 'Plotly', {get() {}, set(v) {}})")
    page.goto(report.as_uri())
    failed = page.locator("div.figure-plot.figure-error")
    assert failed.count() == len(FIGURES)
    assert "could not be drawn: Error: plotly.js did not load" in failed.first.inner_text()
    assert len(console_errors(page)) == len(FIGURES)

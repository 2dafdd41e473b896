"""Notebooks in a real JupyterLab (headless Chromium): they run, render, raise nothing, and
their widgets drive their figures.

The harness is first checked on a tiny notebook written here (pure plotly + ipywidgets, no
project code); the study's interactive notebooks are then held to the same checks.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
import pytest

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

from tests.browser.conftest import (all_figure_signatures, cell_errors, console_errors, descendant_pids,
                                    figure_signature, nudge_widget, open_and_run_all, save_screenshot,
                                    set_widget, wait_for_figure_change, widget_controls)

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
STUDY_NOTEBOOKS = ("notebooks/05_gating.ipynb", "notebooks/06_confidence.ipynb")
# repository folders a study notebook may read relative to itself (../data); linked beside the
# copy so that it runs from tmp_path unchanged; its parameters cell is pointed at the session's smoke study.
STUDY_LINKS = ("data",)
STUDY_PROFILE = "smoke"
STUDY_RUN_TIMEOUT_MS = 300_000

# a FigureWidget whose data and title follow a slider (the power) and a dropdown (the curve)
HARNESS_SOURCE = '''\
import ipywidgets as widgets
import plotly.graph_objects as go

xs = [i / 10 for i in range(31)]
power = widgets.IntSlider(value=2, min=1, max=5, description="power")
curve = widgets.Dropdown(options=["power", "damped"], value="power", description="curve")
fig = go.FigureWidget(go.Scatter(x=xs, y=xs, mode="lines", name="curve"))

def redraw(_=None):
    ys = [x ** power.value * (1.0 if curve.value == "power" else 0.5 ** x) for x in xs]
    with fig.batch_update():
        fig.data[0].y = ys
        fig.layout.title.text = f"{curve.value} curve, power {power.value}"

power.observe(redraw, "value")
curve.observe(redraw, "value")
redraw()
widgets.VBox([power, curve, fig])
'''


def write_notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Browser harness check")]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def assert_rendered_cleanly(page) -> None:
    """No cell raised, at least one plotly figure is drawn (its SVG exists), the console is clean."""
    assert cell_errors(page) == []
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)   # widgets draw after the run
    assert console_errors(page) == []


def test_harness_notebook_renders_and_widgets_drive_the_figure(page, jupyterlab_server, tmp_path):
    root = tmp_path / "lab"
    write_notebook(root / "harness.ipynb", HARNESS_SOURCE)
    server = jupyterlab_server(root)
    open_and_run_all(page, server.url, "harness.ipynb")
    assert_rendered_cleanly(page)
    assert [w["label"] for w in widget_controls(page)] == ["power", "curve"]
    save_screenshot(page, tmp_path, "harness-before")

    before = figure_signature(page, 0)
    set_widget(page, "power", 4)
    assert wait_for_figure_change(page, [before]) == [0]
    # the slider passes through 3 on its way: wait for the final title, not the first change
    expect(page.locator(".js-plotly-plot .gtitle")).to_have_text("power curve, power 4")

    before = figure_signature(page, 0)
    set_widget(page, "curve", "damped")
    assert wait_for_figure_change(page, [before]) == [0]
    expect(page.locator(".js-plotly-plot .gtitle")).to_have_text("damped curve, power 4")

    assert console_errors(page) == []
    save_screenshot(page, tmp_path, "harness-after")


def test_harness_reports_failing_cells(page, jupyterlab_server, tmp_path):
    """The checks can fail: an exception and a syntax error are seen (a warning on stderr is
    not an error), and Run All does not hang on them."""
    root = tmp_path / "lab"
    warn = "import warnings; warnings.warn('an Error-looking warning')"
    write_notebook(root / "raises.ipynb", warn, "raise ValueError('harness check')", "y = 2")
    write_notebook(root / "syntax.ipynb", warn, "x = (", "y = 2")
    server = jupyterlab_server(root)
    for name, expected in (("raises.ipynb", "ValueError: harness check"),
                           ("syntax.ipynb", "SyntaxError")):
        open_and_run_all(page, server.url, name)
        errors = cell_errors(page)
        assert len(errors) == 1 and expected in errors[0], errors
        save_screenshot(page, tmp_path, Path(name).stem)

    # stopping the server takes its kernels with it (the fixture does this at teardown too)
    if not sys.platform.startswith("linux"):
        return                                  # kernel processes are found through /proc
    kernels = descendant_pids(server.proc.pid)
    assert len(kernels) >= 2                    # one per opened notebook
    server.stop()
    assert server.proc.poll() is not None
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in kernels) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in kernels if _alive(pid)]


def _alive(pid: int) -> bool:
    """A running (not zombie) process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def stage_study_notebook(relpath: str, root: Path, out_dir: Path | None = None) -> str:
    """Copy a study notebook, outputs cleared, into `root` at the same relative path, linking the
    repository folders it may read (STUDY_LINKS), its parameters cell set to the smoke profile and
    `out_dir` (as papermill would inject them); the original is never touched by the run."""
    dest = root / relpath
    dest.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(REPO / relpath, as_version=4)
    for cell in nb.cells:            # start clean: saved outputs must not pass for this run's
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if "parameters" in cell.metadata.get("tags", []):
            cell.source += f"\nprofile = {STUDY_PROFILE!r}\nout_dir = {str(out_dir) if out_dir else None!r}\n"
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, dest)
    for name in STUDY_LINKS:
        if (REPO / name).exists() and not (root / name).exists():
            (root / name).symlink_to(REPO / name, target_is_directory=True)
    return relpath


@pytest.mark.parametrize("nb", STUDY_NOTEBOOKS)
def test_study_notebook_interactive(nb, page, jupyterlab_server, tmp_path, smoke_study):
    if not (REPO / nb).is_file():
        pytest.skip("notebook not present yet")
    root = tmp_path / "lab"
    relpath = stage_study_notebook(nb, root, out_dir=smoke_study[0])
    server = jupyterlab_server(root)
    open_and_run_all(page, server.url, relpath, timeout_ms=STUDY_RUN_TIMEOUT_MS)
    assert_rendered_cleanly(page)
    save_screenshot(page, tmp_path, Path(nb).stem + "-before")

    controls = widget_controls(page)
    assert controls, "the notebook shows no slider or dropdown"
    before = all_figure_signatures(page)
    nudge_widget(page, 0)
    assert wait_for_figure_change(page, before), f"changing {controls[0]['label']!r} changed no figure"
    assert console_errors(page) == []
    save_screenshot(page, tmp_path, Path(nb).stem + "-after")

"""Real-browser fixtures: headless Chromium through Playwright, and a throw-away JupyterLab.

Chromium is Debian's (/usr/bin/chromium), launched by Playwright's bundled driver; Playwright's
own browser download (`playwright install`) is never used. The tests skip, with the reason,
only when that binary or the playwright package is missing; CI installs both.

JupyterLab runs in its own process session with temporary config, runtime, workspace and
settings folders, so nothing of the user's setup leaks in and nothing is left behind; the
server and its kernels are always stopped (fixture teardown, atexit and SIGTERM).

Helpers for the tests: `open_and_run_all`, `cell_errors`, `console_errors`, `figure_signature`
(+ `all_figure_signatures`, `wait_for_figure_change`), `widget_controls`, `set_widget`,
`nudge_widget`, `save_screenshot`. A failing test using `page` leaves a FAILED-*.png screenshot.
"""
from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1000}
SERVER_START_TIMEOUT = 60      # s; a cold start on 2 busy cores takes ~6 s
KERNEL_IDLE_TIMEOUT = 60_000   # ms
RUN_ALL_TIMEOUT = 120_000      # ms; the harness notebook needs ~15 s (cold plotly import)

# Console messages that are not failures of what we test. Each filter is narrow (type + exact
# text pattern) and says why it is benign; anything else fails the test.
BENIGN_CONSOLE: tuple[tuple[str, re.Pattern, re.Pattern], ...] = (
    # (kind, message pattern, source-URL pattern). None needed so far with JupyterLab 4.6,
    # ipywidgets 8.1, plotly 7.1 and Chromium 156: add an entry only for noise actually seen.
)


# ---------------------------------------------------------------- browser

@pytest.fixture(scope="session")
def playwright_browser():
    """One headless Chromium for the session (a browser launch is ~1 s; pages are cheap)."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright; no `playwright install` needed)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser(playwright_browser):
    """A fresh browser context (own storage) per test; closed afterwards."""
    context = playwright_browser.new_context(viewport=VIEWPORT)
    try:
        yield context
    finally:
        context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item._dephn_call_failed = report.failed     # read by `page` to keep a failure screenshot
    return report


@pytest.fixture
def page(browser, request, tmp_path):
    """A page whose console errors and uncaught exceptions are collected from the start; when
    the test fails, a screenshot of its last state is saved (see save_screenshot)."""
    p = browser.new_page()
    _attach_console(p)
    yield p
    if getattr(request.node, "_dephn_call_failed", False):
        try:
            save_screenshot(p, tmp_path, f"FAILED-{_safe_name(request.node.name)}")
        except Exception as e:      # a dead page must not hide the test's own failure
            print(f"no failure screenshot: {e}")


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:120]


def _attach_console(page) -> None:
    log = []
    page.on("console", lambda m: log.append((m.type, m.text, (m.location or {}).get("url", ""))))
    page.on("pageerror", lambda e: log.append(("pageerror", str(e), "")))
    page._dephn_console = log


def console_errors(page) -> list[str]:
    """Errors logged by the page so far (console.error and uncaught exceptions), known benign
    noise removed (see BENIGN_CONSOLE)."""
    out = []
    for kind, text, url in getattr(page, "_dephn_console", []):
        if kind not in ("error", "pageerror"):
            continue
        if any(kind == k and t.search(text) and u.search(url) for k, t, u in BENIGN_CONSOLE):
            continue
        out.append(f"{kind}: {text}" + (f" ({url})" if url else ""))
    return out


def save_screenshot(page, tmp_path: Path, name: str) -> Path:
    """Full-page screenshot under the test's tmp_path, copied to $DEPHN_BROWSER_ARTIFACTS if set."""
    path = Path(tmp_path) / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    artifacts = os.environ.get("DEPHN_BROWSER_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, Path(artifacts) / path.name)
    return path


# ---------------------------------------------------------------- JupyterLab server

@dataclass(eq=False)       # identity semantics: servers are kept in a set
class LabServer:
    """A running JupyterLab: its base URL, root folder and process (own session)."""
    url: str
    root: Path
    proc: subprocess.Popen
    home: Path
    kernel_pids: set[int] = field(default_factory=set)

    def stop(self) -> None:
        """SIGTERM the server's process group (the server shuts its kernels down), then SIGKILL
        whatever is left of it and of the kernels (each kernel runs in its own session)."""
        if self.proc.poll() is None:
            self.kernel_pids |= descendant_pids(self.proc.pid)
            _signal_group(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        _signal_group(self.proc.pid, signal.SIGKILL)
        for pid in self.kernel_pids:
            _signal_group(pid, signal.SIGKILL)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        _LIVE.discard(self)


_LIVE: set[LabServer] = set()


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)        # every process started by us leads its own group
    except (ProcessLookupError, PermissionError):
        pass


def descendant_pids(pid: int) -> set[int]:
    """Child processes (kernels) of `pid`, from /proc (Linux); empty elsewhere."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[-1].split()
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def _stop_all() -> None:
    for server in list(_LIVE):
        server.stop()


atexit.register(_stop_all)


def _on_sigterm(signum, frame):
    # pytest killed by a CI timeout or a user: stop the servers, then die as SIGTERM would
    _stop_all()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_lab_settings(settings_dir: Path) -> None:
    settings = {
        # open notebooks with the default kernel, no kernel-picker dialog in the way; render
        # every cell (no virtual scrolling), so the DOM holds all outputs
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
            {"autoStartDefaultKernel": True, "windowingMode": "none"},
        # no "get notified about Jupyter news?" toast (it would cover outputs in screenshots)
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
    }
    for rel, value in settings.items():
        path = settings_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


def start_jupyterlab(notebook_dir: Path, home: Path, env: dict[str, str] | None = None) -> LabServer:
    """Start JupyterLab serving `notebook_dir`; returns once /api/status answers. `env` is added
    to the server's environment, which its kernels inherit."""
    for d in ("config", "runtime", "workspaces", "settings", "ipython"):
        (home / d).mkdir(parents=True, exist_ok=True)
    _write_lab_settings(home / "settings")
    env = {**os.environ,
           "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"), "IPYTHONDIR": str(home / "ipython"),
           # kernels resolve `python` through PATH: make it this interpreter's environment
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
           **(env or {})}
    port = _free_port()
    log = open(home / "jupyterlab.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--allow-root", "--ServerApp.token=", "--ServerApp.password=", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         f"--ServerApp.root_dir={notebook_dir}"],
        cwd=notebook_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    server = LabServer(url=f"http://127.0.0.1:{port}", root=Path(notebook_dir), proc=proc, home=home)
    _LIVE.add(server)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            server.stop()
            raise RuntimeError(f"jupyter lab exited with {proc.returncode}:\n{_tail(home / 'jupyterlab.log')}")
        try:
            with urllib.request.urlopen(f"{server.url}/api/status", timeout=2) as r:
                if r.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"jupyter lab did not answer in {SERVER_START_TIMEOUT} s:\n{_tail(home / 'jupyterlab.log')}")


def _tail(path: Path, n: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


@pytest.fixture
def jupyterlab_server(tmp_path):
    """`jupyterlab_server(notebook_dir, env=None) -> LabServer`; every server started is stopped
    at teardown, whether the test passed, failed or was interrupted."""
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    started: list[LabServer] = []

    def start(notebook_dir, env: dict[str, str] | None = None) -> LabServer:
        server = start_jupyterlab(Path(notebook_dir), tmp_path / f"lab-home-{len(started)}", env)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()
        signal.signal(signal.SIGTERM, previous)


# ---------------------------------------------------------------- driving a notebook

_VISIBLE = ".jp-NotebookPanel:not(.lm-mod-hidden)"     # the notebook in the current tab

# true once the kernel is connected and idle: the status bar reads "<kernel name> | Idle" (the
# toolbar's execution indicator alone also says "idle" before any kernel exists)
_KERNEL_IDLE_JS = """() => {
  const ind = document.querySelector('""" + _VISIBLE + """ .jp-Notebook-ExecutionIndicator');
  const bar = Array.from(document.querySelectorAll('.jp-StatusBar-TextItem')).map(e => e.textContent.trim());
  return !!ind && ind.getAttribute('data-status') === 'idle'
         && bar.some(t => /\\|\\s*Idle$/.test(t) && !t.startsWith('No Kernel'));
}"""

# JupyterLab renders an exception as a stderr text output, like any stderr stream; IPython's
# exception text is recognised by its traceback header or, for syntax errors, its `Cell In[n]`
# location line (a warning on stderr has neither)
_ERROR_TEXT_RE = r"Traceback \(most recent call last\)|Cell In\[\d+\], line \d+"
# true once Run All has finished: kernel idle, no `[*]` prompt, and every non-empty code cell
# numbered, or (a cell failed, so Run All stopped) an exception is shown
_RUN_DONE_JS = """() => {
  const cells = Array.from(document.querySelectorAll('""" + _VISIBLE + """ .jp-CodeCell'));
  const prompts = cells.map(c => (c.querySelector('.jp-InputPrompt') || {}).textContent || '');
  if (prompts.some(p => p.includes('[*]'))) return false;
  const idle = (""" + _KERNEL_IDLE_JS + """)();
  if (!idle) return false;
  const errored = Array.from(document.querySelectorAll(
      '""" + _VISIBLE + """ [data-mime-type="application/vnd.jupyter.stderr"]'))
    .some(e => /""" + _ERROR_TEXT_RE + """/.test(e.textContent));
  const pending = cells.filter((c, i) => {
    const src = (c.querySelector('.cm-content') || {}).textContent || '';
    return src.trim() !== '' && !/\\[\\d+\\]/.test(prompts[i]);
  });
  return pending.length === 0 || errored;
}"""

_WATCH_RUN_JS = """() => {
  window.__dephnRunStarted = false;
  const panel = document.querySelector('""" + _VISIBLE + """');
  const obs = new MutationObserver(() => {
    if (Array.from(panel.querySelectorAll('.jp-InputPrompt')).some(p => p.textContent.includes('[*]'))) {
      window.__dephnRunStarted = true;
      obs.disconnect();
    }
  });
  obs.observe(panel, {subtree: true, childList: true, characterData: true});
}"""


def open_and_run_all(page, base_url: str, notebook_relpath: str, timeout_ms: int = RUN_ALL_TIMEOUT) -> None:
    """Open a notebook in JupyterLab, wait for an idle kernel, run Run → Run All Cells from the
    menu and wait until every cell has finished."""
    # `?reset` starts from an empty workspace, so no notebook opened earlier is restored beside it
    page.goto(f"{base_url}/lab/tree/{notebook_relpath}?reset")
    page.wait_for_function("""(name) => {
        const tab = document.querySelector('#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel');
        return !!tab && tab.textContent.trim() === name
               && !!document.querySelector('""" + _VISIBLE + """ .jp-Cell');
    }""", arg=Path(notebook_relpath).name, timeout=KERNEL_IDLE_TIMEOUT, polling=200)
    page.wait_for_function(_KERNEL_IDLE_JS, timeout=KERNEL_IDLE_TIMEOUT, polling=200)
    # Run All marks queued cells `[*]` at once; an observer set up before the click sees that
    # even when a quick cell finishes between two polls, so the end of a run that has not
    # started yet (or numbers left over from saved outputs) is never mistaken for completion
    page.evaluate(_WATCH_RUN_JS)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    page.wait_for_function("() => window.__dephnRunStarted === true", timeout=KERNEL_IDLE_TIMEOUT, polling=100)
    page.wait_for_function(_RUN_DONE_JS, timeout=timeout_ms, polling=250)


def cell_errors(page) -> list[str]:
    """Exceptions shown in the open notebook's outputs (see _ERROR_TEXT_RE)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll(
        '""" + _VISIBLE + """ .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"],' +
        '""" + _VISIBLE + """ .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]'))
      .map(e => [e.getAttribute('data-mime-type'), e.textContent])
      .filter(([mime, text]) => mime.endsWith('.error') || /""" + _ERROR_TEXT_RE + """/.test(text))
      .map(([mime, text]) => text.slice(0, 2000))""")


# ---------------------------------------------------------------- figures and widgets

# plotly keeps the figure on its div (`gd.data`, `gd.layout`); typed arrays become lists so
# that the signature compares values, plus the drawn title and trace paths from the SVG
_SIGNATURE_JS = """([index, selector]) => {
  const gd = document.querySelectorAll(selector)[index];
  if (!gd) return null;
  const plain = v => (ArrayBuffer.isView(v) ? Array.from(v) : v);
  const data = (gd.data || []).map(t => {
    const o = {};
    for (const k of ['type', 'name', 'mode', 'x', 'y', 'z', 'visible']) if (k in t) o[k] = plain(t[k]);
    return o;
  });
  const title = Array.from(gd.querySelectorAll('.gtitle')).map(e => e.textContent);
  const paths = Array.from(gd.querySelectorAll('.main-svg .plot path')).map(e => e.getAttribute('d'));
  return JSON.stringify({data, title, paths});
}"""

FIGURE_SELECTOR = ".js-plotly-plot"


def figure_signature(page, index: int, selector: str = FIGURE_SELECTOR) -> str | None:
    """A string that changes whenever the index-th plotly figure's data, title or drawing does."""
    return page.evaluate(_SIGNATURE_JS, [index, selector])


def all_figure_signatures(page, selector: str = FIGURE_SELECTOR) -> list[str | None]:
    return [figure_signature(page, i, selector) for i in range(page.locator(selector).count())]


def wait_for_figure_change(page, before: list, timeout_s: float = 20, selector: str = FIGURE_SELECTOR) -> list[int]:
    """Indices of the figures whose signature differs from `before` (waits until one does)."""
    deadline = time.monotonic() + timeout_s
    while True:
        now = all_figure_signatures(page, selector)
        changed = [i for i, sig in enumerate(now) if i >= len(before) or sig != before[i]]
        if changed or time.monotonic() > deadline:
            return changed
        time.sleep(0.2)


_CONTROL = ".widget-slider, .widget-dropdown"


def _control(page, label_or_index):
    controls = page.locator(_CONTROL)
    if isinstance(label_or_index, int):
        return controls.nth(label_or_index)
    return controls.filter(has=page.locator(".widget-label", has_text=re.compile(
        rf"^\s*{re.escape(label_or_index)}\s*$"))).first


def widget_controls(page) -> list[dict]:
    """The notebook's sliders and dropdowns: kind, label, options (dropdown) or value (slider)."""
    return page.evaluate("""(sel) => Array.from(document.querySelectorAll(sel)).map(w => ({
        kind: w.classList.contains('widget-dropdown') ? 'dropdown' : 'slider',
        label: ((w.querySelector('.widget-label') || {}).textContent || '').trim(),
        options: Array.from(w.querySelectorAll('option')).map(o => o.textContent),
        value: w.classList.contains('widget-dropdown') ? (w.querySelector('select') || {}).value
               : ((w.querySelector('.widget-readout') || {}).textContent || '').trim()}))""", _CONTROL)


def _wait_text_change(page, locator, old: str, timeout_ms: int = 5000) -> None:
    page.wait_for_function("([el, old]) => el.textContent.trim() !== old",
                           arg=[locator.element_handle(), old], timeout=timeout_ms)


def _as_number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def set_widget(page, label_or_index, value, max_steps: int = 200) -> None:
    """Set an ipywidgets slider or dropdown, addressed by its label or its index among them.

    A slider moves by arrow keys on its focused handle, as a user would, until its readout
    shows `value` (numbers compared as numbers; a selection slider's label as text); a
    dropdown selects the option whose text is `value`."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    control = _control(page, label_or_index)
    control.wait_for(state="visible")
    if "widget-dropdown" in (control.get_attribute("class") or ""):
        control.locator("select").select_option(label=str(value))
        return
    handle, readout = control.locator(".noUi-handle").first, control.locator(".widget-readout")
    handle.focus()
    target = _as_number(value)
    keys = ["ArrowRight", "ArrowLeft"]        # for a text target: sweep right, then left
    for _ in range(max_steps):
        old = readout.inner_text().strip()
        now = _as_number(old)
        if (now == target) if target is not None and now is not None else old == str(value):
            return
        if target is not None and now is not None:
            keys = ["ArrowRight" if now < target else "ArrowLeft"]
        handle.press(keys[0])
        try:
            _wait_text_change(page, readout, old)
        except PlaywrightTimeout as e:      # at a bound: turn round once (text target), else give up
            if len(keys) > 1:
                keys.pop(0)
                continue
            raise AssertionError(f"slider {label_or_index!r} stuck at {old} on its way to {value}") from e
    raise AssertionError(f"slider {label_or_index!r} did not reach {value} in {max_steps} steps")


def nudge_widget(page, label_or_index) -> str:
    """Change a control by one user step, whatever its values: a dropdown to its next option,
    a slider one arrow step right (left when at its maximum). Returns the new value's text."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    control = _control(page, label_or_index)
    control.wait_for(state="visible")
    if "widget-dropdown" in (control.get_attribute("class") or ""):
        select = control.locator("select")
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("s => s.options[s.selectedIndex] ? s.options[s.selectedIndex].text : ''")
        if len(options) < 2:
            raise AssertionError(f"dropdown {label_or_index!r} has a single option")
        new = options[(options.index(current) + 1) % len(options)] if current in options else options[0]
        select.select_option(label=new)
        return new
    handle, readout = control.locator(".noUi-handle").first, control.locator(".widget-readout")
    handle.focus()
    old = readout.inner_text().strip()
    for key in ("ArrowRight", "ArrowLeft"):
        handle.press(key)
        try:
            _wait_text_change(page, readout, old, timeout_ms=2000)
            return readout.inner_text().strip()
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"slider {label_or_index!r} did not move from {old}")

"""The one helper that writes every figure of the study: `<name>.html` (offline, beside one shared
`plotly.min.js`), `<name>.json` (the plotly JSON the report embeds), `<name>.png` (kaleido +
Chromium; skipped with a warning without one), each atomically, and an entry in
`<out_dir>/index.json` (updated under a lock, so parallel notebooks lose none).
"""
from __future__ import annotations

import functools
import html
import json
import os
import re
import warnings
from pathlib import Path
from typing import Iterable

import plotly.graph_objects as go

from ..errors import DephnError
from ..fileio import atomic_write, locked
from .theme import DEFAULT_HEIGHT, DEFAULT_WIDTH

INDEX = "index.json"
PLOTLY_JS = "plotly.min.js"
STATIC_FORMATS = ("png", "svg", "pdf")
FORMATS = ("html",) + STATIC_FORMATS      # "json" is always written
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
_PNG_SCALE = 2                            # retina-sharp PNGs at the figure's layout size


class StaticImageWarning(UserWarning):
    """A static image (PNG/SVG/PDF) could not be written; the HTML and JSON were."""


def save_figure(fig: go.Figure, name: str, out_dir: str | Path, *, title: str | None = None,
                caption: str = "", source: str = "",
                formats: Iterable[str] = ("html", "png")) -> dict[str, Path]:
    """Write `fig` as `<name>.json` plus `formats` into `out_dir`; update `out_dir/index.json`.

    name: a slug, the files' stem; title: defaults to the figure's title, else the name; caption,
    source: what it shows and which notebook made it. Returns {format: path} of the files written
    (a static format that could not be produced is missing, with a `StaticImageWarning`).
    """
    if not isinstance(name, str) or not _SLUG.match(name):
        raise DephnError(f"figure name {name!r} is not a slug: use 1-100 lower-case letters, "
                         "digits, '-' or '_', starting with a letter or digit")
    formats = tuple(dict.fromkeys(formats))
    unknown = [f for f in formats if f not in FORMATS and f != "json"]
    if unknown:
        raise DephnError(f"unknown figure format(s) {unknown}; known: {', '.join(FORMATS)}")
    if not isinstance(fig, go.Figure):   # FigureWidget is a subclass of BaseFigure, not Figure
        fig = go.Figure(fig)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if title is None:       # the figure's title without its markup (<br>, <b> ...), else the name
        title = " ".join(re.sub(r"<[^>]+>", " ", fig.layout.title.text or "").split()) or name

    written: dict[str, Path] = {}
    written["json"] = atomic_write(out / f"{name}.json", fig.to_json().encode())
    if "html" in formats:
        _ensure_plotly_js(out)
        page = _html_page(fig, title, caption, source)
        written["html"] = atomic_write(out / f"{name}.html", page.encode())
    for fmt in (f for f in formats if f in STATIC_FORMATS):
        data = static_image(fig, fmt)
        if data is not None:
            written[fmt] = atomic_write(out / f"{name}.{fmt}", data)

    _update_index(out, {"name": name, "title": title, "caption": caption, "source": source,
                        "files": {fmt: p.name for fmt, p in written.items()}})
    return written


def read_index(out_dir: str | Path) -> list[dict]:
    """The figures recorded in `out_dir/index.json`, in the order they were first saved."""
    path = Path(out_dir) / INDEX
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text())
        return list(data["figures"])
    except (ValueError, KeyError, TypeError) as e:
        raise DephnError(f"{path}: not a figure index written by save_figure ({e})") from e


@functools.cache
def static_png_available() -> bool:
    """True when kaleido and a Chromium-based browser (where kaleido looks) are installed.
    Cached: call `static_png_available.cache_clear()` after installing a browser."""
    try:
        import kaleido  # noqa: F401  (only its presence matters here)
    except ImportError:
        return False
    try:
        from choreographer.browsers.chromium import Chromium
        path = Chromium.find_browser(skip_local=False)
        # $BROWSER_PATH is returned unchecked: make sure it names a program
        return path is not None and os.path.isfile(path) and os.access(path, os.X_OK)
    except Exception:  # noqa: BLE001  an internal API that may move: fall back to PATH
        import shutil
        return any(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "chrome"))


# --- static images -----------------------------------------------------------------------

_server_started = False


def static_image(fig: go.Figure, fmt: str = "png") -> bytes | None:
    """The figure as PNG/SVG/PDF bytes at its layout size, or None (with a `StaticImageWarning`)."""
    if fmt not in STATIC_FORMATS:
        raise DephnError(f"unknown static format {fmt!r}; known: {', '.join(STATIC_FORMATS)}")
    if not static_png_available():
        warnings.warn(f"no Chromium-based browser found for kaleido: the {fmt.upper()} image is "
                      "skipped (HTML and JSON are written). Install one, e.g. "
                      "`apt-get install chromium`, or set BROWSER_PATH.", StaticImageWarning,
                      stacklevel=3)
        return None
    _start_kaleido()
    width = fig.layout.width or DEFAULT_WIDTH
    height = fig.layout.height or DEFAULT_HEIGHT
    try:
        with warnings.catch_warnings():
            # plotly passes per-call browser options that a running server ignores, and says so
            warnings.filterwarnings("ignore", message="The kopts argument is ignored")
            return fig.to_image(format=fmt, width=width, height=height,
                                scale=_PNG_SCALE if fmt == "png" else 1)
    except Exception as e:  # noqa: BLE001  a browser failure must not lose a notebook's results
        warnings.warn(f"kaleido could not export the {fmt.upper()} image ({type(e).__name__}: {e}); "
                      "HTML and JSON are written", StaticImageWarning, stacklevel=3)
        return None


def _start_kaleido() -> None:
    """Start kaleido's browser once per process: later images take ~0.25 s instead of ~3 s."""
    global _server_started
    if _server_started:
        return
    import atexit

    import kaleido
    kaleido.start_sync_server(silence_warnings=True)
    atexit.register(kaleido.stop_sync_server, silence_warnings=True)
    _server_started = True


# --- HTML ----------------------------------------------------------------------------------


def _html_page(fig: go.Figure, title: str, caption: str, source: str) -> str:
    height = fig.layout.height or DEFAULT_HEIGHT
    div = fig.to_html(include_plotlyjs="directory", full_html=False, div_id="figure",
                      default_width="100%", default_height=f"{height}px",
                      config={"displaylogo": False, "responsive": True})
    notes = []
    if caption:
        notes.append(f"<p>{html.escape(caption)}</p>")
    if source:
        notes.append(f'<p class="source">Source: {html.escape(source)}</p>')
    return ("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n"
            "<style>body{font-family:Helvetica,Arial,sans-serif;margin:1em 2em;max-width:1400px}"
            "figcaption{color:#333}.source{color:#777;font-size:90%}</style>\n"
            f"</head>\n<body>\n<figure>\n{div}\n<figcaption>{''.join(notes)}</figcaption>\n"
            "</figure>\n</body>\n</html>\n")


def _ensure_plotly_js(out: Path) -> None:
    """Write the bundled plotly.js beside the pages unless an identical copy is there."""
    from plotly.offline import get_plotlyjs
    data = get_plotlyjs().encode()
    path = out / PLOTLY_JS
    # a copy from another plotly version would not match the JSON this version writes
    if not path.is_file() or path.stat().st_size != len(data) or path.read_bytes() != data:
        atomic_write(path, data)


# --- files and the index ------------------------------------------------------------------


def _update_index(out: Path, entry: dict) -> None:
    with locked(out / f".{INDEX}.lock"):
        figures = read_index(out)
        for i, old in enumerate(figures):
            if old.get("name") == entry["name"]:
                figures[i] = entry        # keep the figure's place in the report order
                break
        else:
            figures.append(entry)
        text = json.dumps({"figures": figures}, indent=1, ensure_ascii=False) + "\n"
        atomic_write(out / INDEX, text.encode())


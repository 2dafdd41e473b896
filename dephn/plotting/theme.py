"""One look for every figure: template, sizes, a stable colour per model (the same in every
figure; other names take the next free palette colour), and the input checks.
"""
from __future__ import annotations

import textwrap
from typing import Iterable

import numpy as np
import plotly.graph_objects as go

from ..errors import DephnError

TEMPLATE = "plotly_white"
FONT = dict(family="Helvetica, Arial, sans-serif", size=13)
TITLE_SIZE = 16
_LINE_PX = 21          # height of one title line at TITLE_SIZE
DEFAULT_WIDTH = 1000    # px, used for static images when a figure sets no width
DEFAULT_HEIGHT = 600    # px

# Plotly's "D3"/"Plotly" qualitative colours, reordered so neighbours contrast.
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
           "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22")

# Stable colours for the models of the study (registry names and display names alike).
MODEL_COLORS = {
    "mmoe": "#1f77b4", "dephn": "#d62728", "mtphn": "#2ca02c", "mt-phn": "#2ca02c",
    "ple": "#ff7f0e", "snr": "#9467bd", "shared_bottom": "#8c564b", "shared-bottom": "#8c564b",
    "dnn": "#7f7f7f", "wide_deep": "#bcbd22", "w&d": "#bcbd22", "dcn": "#17becf",
    "fint": "#e377c2", "nfm": "#393b79", "xdeepfm": "#637939",
    # correlation measures of the virtual gradient (Fig. 5) and gate kinds (Fig. 6)
    "pearson": "#d62728", "cosine": "#1f77b4", "tvg": "#d62728", "mg": "#1f77b4",
}

TRUE_CURVE_COLOR = "#222222"
SEQUENTIAL = "Viridis"      # magnitudes (gamma values, gate values)
DIVERGING = "RdBu_r"        # signed deviations around a reference (SSG vectors around 0.5)


def colors_for(names: Iterable[str]) -> dict[str, str]:
    """A colour per name: the fixed one if the name is known, else the next unused palette colour."""
    names = list(dict.fromkeys(str(n) for n in names))
    out = {n: MODEL_COLORS[n.lower()] for n in names if n.lower() in MODEL_COLORS}
    free = [c for c in PALETTE if c not in out.values()] or list(PALETTE)
    i = 0
    for n in names:
        if n not in out:
            out[n] = free[i % len(free)]
            i += 1
    return out


def require_columns(frame, columns: Iterable[str], what: str) -> None:
    """A DephnError naming the columns `frame` lacks (`what` names the frame)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DephnError(f"{what} lacks column(s) {missing}")


def rgba(color: str, alpha: float) -> str:
    """'#rrggbb' -> 'rgba(r, g, b, alpha)', for translucent bands of a line's colour."""
    h = color.lstrip("#")
    if len(h) != 6:
        raise ValueError(f"expected a #rrggbb colour, got {color!r}")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


def fill_band(x, lo, hi, color: str, name: str, group: str, alpha: float = 0.18) -> go.Scatter:
    """A translucent band between lo and hi over x: one closed polygon, upper edge forward, lower back."""
    x = np.asarray(x)
    return go.Scatter(x=np.r_[x, x[::-1]], y=np.r_[np.asarray(hi), np.asarray(lo)[::-1]], fill="toself",
                      fillcolor=rgba(color, alpha), line=dict(width=0), hoverinfo="skip",
                      name=name, legendgroup=group, showlegend=False)


def finish(fig: go.Figure, title: str, *, width: int | None = None, height: int | None = None,
           **layout) -> go.Figure:
    """The study's template, title (broken into lines: plotly does not wrap) and size; extra keyword
    arguments go to the layout."""
    lines = wrap_title(title, width or DEFAULT_WIDTH)
    # px between the title's first line and the plot area: plotly anchors a multi-line
    # title's bottom on its first line, so the later lines need room below it too
    pad = (34 if _has_subplot_titles(fig) else 14) + _LINE_PX * (len(lines) - 1)
    fig.update_layout(template=TEMPLATE, font=FONT,
                      title=dict(text="<br>".join(lines), font=dict(size=TITLE_SIZE),
                                 x=0.0, xref="paper", xanchor="left",
                                 # just above the plot area (and any subplot titles there)
                                 y=1.0, yref="paper", yanchor="bottom", pad=dict(b=pad)),
                      width=width, height=height,
                      # room for every title line; not title.automargin, which leaves
                      # histogram bars floating above their axis (plotly.js 3)
                      margin=dict(t=pad + 16 + _LINE_PX, l=70, r=30, b=60), **layout)
    return fig


def wrap_title(title: str, width_px: int) -> list[str]:
    """Lines that fit `width_px` (about 8.5 px per character at TITLE_SIZE), broken at spaces."""
    chars = max(30, int((width_px - 100) / 8.5))
    return textwrap.wrap(title, chars, break_long_words=False) or [""]


def _has_subplot_titles(fig: go.Figure) -> bool:
    # make_subplots writes subplot titles as annotations anchored to the top of a domain
    return any(a.yanchor == "bottom" and a.yref == "paper" for a in fig.layout.annotations)

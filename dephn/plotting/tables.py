"""Tables I and II as readers should see them: "mean ± std" over seeds, one row per model.

Tables stay pandas frames (they print in notebooks and export to Markdown/LaTeX);
`table_figure` turns one into a plotly table only where a figure file is wanted.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from ..errors import DephnError
from ..experiments.aggregate import fmt_mean_std
from .theme import finish


def format_table(summary: pd.DataFrame, metrics: Sequence[str] | Mapping[str, str], *,
                 digits: int = 4, index: Sequence[str] | None = None,
                 show_n: bool = False) -> pd.DataFrame:
    """Turn `summarize`'s `<metric>:mean|std|n` columns into "mean ± std" strings.

    metrics: metric names (column prefixes), or {metric: display name}. index: identity
    columns to keep in front (default: every column without ':'). show_n adds the seed count
    of the first metric as a column "n".
    """
    names = dict(metrics) if isinstance(metrics, Mapping) else {m: m for m in metrics}
    for m in names:
        if f"{m}:mean" not in summary.columns or f"{m}:std" not in summary.columns:
            raise DephnError(f"summary has no {m}:mean / {m}:std columns")
    keys = list(index) if index is not None else [c for c in summary.columns if ":" not in c]
    out = summary[keys].copy()
    for m, label in names.items():
        out[label] = [fmt_mean_std(mean, std, digits)
                      for mean, std in zip(summary[f"{m}:mean"], summary[f"{m}:std"])]
    if show_n:
        first = next(iter(names))
        out["n"] = summary[f"{first}:n"].astype(int) if f"{first}:n" in summary else pd.NA
    return out.reset_index(drop=True)


def model_table_figure(summary: pd.DataFrame, metrics: Sequence[str] | Mapping[str, str], *,
                       title: str = "", digits: int = 4, index: Sequence[str] | None = None
                       ) -> go.Figure:
    """`format_table` drawn as a figure (e.g. Table I / II for a report that shows figures only)."""
    return table_figure(format_table(summary, metrics, digits=digits, index=index, show_n=True),
                        title=title)


def table_figure(table: pd.DataFrame, *, title: str = "") -> go.Figure:
    """A formatted table (e.g. from `format_table`) as a plotly table figure."""
    fig = go.Figure(go.Table(
        header=dict(values=[f"<b>{c}</b>" for c in table.columns], fill_color="#e8e8e8", align="left"),
        cells=dict(values=[table[c].astype(str).tolist() for c in table.columns], align="left")))
    return finish(fig, title, width=max(500, 170 * len(table.columns)),
                  height=min(1200, 120 + 30 * (len(table) + 1)))

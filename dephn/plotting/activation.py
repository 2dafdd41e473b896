"""Paper Fig. 3b: how much of each task's pre-sigmoid activation comes from the public path.

DEPHN's logit is s_t = s^pub_t + s^pri_t (eqs. 4–6). The public share
|s^pub| / (|s^pub| + |s^pri|) is 1 when the shared experts decide alone and 0 when the task's
private experts do; the paper reads it per task to show which tasks rely on shared information.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..errors import DephnError
from .theme import colors_for, finish

REQUIRED = ("task", "seed", "public_abs", "private_abs")


def public_share(frame: pd.DataFrame, by: Sequence[str] = ("task",)) -> pd.DataFrame:
    """Per group: mean, std (over seeds, ddof=1) and n of |pub| / (|pub| + |pri|).

    frame: one row per (task, seed[, model ...]) with the mean absolute public and private
    logits over the evaluated samples. A row with both zero has no share and is left out.
    """
    missing = [c for c in (*REQUIRED, *by) if c not in frame.columns]
    if missing:
        raise DephnError(f"activation frame lacks column(s) {missing}; needs {list(REQUIRED)}")
    pub = frame["public_abs"].to_numpy(float)
    pri = frame["private_abs"].to_numpy(float)
    if (pub < 0).any() or (pri < 0).any():
        raise DephnError("public_abs and private_abs are magnitudes and must be >= 0")
    total = pub + pri
    share = np.divide(pub, total, out=np.full_like(total, np.nan), where=total > 0)
    df = frame.assign(share=share).dropna(subset=["share"])
    out = (df.groupby(list(by), sort=False)["share"]
             .agg(mean="mean", std=lambda s: s.std(ddof=1) if len(s) > 1 else np.nan, n="count")
             .reset_index())
    return out


def activation_ratio(frame: pd.DataFrame, *, group: str | None = None,
                     title: str | None = None) -> go.Figure:
    """Fig. 3b: one bar per task (per `group` value side by side, e.g. model or expert setting)
    of the public share of the activation, mean over seeds with ±1 std error bars."""
    by = ["task"] + ([group] if group else [])
    stats = public_share(frame, by)
    groups = list(dict.fromkeys(stats[group])) if group else [None]
    colors = colors_for(str(g) for g in groups)
    fig = go.Figure()
    for g in groups:
        part = stats if g is None else stats[stats[group] == g]
        fig.add_trace(go.Bar(
            x=part["task"], y=part["mean"], name=str(g) if g is not None else "public share",
            marker_color=colors[str(g)], showlegend=g is not None,
            error_y=dict(type="data", array=part["std"].fillna(0).to_numpy(), visible=True),
            customdata=np.stack([part["std"], part["n"]], axis=1),
            hovertemplate="%{x}: %{y:.3f} ± %{customdata[0]:.3f} (n=%{customdata[1]} seeds)"
                          "<extra>%{fullData.name}</extra>"))
    fig.add_hline(y=0.5, line_dash="dot", line_color="#888",
                  annotation_text="equal public and private", annotation_position="top left")
    fig.update_yaxes(title_text="public share |s_pub| / (|s_pub| + |s_pri|)", range=[0, 1])
    fig.update_xaxes(title_text="task")
    n = int(stats["n"].max()) if len(stats) else 0
    return finish(fig, title or f"Share of the pre-sigmoid activation from the public experts "
                                f"(paper Fig. 3b; mean ± std over {n} seeds)",
                  width=max(500, 160 * len(stats) + 200), height=480, barmode="group")

"""What each expert × explicit mapping adds to a task's public logit (DEPHN eq. 4).

With the linear public tower, s^pub_t = Σ_kp G^t_kp (W^t_kp · f_p(e_k)) + b^pub_t and the
model records each term as "contrib/<task>" (B, K, P). The mean |term| says how much a pair
moves the logit; the signed mean (hover) says in which direction on average.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ..errors import DephnError
from .theme import colors_for, finish


def contributions(contrib: Mapping[str, np.ndarray], mappings: Sequence[str], *,
                  experts: Sequence[str] | None = None, title: str | None = None) -> go.Figure:
    """Grouped bars: x = expert · mapping, colour = task, height = mean |contribution| over samples."""
    if not contrib:
        raise DephnError("no contribution to plot")
    arrays = {t.removeprefix("contrib/"): np.asarray(a, dtype=float) for t, a in contrib.items()}
    shapes = {a.shape[1:] for a in arrays.values()}
    if any(a.ndim != 3 for a in arrays.values()) or len(shapes) != 1:
        raise DephnError(f"contributions must all be (B, K, P), got "
                         f"{ {t: a.shape for t, a in arrays.items()} }")
    k, p = shapes.pop()
    if len(mappings) != p:
        raise DephnError(f"{len(mappings)} mapping names for P = {p}")
    experts = list(experts) if experts is not None else [f"expert {i + 1}" for i in range(k)]
    if len(experts) != k:
        raise DephnError(f"{len(experts)} expert names for K = {k}")
    labels = [f"{e} · {m}" for e in experts for m in mappings]          # K*P, expert-major
    colors = colors_for(arrays)
    fig = go.Figure()
    for task, a in arrays.items():
        mean_abs = np.abs(a).mean(axis=0).reshape(-1)                    # (K*P,)
        signed = a.mean(axis=0).reshape(-1)                              # (K*P,)
        fig.add_trace(go.Bar(
            x=labels, y=mean_abs, name=task, marker_color=colors[task], customdata=signed,
            hovertemplate=f"task {task}<br>%{{x}}<br>mean |contribution| %{{y:.4f}}"
                          "<br>signed mean %{customdata:.4f}<extra></extra>"))
    fig.update_xaxes(title_text="public expert · explicit mapping", tickangle=-30)
    fig.update_yaxes(title_text="mean |G·(W·f(e))| on the public logit")
    return finish(fig, title or "Contribution of each expert × mapping to the public logit "
                                "(DEPHN eq. 4), mean absolute value over samples",
                  width=max(600, 45 * len(labels) * len(arrays) + 250), height=480,
                  barmode="group", legend=dict(title="task"))

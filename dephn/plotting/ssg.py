"""Paper Fig. 3a: the soft-selection gate vectors G_sg of the three structures (eq. 1; docs/decisions.md#soft-selection-gating).

E_sg = G_sg ⊙ E_SA + (1 − G_sg) ⊙ E: an entry above 0.5 (the initial value) means that
embedding dimension leans on the self-attended embedding, below 0.5 on the raw one. The
colour scale is centred on 0.5 so the learnt departure from the start is what one sees.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go

from ..errors import DephnError
from .theme import DIVERGING, finish

STRUCTURES = ("dnn", "cross", "field")   # the paper's row order
SSG_INIT = 0.5                           # G_sg's initial value (docs/decisions.md#soft-selection-gating)


def ssg_heatmap(ssg: Mapping[str, np.ndarray], *, title: str | None = None) -> go.Figure:
    """Rows = structure (dnn, cross, field, then any other), columns = embedding dimension.

    ssg: structure -> (d,) vector, or (seeds, d) to show the mean over seeds (std in the hover).
    Keys may carry the recorder's "ssg/" prefix.
    """
    vectors = {k.removeprefix("ssg/"): np.asarray(v, dtype=float) for k, v in ssg.items()}
    if not vectors:
        raise DephnError("no SSG vector to plot")
    order = [s for s in STRUCTURES if s in vectors] + [s for s in vectors if s not in STRUCTURES]
    stacked = [_as_seeds(name, vectors[name]) for name in order]     # each (seeds, d)
    dims = {a.shape[1] for a in stacked}
    if len(dims) != 1:
        raise DephnError(f"SSG vectors differ in length: { {n: a.shape[1] for n, a in zip(order, stacked)} }")
    n_seeds = max(a.shape[0] for a in stacked)
    mean = np.stack([a.mean(axis=0) for a in stacked])               # (S, d)
    std = np.stack([a.std(axis=0, ddof=1) if a.shape[0] > 1 else np.full(a.shape[1], np.nan)
                    for a in stacked])                                # (S, d)
    counts = np.array([[a.shape[0]] * a.shape[1] for a in stacked])   # (S, d)
    d = mean.shape[1]
    spread = float(np.nanmax(np.abs(mean - SSG_INIT))) or 0.5
    fig = go.Figure(go.Heatmap(
        z=mean, x=np.arange(1, d + 1), y=order, customdata=np.dstack([std, counts]),
        colorscale=DIVERGING, zmid=SSG_INIT, zmin=SSG_INIT - spread, zmax=SSG_INIT + spread,
        colorbar=dict(title="G_sg"),
        hovertemplate="%{y}, dimension %{x}<br>G_sg = %{z:.3f}"
                      + ("<br>std over %{customdata[1]} seeds = %{customdata[0]:.3f}" if n_seeds > 1 else "")
                      + "<extra></extra>"))
    fig.update_xaxes(title_text="embedding dimension", dtick=1 if d <= 32 else None)
    fig.update_yaxes(title_text="structure", autorange="reversed")
    seeds_note = f", mean over {n_seeds} seeds" if n_seeds > 1 else ""
    return finish(fig, title or f"Soft-selection gates G_sg per structure (paper Fig. 3a{seeds_note}); "
                                "0.5 = initial value, >0.5 favours self-attention",
                  width=max(600, 28 * d + 250), height=170 + 70 * len(order))


def _as_seeds(name: str, a: np.ndarray) -> np.ndarray:
    if a.ndim == 1:
        return a[None, :]                                            # (1, d)
    if a.ndim == 2:
        return a                                                     # (seeds, d)
    raise DephnError(f"SSG vector {name!r} must be (d,) or (seeds, d), got shape {a.shape}")

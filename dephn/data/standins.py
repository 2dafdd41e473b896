"""Learnable stand-ins for data sets that cannot ship: Ali-CCP and WeChat-2021 layouts.

The layout generators of `readers.fixtures` write random tokens; here the labels are redrawn
from a hidden model of those tokens (a random effect per field value, summed, plus noise),
so models have something to learn and the pipeline runs end to end. The numbers they give
check the code path; they say nothing about the real data sets.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .readers.fixtures import write_aliccp_csv, write_wechat


def _effects(frame: pd.DataFrame, columns, seed: int) -> np.ndarray:
    """Sum over columns of a N(0, 1) effect per distinct value (seeded, deterministic)."""
    rng = np.random.default_rng(seed)
    total = np.zeros(len(frame))
    for col in columns:
        codes, uniques = pd.factorize(frame[col].astype(str), sort=True)
        total += rng.normal(size=len(uniques))[codes] * rng.uniform(0.3, 1.0)
    return total / np.sqrt(max(len(columns), 1))


def _bernoulli(rng, logit: np.ndarray, rate: float) -> np.ndarray:
    shift = np.quantile(logit, 1 - rate)          # about `rate` positives
    return (rng.random(len(logit)) < 1 / (1 + np.exp(-(logit - shift) * 2.5))).astype(np.int8)


def aliccp_standin(path, rows: int, seed: int = 0) -> Path:
    """A processed Ali-CCP CSV (torchrechub layout) with click ~ 15% and purchase ~ 2% of clicks."""
    path = Path(path)
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp.csv")
    write_aliccp_csv(tmp, layout="torchrechub", n_rows=rows, seed=seed)
    frame = pd.read_csv(tmp, dtype=str)
    sparse = [c for c in frame.columns if c not in ("click", "purchase") and not c.startswith("D")]
    rng = np.random.default_rng(seed + 7)
    base = _effects(frame, sparse, seed + 1)
    click = _bernoulli(rng, base + 0.5 * rng.normal(size=rows), 0.15)
    buy_logit = 0.7 * base + _effects(frame, sparse[: len(sparse) // 2], seed + 2)
    purchase = click & _bernoulli(rng, buy_logit, 0.15)
    frame["click"], frame["purchase"] = click, purchase
    frame.to_csv(tmp, index=False)
    tmp.replace(path)
    return path


def wechat_standin(directory, rows: int, seed: int = 0) -> Path:
    """user_action.csv + feed_info.csv with read_comment, like, click_avatar, forward labels
    drawn from user/feed/author effects (loosely related tasks)."""
    directory = Path(directory)
    if (directory / "user_action.csv").exists():
        return directory
    tmp = directory.with_name(directory.name + ".tmp")
    write_wechat(tmp, n_rows=rows, n_feeds=max(rows // 20, 10), n_users=max(rows // 30, 10), seed=seed)
    actions = pd.read_csv(tmp / "user_action.csv")
    feeds = pd.read_csv(tmp / "feed_info.csv", dtype=str, keep_default_na=False)
    joined = actions.merge(feeds[["feedid", "authorid"]].astype({"feedid": actions["feedid"].dtype}),
                           on="feedid", how="left")
    rng = np.random.default_rng(seed + 11)
    shared = _effects(joined, ["userid", "feedid", "authorid"], seed + 3)
    for i, (task, rate) in enumerate((("read_comment", 0.05), ("like", 0.08), ("click_avatar", 0.04),
                                      ("forward", 0.03))):
        own = _effects(joined, ["userid", "feedid"], seed + 20 + i)
        actions[task] = _bernoulli(rng, shared * (1.0 - 0.2 * i) + own * (0.4 + 0.2 * i), rate)
    actions.to_csv(tmp / "user_action.csv", index=False)
    if directory.exists():
        import shutil
        shutil.rmtree(directory)
    tmp.replace(directory)
    return directory


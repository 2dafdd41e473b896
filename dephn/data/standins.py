"""Generated files in the Ali-CCP and WeChat-2021 layouts, for data sets that cannot ship.

`write_aliccp_csv` and `write_wechat` write random tokens in a reader's layout; `aliccp_standin`
and `wechat_standin` redraw the labels of such files from a hidden model of the tokens (a random
effect per field value, summed, plus noise), so models have something to learn and the pipeline
runs end to end. Their numbers check the code path; they say nothing about the real data sets.
Everything is deterministic in its seed.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from .readers.aliccp_raw import ALICCP_FIELDS

USER_FIELDS = ("101", "121", "122", "124", "125", "126", "127", "128", "129",
               "109_14", "110_14", "127_14", "150_14")     # common features (per user)
AD_FIELDS = ("205", "206", "207", "210", "216", "508", "509", "702", "853", "301")  # per sample
RARE_FIELDS = ("509", "702", "853")  # ad fields absent from many samples
MULTI_FIELDS = ("210", "109_14", "110_14", "127_14", "150_14")  # fields with several items
AITM_FIELDS = tuple(f for f in ALICCP_FIELDS if f != "210" and not f.endswith("_14"))
TORCHRECHUB_DENSE = ("D109_14", "D110_14", "D127_14", "D150_14", "D508", "D509", "D702", "D853")


def _items(rng, field: str, base: int, cardinality: int, p_missing: float) -> list[tuple[str, str, str]]:
    """(field, feature, value) items of one field for one row: none, one, or several."""
    if rng.random() < p_missing:
        return []
    count = int(rng.integers(1, 5)) if field in MULTI_FIELDS else 1
    ids = base + rng.integers(0, cardinality, size=count)
    weights = rng.random(count) if field.endswith("_14") else np.ones(count)  # *_14 items carry a weight
    return [(field, str(i), f"{w:.3f}") for i, w in zip(ids, weights)]


def aliccp_sample(n_rows: int, n_users: int, seed: int):
    """Users (md5, items), samples (user, click, conversion, items) and the rows in schema terms
    (labels int8, each field's first token, str, NaN where missing)."""
    rng = np.random.default_rng(seed)
    base = {f: 10_000 * (k + 1) for k, f in enumerate(ALICCP_FIELDS)}  # ids unique across fields, as in Ali-CCP
    users = []
    for _ in range(n_users):
        md5 = "".join(rng.choice(list("0123456789abcdef"), size=16))
        items = [it for f in USER_FIELDS for it in _items(rng, f, base[f], 50, 0.15)]
        rng.shuffle(items)  # real lines are not sorted by field: "first" means first in the line
        users.append((md5, items))
    samples = []
    for _ in range(n_rows):
        user = int(rng.integers(0, n_users))
        click = int(rng.random() < 0.25)
        conversion = int(rng.random() < (0.3 if click else 0.03))  # a few purchases without a click
        items = [it for f in AD_FIELDS for it in _items(rng, f, base[f], 80, 0.5 if f in RARE_FIELDS else 0.1)]
        rng.shuffle(items)
        samples.append((user, click, conversion, items))
    rows = []
    for user, click, conversion, items in samples:
        first: dict[str, str] = {}
        for field, feature, _ in items + users[user][1]:  # own items first, then the user's
            first.setdefault(field, feature)
        rows.append([click, conversion] + [first.get(f) for f in ALICCP_FIELDS])
    expected = pd.DataFrame({"click": np.array([r[0] for r in rows], np.int8),
                             "purchase": np.array([r[1] for r in rows], np.int8)})
    for k, f in enumerate(ALICCP_FIELDS):
        expected[f] = pd.Series([r[2 + k] for r in rows], dtype="str")
    return users, samples, expected


def write_aliccp_csv(path, *, layout: str = "torchrechub", n_rows: int = 200, seed: int = 0) -> Path:
    """A processed Ali-CCP CSV: "torchrechub" (23 sparse + 8 D* dense, missing written as "0"
    like torch-rechub's preprocessing) or "aitm" (18 raw field ids)."""
    if layout not in ("torchrechub", "aitm"):
        raise ValueError(f"layout must be 'torchrechub' or 'aitm', got {layout!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _, _, tokens = aliccp_sample(n_rows, max(n_rows // 8, 1), seed)
    fields = ALICCP_FIELDS if layout == "torchrechub" else AITM_FIELDS
    frame = tokens[["click", "purchase"]].copy()
    for f in fields:
        frame[f] = tokens[f].fillna("0").astype("str")
    if layout == "torchrechub":
        rng = np.random.default_rng(seed + 1)
        for d in TORCHRECHUB_DENSE:
            frame[d] = np.round(rng.random(n_rows), 4)
    frame.to_csv(path, index=False)
    return path


def write_wechat(directory, *, n_rows: int = 300, n_feeds: int = 60, n_users: int = 40,
                 seed: int = 0) -> tuple[Path, Path]:
    """user_action.csv and feed_info.csv in the WeChat Big Data Challenge 2021 layout."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    feedid = rng.permutation(np.arange(1000, 1000 + 3 * n_feeds))[:n_feeds]
    song = np.where(rng.random(n_feeds) < 0.3, "", rng.integers(1, 30, n_feeds).astype(str))
    singer = np.where(song == "", "", rng.integers(1, 20, n_feeds).astype(str))
    tags = [";".join(map(str, rng.integers(1, 40, int(rng.integers(0, 4))))) for _ in range(n_feeds)]
    feeds = pd.DataFrame({
        "feedid": feedid, "authorid": rng.integers(1, 15, n_feeds),
        "videoplayseconds": rng.integers(1, 60, n_feeds),
        "description": [" ".join(map(str, rng.integers(1, 9999, 5))) for _ in range(n_feeds)],
        "ocr": "", "asr": "", "bgm_song_id": song, "bgm_singer_id": singer,
        "manual_keyword_list": "", "machine_keyword_list": "", "manual_tag_list": tags,
        "machine_tag_list": [";".join(f"{t} 0.5" for t in tg.split(";") if t) for tg in tags],
        "description_char": "", "ocr_char": "", "asr_char": ""})
    at = rng.integers(0, n_feeds, n_rows)
    actions = pd.DataFrame({"userid": rng.integers(1, n_users + 1, n_rows), "feedid": feedid[at],
                            "date_": np.sort(rng.integers(1, 15, n_rows)), "device": rng.integers(1, 3, n_rows)})
    rates = {"read_comment": 0.1, "comment": 0.02, "like": 0.15, "click_avatar": 0.05, "forward": 0.04,
             "follow": 0.01, "favorite": 0.02}
    for a in ("read_comment", "comment", "like"):
        actions[a] = (rng.random(n_rows) < rates[a]).astype(np.int8)
    actions["play"] = rng.integers(0, 60_000, n_rows)
    actions["stay"] = actions["play"] + rng.integers(0, 5_000, n_rows)
    for a in ("click_avatar", "forward", "follow", "favorite"):
        actions[a] = (rng.random(n_rows) < rates[a]).astype(np.int8)
    user_action, feed_info = directory / "user_action.csv", directory / "feed_info.csv"
    actions.to_csv(user_action, index=False)
    feeds.to_csv(feed_info, index=False)
    return user_action, feed_info


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
        shutil.rmtree(directory)
    tmp.replace(directory)
    return directory

"""Small synthetic files in each layout the readers know, with the frame a reader should yield.

For tests, and for users who want to try the pipeline without the real data (the raw Ali-CCP
files are ~15 GB; WeChat-2021 has no public sample). Every generator is deterministic in its
seed, writes into the folder (or file) it is given and returns a `Fixture`: the paths written
and `expected`, the rows in schema terms (labels int8, dense float64, sparse str with NaN for
missing), computed from the generated values, not by parsing the files. The values are random
tokens, not a model of the real data: good for loaders, not for quality claims.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .aliccp_raw import ALICCP_FIELDS
from .aliexpress import ALIEXPRESS_DENSE, ALIEXPRESS_SPARSE
from .wechat import WECHAT_ACTIONS

USER_FIELDS = ("101", "121", "122", "124", "125", "126", "127", "128", "129",
               "109_14", "110_14", "127_14", "150_14")     # common features (per user)
AD_FIELDS = ("205", "206", "207", "210", "216", "508", "509", "702", "853", "301")  # per sample
RARE_FIELDS = ("509", "702", "853")  # ad fields absent from many samples
MULTI_FIELDS = ("210", "109_14", "110_14", "127_14", "150_14")  # fields with several items
AITM_FIELDS = tuple(f for f in ALICCP_FIELDS if f != "210" and not f.endswith("_14"))
TORCHRECHUB_DENSE = ("D109_14", "D110_14", "D127_14", "D150_14", "D508", "D509", "D702", "D853")


@dataclass
class Fixture:
    """Files written by a generator and the rows a reader should yield from them."""

    paths: tuple[Path, ...]   # first: the file (or for WeChat the folder's user_action) a reader takes
    expected: pd.DataFrame    # columns: tasks, dense, sparse (and extras), in file row order

    @property
    def path(self) -> Path:
        return self.paths[0]


def _str_column(values) -> pd.Series:
    return pd.Series(list(values), dtype="str")


def _items(rng, field: str, base: int, cardinality: int, p_missing: float) -> list[tuple[str, str, str]]:
    """(field, feature, value) items of one field for one row: none, one, or several."""
    if rng.random() < p_missing:
        return []
    count = int(rng.integers(1, 5)) if field in MULTI_FIELDS else 1
    ids = base + rng.integers(0, cardinality, size=count)
    weights = rng.random(count) if field.endswith("_14") else np.ones(count)  # *_14 items carry a weight
    return [(field, str(i), f"{w:.3f}") for i, w in zip(ids, weights)]


def _aliccp_sample(n_rows: int, n_users: int, seed: int):
    """Users (md5, items), samples (user, click, conversion, items) and the expected tokens."""
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
        expected[f] = _str_column(r[2 + k] for r in rows)
    return users, samples, expected


def _raw_list(items) -> str:
    return "\x01".join(f"{f}\x02{i}\x03{v}" for f, i, v in items)


def write_aliccp_raw(directory, *, n_rows: int = 300, n_users: int = 40, seed: int = 0,
                     split: str = "train") -> Fixture:
    """sample_skeleton_{split}.csv and common_features_{split}.csv in Ali-CCP's released layout.

    `expected` keeps every row, including the few purchases without a click that
    `AliCCPReader` drops by default."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    users, samples, expected = _aliccp_sample(n_rows, n_users, seed)
    skeleton = directory / f"sample_skeleton_{split}.csv"
    common = directory / f"common_features_{split}.csv"
    with open(skeleton, "w", encoding="utf-8", newline="\n") as f:
        for k, (user, click, conversion, items) in enumerate(samples):
            f.write(f"{k + 1},{click},{conversion},{users[user][0]},{len(items)},{_raw_list(items)}\n")
    with open(common, "w", encoding="utf-8", newline="\n") as f:
        for md5, items in users:
            f.write(f"{md5},{len(items)},{_raw_list(items)}\n")
    return Fixture(paths=(skeleton, common), expected=expected)


def write_aliccp_esmm(path, *, n_rows: int = 200, n_users: int = 30, seed: int = 0) -> Fixture:
    """PaddleRec's ESMM text layout: `sample_id,click,conversion,field:feature,...` per line."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    users, samples, expected = _aliccp_sample(n_rows, n_users, seed)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for k, (user, click, conversion, items) in enumerate(samples):
            tokens = [f"{fld}:{i}" for fld, i, _ in items + users[user][1]]
            f.write(",".join([str(k + 1), str(click), str(conversion)] + tokens) + "\n")
    return Fixture(paths=(path,), expected=expected)


def write_aliccp_csv(path, *, layout: str = "torchrechub", n_rows: int = 200, seed: int = 0) -> Fixture:
    """A processed Ali-CCP CSV: "torchrechub" (23 sparse + 8 D* dense, missing written as "0"
    like torch-rechub's preprocessing) or "aitm" (18 raw field ids)."""
    if layout not in ("torchrechub", "aitm"):
        raise ValueError(f"layout must be 'torchrechub' or 'aitm', got {layout!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _, _, tokens = _aliccp_sample(n_rows, max(n_rows // 8, 1), seed)
    fields = ALICCP_FIELDS if layout == "torchrechub" else AITM_FIELDS
    frame = tokens[["click", "purchase"]].copy()
    for f in fields:
        frame[f] = tokens[f].fillna("0").astype("str")
    if layout == "torchrechub":
        rng = np.random.default_rng(seed + 1)
        for d in TORCHRECHUB_DENSE:
            frame[d] = np.round(rng.random(n_rows), 4)
    frame.to_csv(path, index=False)
    dense = [d for d in TORCHRECHUB_DENSE if d in frame]
    return Fixture(paths=(path,), expected=frame[["click", "purchase"] + dense + list(fields)])


def write_aliexpress(path, *, n_rows: int = 200, seed: int = 0) -> Fixture:
    """An AliExpress CSV: search_id, categorical_1..16, numerical_1..63, click, conversion."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    click = (rng.random(n_rows) < 0.3).astype(np.int8)
    conversion = (click & (rng.random(n_rows) < 0.2)).astype(np.int8)
    cats = {c: rng.integers(0, 3 + 2 * k, size=n_rows).astype(str) for k, c in enumerate(ALIEXPRESS_SPARSE)}
    nums = {c: np.round(rng.random(n_rows), 6) for c in ALIEXPRESS_DENSE}
    frame = pd.DataFrame({"search_id": np.sort(rng.integers(0, n_rows // 4 + 1, size=n_rows)), **cats, **nums,
                          "click": click, "conversion": conversion})
    frame.to_csv(path, index=False)
    expected = frame[["click", "conversion", *ALIEXPRESS_DENSE, *ALIEXPRESS_SPARSE]].copy()
    for c in ALIEXPRESS_SPARSE:
        expected[c] = expected[c].astype("str")
    return Fixture(paths=(path,), expected=expected)


def write_wechat(directory, *, n_rows: int = 300, n_feeds: int = 60, n_users: int = 40, seed: int = 0) -> Fixture:
    """user_action.csv and feed_info.csv in the WeChat Big Data Challenge 2021 layout.

    `expected` holds all seven action columns, videoplayseconds, the sparse fields, the first
    manual tag ("manual_tag") and date_; pick the ones a reader's options select."""
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

    feed = feeds.iloc[at].reset_index(drop=True)
    expected = actions[list(WECHAT_ACTIONS)].astype(np.int8)
    expected["videoplayseconds"] = feed["videoplayseconds"].astype(np.float64)
    for c in ("userid", "feedid", "device"):
        expected[c] = actions[c].astype("str")
    for c in ("authorid", "bgm_song_id", "bgm_singer_id"):
        expected[c] = _str_column(v if str(v) else None for v in feed[c].astype(str))
    expected["manual_tag"] = _str_column(t.split(";")[0] if t else None for t in feed["manual_tag_list"])
    expected["date_"] = actions["date_"].astype(np.float64)
    return Fixture(paths=(user_action, feed_info), expected=expected)


def write_csv_example(directory, *, n_rows: int = 200, seed: int = 0) -> Fixture:
    """A headerless TSV with yes/no labels and the JSON `CsvSpec` that reads it.

    paths: (data.tsv, spec.json). Columns: clicked (yes/no), bought (yes/no), price, age,
    city, device; `expected` is what `CsvReader("spec.json")` yields."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    clicked = rng.random(n_rows) < 0.3
    bought = clicked & (rng.random(n_rows) < 0.3)
    price = np.round(rng.gamma(2.0, 20.0, n_rows), 2)
    age = np.where(rng.random(n_rows) < 0.1, np.nan, rng.integers(18, 80, n_rows).astype(float))
    city = rng.choice(["paris", "lyon", "oslo", "lima", ""], n_rows)
    device = rng.choice(["ios", "android", "web"], n_rows)
    data = directory / "data.tsv"
    with open(data, "w", encoding="utf-8", newline="\n") as f:
        for row in zip(clicked, bought, price, age, city, device):
            c, b, p, a, ci, d = row
            f.write("\t".join(["yes" if c else "no", "yes" if b else "no", f"{p:g}",
                               "" if np.isnan(a) else f"{a:g}", ci, d]) + "\n")
    spec = {"paths": ["data.tsv"], "sep": "\t", "header": False,
            "names": ["clicked", "bought", "price", "age", "city", "device"],
            "tasks": ["clicked", "bought"], "dense": ["price", "age"], "sparse": [4, 5],
            "positive": ["yes"], "negative": ["no"], "dense_transform": "log1p"}
    spec_path = directory / "spec.json"
    spec_path.write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
    expected = pd.DataFrame({"clicked": clicked.astype(np.int8), "bought": bought.astype(np.int8),
                             "price": price, "age": age,
                             "city": _str_column(c if c else None for c in city), "device": _str_column(device)})
    return Fixture(paths=(data, spec_path), expected=expected)

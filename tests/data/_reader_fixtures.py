"""Helpers for the reader tests: the shared real samples, reading a reader whole, writing small files,
and synthetic files in each layout the readers know (those of `dephn.data.standins` and those the
package never writes: raw and ESMM Ali-CCP, AliExpress, a user CSV with its spec), each as a `Fixture`
with the frame a reader should yield (labels int8, dense float64, sparse str with NaN for missing)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dephn.data import standins
from dephn.data.readers.aliexpress import ALIEXPRESS_DENSE, ALIEXPRESS_SPARSE
from dephn.data.readers.wechat import WECHAT_ACTIONS
from dephn.data.standins import aliccp_sample
from tests.conftest import shared_data_dir


@dataclass
class Fixture:
    """Files written by a generator and the rows a reader should yield from them."""

    paths: tuple[Path, ...]   # first: the file (or for WeChat the folder's user_action) a reader takes
    expected: pd.DataFrame    # columns: tasks, dense, sparse (and extras), in file row order

    @property
    def path(self) -> Path:
        return self.paths[0]


def str_column(values) -> pd.Series:
    return pd.Series(list(values), dtype="str")


def sample(relative: str) -> Path:
    """A file of the shared real samples, or skip the test saying where it was looked for."""
    path = shared_data_dir() / relative
    if not path.is_file():
        pytest.skip(f"shared data sample {relative} not found under {shared_data_dir()} "
                    "(set DEPHN_SHARED_DATA to the folder holding the samples)")
    return path


def read_all(reader, chunk_rows: int = 200_000) -> pd.DataFrame:
    """Every chunk of a reader, concatenated (and checks each chunk respects chunk_rows)."""
    chunks = list(reader.iter_chunks(chunk_rows))
    assert all(0 < len(c) <= chunk_rows for c in chunks)
    return pd.concat(chunks, ignore_index=True)


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write `text` (exactly, "\\n" line endings) to tmp_path/name and return the path."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return path


def _raw_list(items) -> str:
    return "\x01".join(f"{f}\x02{i}\x03{v}" for f, i, v in items)


def write_aliccp_raw(directory, *, n_rows: int = 300, n_users: int = 40, seed: int = 0,
                     split: str = "train") -> Fixture:
    """sample_skeleton_{split}.csv and common_features_{split}.csv in Ali-CCP's released layout.

    `expected` keeps every row, including the few purchases without a click that
    `AliCCPReader` drops by default."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    users, samples, expected = aliccp_sample(n_rows, n_users, seed)
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
    users, samples, expected = aliccp_sample(n_rows, n_users, seed)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for k, (user, click, conversion, items) in enumerate(samples):
            tokens = [f"{fld}:{i}" for fld, i, _ in items + users[user][1]]
            f.write(",".join([str(k + 1), str(click), str(conversion)] + tokens) + "\n")
    return Fixture(paths=(path,), expected=expected)


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
                             "city": str_column(c if c else None for c in city), "device": str_column(device)})
    return Fixture(paths=(data, spec_path), expected=expected)


def write_aliccp_csv(path, **options) -> Fixture:
    """`standins.write_aliccp_csv`, with the file's rows as expected (labels, D* dense, then sparse)."""
    path = standins.write_aliccp_csv(path, **options)
    frame = pd.read_csv(path, dtype=str)
    dense = [c for c in frame.columns if c.startswith("D")]
    sparse = [c for c in frame.columns if c not in ("click", "purchase", *dense)]
    expected = frame[["click", "purchase"]].astype(np.int8).join(frame[dense].astype(np.float64))
    return Fixture(paths=(path,), expected=expected.join(frame[sparse].astype("str")))


def write_wechat(directory, **options) -> Fixture:
    """`standins.write_wechat`, expecting all seven action columns, videoplayseconds, the sparse
    fields, the first manual tag ("manual_tag") and date_ (pick what a reader's options select)."""
    user_action, feed_info = standins.write_wechat(directory, **options)
    actions = pd.read_csv(user_action)
    feeds = pd.read_csv(feed_info, dtype=str, keep_default_na=False).set_index("feedid")
    feed = feeds.loc[actions["feedid"].astype(str)].reset_index()
    expected = actions[list(WECHAT_ACTIONS)].astype(np.int8)
    expected["videoplayseconds"] = feed["videoplayseconds"].astype(np.float64)
    for c in ("userid", "feedid", "device"):
        expected[c] = actions[c].astype("str")
    for c in ("authorid", "bgm_song_id", "bgm_singer_id"):
        expected[c] = str_column(v if v else None for v in feed[c])
    expected["manual_tag"] = str_column(t.split(";")[0] if t else None for t in feed["manual_tag_list"])
    expected["date_"] = actions["date_"].astype(np.float64)
    return Fixture(paths=(user_action, feed_info), expected=expected)

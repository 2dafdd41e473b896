"""load_dataset's split options (hash / random, split_seed) and skipped-line reporting in the meta."""
from __future__ import annotations

import json

import numpy as np
import pytest

from dephn.data import datasets
from dephn.data.datasets import load_dataset
from dephn.errors import DephnError

N = 1003


@pytest.fixture
def numbered_csv(tmp_path):
    """A CSV of N rows whose extra column `row` numbers them 0..N-1, and its spec."""
    rng = np.random.default_rng(0)
    lines = ["row,click,city,price"] + [f"{i},{rng.integers(0, 2)},{rng.choice(['a', 'b', 'c'])},{rng.random():.3f}"
                                        for i in range(N)]
    data = tmp_path / "rows.csv"
    data.write_text("\n".join(lines) + "\n")
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"tasks": ["click"], "dense": ["price"], "sparse": ["city"], "extras": ["row"]}))
    return data, spec


def rows_of(ds) -> dict[str, np.ndarray]:
    return {s: np.asarray(ds.split(s).extras["row"]).astype(int) for s in ("train", "valid", "test")}


def test_random_split_has_exact_sizes_and_loses_no_row(numbered_csv, tmp_path):
    data, spec = numbered_csv
    ds = load_dataset("csv", data, spec=spec, cache_dir=tmp_path / "c", split="random", split_seed=5)
    assert ds.meta["rows"] == {"train": 803, "valid": 100, "test": 100}   # 100.3 -> 100; train the rest
    assert ds.meta["split"] == {"fractions": [0.8, 0.1, 0.1], "seed": 5, "method": "random"}
    rows = rows_of(ds)
    every = np.concatenate(list(rows.values()))
    assert sorted(every.tolist()) == list(range(N))                         # none lost, none twice
    assert all((np.diff(r) > 0).all() for r in rows.values())                # file order within a split
    same = load_dataset("csv", data, spec=spec, cache_dir=tmp_path / "d", split="random", split_seed=5)
    assert same.fingerprint == ds.fingerprint and rows_of(same)["valid"].tolist() == rows["valid"].tolist()
    other = load_dataset("csv", data, spec=spec, cache_dir=tmp_path / "c", split="random", split_seed=6)
    assert other.fingerprint != ds.fingerprint and other.meta["rows"] == ds.meta["rows"]
    assert rows_of(other)["valid"].tolist() != rows["valid"].tolist()


def test_random_split_with_fractions_and_the_seed_argument(numbered_csv, tmp_path):
    data, spec = numbered_csv
    a = load_dataset("csv", data, spec=spec, cache_dir=tmp_path, split=(0.7, 0.2, 0.1), split_method="random", seed=5)
    assert a.meta["rows"] == {"train": 702, "valid": 201, "test": 100}      # 200.6 -> 201, 100.3 -> 100
    b = load_dataset("csv", data, spec=spec, cache_dir=tmp_path, split=(0.7, 0.2, 0.1), split_method="random",
                     seed=0, split_seed=5)                                   # split_seed wins over seed
    assert b.fingerprint == a.fingerprint


def test_hash_split_keys_do_not_change(numbered_csv, tmp_path):
    data, spec = numbered_csv
    default = load_dataset("csv", data, spec=spec, cache_dir=tmp_path, seed=3)
    assert default.meta["split"] == {"fractions": [0.8, 0.1, 0.1], "seed": 3}
    for kw in (dict(split="hash", seed=3), dict(split_seed=3), dict(split=(0.8, 0.1, 0.1), split_method="hash",
                                                                     seed=9, split_seed=3)):
        assert load_dataset("csv", data, spec=spec, cache_dir=tmp_path, **kw).fingerprint == default.fingerprint
    rand = load_dataset("csv", data, spec=spec, cache_dir=tmp_path, seed=3, split="random")
    assert rand.fingerprint != default.fingerprint


def test_split_option_errors(numbered_csv, tmp_path):
    data, spec = numbered_csv
    with pytest.raises(DephnError, match="unknown split method 'exact'"):
        load_dataset("csv", data, spec=spec, cache_dir=tmp_path, split="exact")
    with pytest.raises(DephnError, match="split seed must be an integer >= 0"):
        load_dataset("csv", data, spec=spec, cache_dir=tmp_path, split_seed=-2)
    files = {s: data for s in ("train", "valid", "test")}
    with pytest.raises(DephnError, match="files are the split"):
        load_dataset("csv", files, spec=spec, cache_dir=tmp_path, split="random")
    with pytest.raises(DephnError, match="files are the split"):
        load_dataset("csv", files, spec=spec, cache_dir=tmp_path, split_seed=1)


def test_skipped_lines_are_in_the_meta_also_from_the_cache(numbered_csv, tmp_path, monkeypatch):
    data, spec = numbered_csv
    lines = data.read_text().splitlines()
    lines[3] = "2,1,a"                          # too few fields
    lines[8] = "7,2,a,0.5"                      # label 2
    data.write_text("\n".join(lines) + "\n")
    first = load_dataset("csv", data, spec=spec, cache_dir=tmp_path, on_bad_lines="skip")
    expected = [f"{data}, line 4: expected 4 fields (as on the header), found 3",
                f"{data}, line 9, column 'click': label '2' is not binary: expected '1' (positive) or '0' (negative)"]
    assert first.meta["skipped_lines"] == 2 and first.meta["skipped_examples"] == expected
    monkeypatch.setattr(datasets, "encode_stream", lambda *a, **k: pytest.fail("encoded again"))
    again = load_dataset("csv", data, spec=spec, cache_dir=tmp_path, on_bad_lines="skip")
    assert again.meta["skipped_lines"] == 2 and again.meta["skipped_examples"] == expected

"""Generated Criteo data: exact format, determinism, Criteo-like marginals, a learnable click."""
from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pytest

from dephn.data.generator import CARDINALITY, MISSING_GROUPS, generate_criteo, write_criteo
from dephn.data.readers.criteo import CRITEO_SPARSE, CriteoReader
from dephn.data.teacher import roc_auc
from dephn.errors import DephnError

HEX8 = re.compile(r"^[0-9a-f]{8}$")


@pytest.fixture(scope="module")
def big():
    """20,000 generated rows with their hidden logit."""
    tables, logits = zip(*generate_criteo(20_000, seed=0))
    return pa.concat_tables(tables), np.concatenate(logits)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a, b, c = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    write_criteo(a, 1500, seed=3)
    write_criteo(b, 1500, seed=3)
    write_criteo(c, 1500, seed=4)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_file_is_criteo_format_exactly(generated_criteo):
    path = generated_criteo(3000)
    lines = path.read_text().splitlines()
    assert len(lines) == 3000
    for line in lines[:300]:
        fields = line.split("\t")
        assert len(fields) == 40 and fields[0] in ("0", "1")
        assert all(f == "" or re.fullmatch(r"-?\d+", f) for f in fields[1:14])
        assert all(f == "" or HEX8.match(f) for f in fields[14:])
    assert sum(1 for _ in CriteoReader(path).iter_tables()) >= 1   # the strict reader accepts it


def test_click_rate(big):
    table, _ = big
    assert 0.22 <= np.asarray(table.column("label")).mean() <= 0.26


def test_missing_rates_follow_criteo(big):
    table, _ = big
    for fields, rate in MISSING_GROUPS:
        for name in fields:
            share = table.column(name).null_count / table.num_rows
            assert share == pytest.approx(rate, abs=0.015), name
    for name in ("I2", "C1", "C9"):
        assert table.column(name).null_count == 0
    together = np.asarray(table.column("I1").is_null()) == np.asarray(table.column("I10").is_null())
    assert together.all()                                    # co-missing, as in the sample


def test_cardinalities_range_from_a_few_to_tens_of_thousands(big):
    table, _ = big
    distinct = {name: len(table.column(name).drop_null().unique()) for name in CRITEO_SPARSE}
    assert distinct["C9"] <= 3 and distinct["C20"] <= 4
    assert max(distinct.values()) > 5000                     # 10^5-category fields, 20k rows
    assert max(CARDINALITY) == 100_000 and min(CARDINALITY) == 3
    for name, k in zip(CRITEO_SPARSE, CARDINALITY):
        assert distinct[name] <= k


def test_frequencies_are_zipf_like(big):
    table, _ = big
    counts = np.sort(np.asarray(table.column("C7").drop_null().value_counts().field("counts")))[::-1]
    assert counts[0] > 20 * np.median(counts)               # a head far above the typical category
    assert (counts == 1).sum() > 0.3 * len(counts)          # and a long tail of singletons


def test_dense_values_look_like_counts(big):
    table, _ = big
    i5 = table.column("I5").drop_null().to_numpy()
    assert 1000 < np.median(i5) < 6000 and i5.min() >= 0   # sample median 2,792
    i2 = table.column("I2").to_numpy()
    assert 0.05 < (i2 < 0).mean() < 0.15 and i2.min() >= -2


def test_click_depends_on_the_features(big):
    table, logit = big
    y = np.asarray(table.column("label"))
    assert roc_auc(y, logit) > 0.78                          # the hidden logit ranks clicks well
    # and a simple learner recovers part of it: smoothed per-category click rates
    # of the fields, fitted on 15k rows, summed as log-odds on the other 5k
    train, test = slice(0, 15_000), slice(15_000, None)
    prior = y[train].mean()
    score = np.zeros(5_000)
    for name in CRITEO_SPARSE:
        codes = np.asarray(table.column(name).combine_chunks().dictionary_encode().indices.fill_null(-1)) + 1
        n = np.bincount(codes[train], minlength=codes.max() + 1)
        pos = np.bincount(codes[train], weights=y[train], minlength=codes.max() + 1)
        rate = (pos + 20 * prior) / (n + 20)
        score += np.log(rate / (1 - rate))[codes[test]]
    assert roc_auc(y[test], score) > 0.6


def test_bad_arguments():
    with pytest.raises(DephnError, match="rows"):
        next(generate_criteo(0))
    with pytest.raises(DephnError, match="seed"):
        next(generate_criteo(10, seed=-1))

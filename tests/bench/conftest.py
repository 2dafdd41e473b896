"""Fixtures of the benchmark tests: a small two-task data set and a benchmark config for it."""
from __future__ import annotations

import pytest

from benchmarks.train_bench.plan import BenchConfig
from tests.conftest import synthetic_encoded


@pytest.fixture(scope="module")
def bench_data():
    return synthetic_encoded(n=800, n_tasks=2, seed=1, vocab=20)


@pytest.fixture
def bench_cfg():
    return BenchConfig(rows=800, epochs=2, batch_size=128, repeats=1)

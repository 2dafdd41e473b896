"""`dephn bench --copies C`: the vectorised seeds against one separate run, in its own section."""
from __future__ import annotations

import json

import pytest

from dephn.bench.copies import RESULTS, SECTION, run_copies_benchmark
from dephn.bench.plan import BenchConfig, parse_models

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_copies_benchmark_writes_its_section_and_json(bench_data, tmp_path):
    cfg = BenchConfig(rows=800, epochs=1, batch_size=256, repeats=2)
    (tmp_path / "README.md").write_text("# Benchmarks\n\n## Training\n\nkept\n")
    logs = []
    out = run_copies_benchmark(cfg, parse_models("mmoe"), bench_data, tmp_path, 3,
                               command="dephn bench --copies 3", log=logs.append)
    row = out["entries"][0]
    assert len(row["separate_step_ms"]) == len(row["together_step_ms"]) == 2 and len(logs) == 2
    assert row["speedup"] == pytest.approx(min(row["separate_step_ms"]) / (min(row["together_step_ms"]) / 3))
    # copy 0 is the separate run's seed: the same run (batch norm makes eval metrics drift a little)
    eq = row["equality"]
    assert eq["best_epoch"][0] == eq["best_epoch"][1] and eq["train_loss_max_abs_diff"] < 1e-4
    text = (tmp_path / "README.md").read_text()
    assert "## Training\n\nkept" in text and SECTION in text and "dephn bench --copies 3" in text
    assert json.loads((tmp_path / RESULTS).read_text())["copies"] == 3

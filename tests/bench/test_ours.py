import math

import pytest

from benchmarks.train_bench.ours import cumulative_to_epochs, train_ours
from benchmarks.train_bench.plan import BenchConfig, Entry


def test_cumulative_seconds_become_per_epoch_times():
    ep = cumulative_to_epochs([2.0, 3.5, 4.0], rows=250, batch_size=100)
    assert [e.seconds for e in ep] == pytest.approx([2.0, 1.5, 0.5])
    assert [e.epoch for e in ep] == [1, 2, 3] and ep[0].steps == 3


def test_train_ours_records_every_epoch_and_test_auc(bench_data, bench_cfg):
    m = train_ours(Entry("mmoe", "ours", "mmoe"), bench_data, bench_cfg)
    assert len(m.epochs) == bench_cfg.epochs
    assert all(e.seconds > 0 and e.rows == len(bench_data.train) and e.steps == 5 for e in m.epochs)
    assert set(m.test_auc) == set(bench_data.schema.tasks)
    assert all(0.5 < a <= 1.0 for a in m.test_auc.values())        # the synthetic labels are learnable
    assert 1 <= m.selected_epoch <= bench_cfg.epochs and m.parameters > 0
    assert (m.device, m.precision) == ("cpu", "fp32")


def test_bf16_path_runs_on_cpu(bench_data):
    """What `--device cuda` selects by default (bf16 autocast), exercised on the CPU."""
    cfg = BenchConfig(rows=800, epochs=1, batch_size=256, precision="bf16", repeats=1)
    m = train_ours(Entry("dephn+vg", "ours", "dephn", vg="add_sqrt/pearson"), bench_data, cfg)
    assert m.precision == "bf16" and len(m.epochs) == 1
    assert all(not math.isnan(a) for a in m.test_auc.values())

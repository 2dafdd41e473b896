import math
import time

import numpy as np
import pytest

from benchmarks.train_bench.measure import (STATUS, EpochClock, EpochTime, Measurement, epoch_times, peak_rss_mib,
                                 select_epoch)


def test_epoch_time_rates():
    e = EpochTime(epoch=1, seconds=2.0, rows=10_000, steps=10)
    assert e.rows_per_s == 5000 and e.step_ms == 200


def test_epoch_times_counts_a_partial_last_batch():
    ts = epoch_times([1.0, 0.5], rows=1025, batch_size=1024)
    assert [(t.epoch, t.steps, t.rows) for t in ts] == [(1, 2, 1025), (2, 2, 1025)]
    assert ts[1].rows_per_s == pytest.approx(2050)


def test_best_epoch_is_the_fastest_and_measurement_round_trips():
    m = Measurement("m", "ours", "dephn", epoch_times([3.0, 1.0, 2.0], 100, 10), {"a": 0.7}, {"a": 0.71},
                    2, "cpu", "fp32", 12, peak_rss_mib=100.0)
    assert m.best_epoch().epoch == 2
    assert Measurement.from_dict(m.to_dict()) == m


def test_select_epoch_takes_the_first_best_mean_valid_auc_and_skips_nan():
    valid = [{"a": {"auc": 0.6}, "b": {"auc": 0.6}}, {"a": {"auc": 0.7}, "b": {"auc": 0.8}},
             {"a": {"auc": 0.8}, "b": {"auc": 0.7}}, {"a": {"auc": math.nan}, "b": {"auc": math.nan}}]
    test = [{"a": {"auc": i}} for i in range(4)]
    epoch, v, t = select_epoch(valid, test)
    assert epoch == 2 and t == {"a": {"auc": 1}} and v is valid[1]


def _rss_mib() -> float:
    for line in STATUS.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise AssertionError("no VmRSS line")


@pytest.mark.skipif(not STATUS.exists(), reason="needs Linux /proc/self/status")
def test_peak_rss_rises_past_an_allocation_above_the_old_peak():
    rss = _rss_mib()
    before = peak_rss_mib()
    assert before >= rss > 10
    size = int((before - rss + 64) * 2**20)    # ends 64 MiB above the old high-water mark
    block = np.ones(size, dtype=np.uint8)               # written: resident
    assert peak_rss_mib() >= before + 48
    del block


def test_epoch_clock_measures_and_refuses_stop_without_start():
    clock = EpochClock("cpu")
    clock.start()
    time.sleep(0.02)
    assert clock.stop() >= 0.015 and len(clock.seconds) == 1
    with pytest.raises(RuntimeError):
        clock.stop()

import numpy as np
import pytest

from benchmarks.train_bench.plan import BenchConfig, Entry
from benchmarks.train_bench.worker import dump_dataset, load_dump, run_isolated, run_job
from dephn.errors import DephnError


def test_dump_round_trips_the_arrays_memory_mapped(bench_data, tmp_path):
    back = load_dump(dump_dataset(bench_data, tmp_path / "d"))
    assert back.schema == bench_data.schema and back.vocab_sizes == bench_data.vocab_sizes
    assert back.fingerprint == bench_data.fingerprint
    for s in ("train", "valid", "test"):
        for a in ("sparse", "dense", "labels"):
            got = getattr(back.split(s), a)
            assert isinstance(got, np.memmap)
            np.testing.assert_array_equal(got, getattr(bench_data.split(s), a))


def test_run_job_trains_in_process(bench_data, tmp_path):
    cfg = BenchConfig(rows=800, epochs=1, batch_size=256, repeats=1)
    data_dir = dump_dataset(bench_data, tmp_path / "d")
    m = run_job({"entry": Entry("mmoe", "ours", "mmoe").to_dict(), "config": cfg.to_dict(),
                 "data_dir": str(data_dir)})
    assert m.name == "mmoe" and len(m.epochs) == 1 and m.peak_rss_mib is None


def test_run_isolated_reports_the_child_peak_memory(bench_data, tmp_path):
    cfg = BenchConfig(rows=800, epochs=1, batch_size=256, repeats=1)
    data_dir = dump_dataset(bench_data, tmp_path / "d")
    m = run_isolated(Entry("mmoe", "ours", "mmoe"), cfg, data_dir, tmp_path / "w", timeout_s=300)
    assert m.peak_rss_mib is not None and m.peak_rss_mib > 50     # a process with torch imported
    assert 50 < m.baseline_rss_mib <= m.peak_rss_mib
    assert set(m.test_auc) == set(bench_data.schema.tasks) and len(m.epochs) == 1


def test_run_isolated_failure_carries_the_log_tail(bench_data, tmp_path):
    cfg = BenchConfig(rows=800, epochs=1, batch_size=256, repeats=1)
    data_dir = dump_dataset(bench_data, tmp_path / "d")
    with pytest.raises(DephnError, match="unknown model 'nosuch'"):
        run_isolated(Entry("nosuch", "ours", "nosuch"), cfg, data_dir, tmp_path / "w", timeout_s=300)

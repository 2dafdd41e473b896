import json

from benchmarks.train_bench.plan import BenchConfig, parse_models
from benchmarks.train_bench.runner import round_order, run_benchmark


def test_rounds_rotate_the_entries():
    entries = parse_models("mmoe,dephn,dephn+vg")
    assert [e.name for e in round_order(entries, 0)] == ["mmoe", "dephn", "dephn+vg"]
    assert [e.name for e in round_order(entries, 1)] == ["dephn", "dephn+vg", "mmoe"]
    assert [e.name for e in round_order(entries, 3)] == ["mmoe", "dephn", "dephn+vg"]


def test_run_benchmark_writes_the_section_and_json(bench_data, tmp_path):
    cfg = BenchConfig(rows=800, epochs=1, batch_size=256, repeats=2)
    (tmp_path / "README.md").write_text("# Benchmarks\n\n## Ingest\n\nkept\n")
    logs = []
    out = run_benchmark(cfg, parse_models("mmoe"), bench_data, tmp_path, command="python -m benchmarks.train_bench --test",
                        skipped={"rechub-mmoe": "not installed"}, isolate=False, log=logs.append)
    assert len(out["runs"]["mmoe"]) == 2 and len(logs) == 2 and "round 2/2" in logs[1]
    text = (tmp_path / "README.md").read_text()
    assert "## Ingest\n\nkept" in text and "## Training" in text and "python -m benchmarks.train_bench --test" in text
    d = json.loads((tmp_path / "train_results.json").read_text())
    assert d["config"]["repeats"] == 2 and len(d["measurements"]) == 2
    assert d["data"]["rows"]["train"] == len(bench_data.train) and d["load_average"]["after"]
    assert d["skipped"] == {"rechub-mmoe": "not installed"}


def test_cuda_results_go_to_their_own_json():
    from benchmarks.train_bench.runner import results_json
    assert results_json("cpu") == "train_results.json"
    assert results_json("cuda") == results_json("cuda:1") == "train_results_cuda.json"

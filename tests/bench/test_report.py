import json

import pytest

from benchmarks.train_bench.measure import Measurement, epoch_times
from benchmarks.train_bench.report import (Check, auc_check, checks, checks_table, render_section, results_table, summarize,
                                update_readme, write_json)


def fake(name, seconds, auc, kind="ours", rss=500.0, rows=1000, batch=100):
    return Measurement(name, kind, "lib 1", epoch_times(seconds, rows, batch), dict(auc), dict(auc), 1,
                       "cpu", "fp32", 10, peak_rss_mib=rss)


def summaries(**step_s):
    """One summary per entry from per-epoch seconds (1000 rows, 10 steps per epoch)."""
    aucs = {"mmoe": 0.80, "rechub-mmoe": 0.801, "deepctr-mmoe": 0.7985}
    return {n: summarize([fake(n, s, {"a": aucs.get(n, 0.8), "b": 0.7}, "peer" if "-" in n else "ours")])
            for n, s in step_s.items()}


def test_summarize_takes_the_fastest_epoch_over_rounds_and_averages_auc():
    s = summarize([fake("m", [4.0, 2.0], {"a": 0.70}, rss=400), fake("m", [1.0, 3.0], {"a": 0.72}, rss=450)])
    assert s.rows_per_s == pytest.approx(1000.0) and s.step_ms == pytest.approx(100.0)
    assert s.rows_per_s_mean == pytest.approx(4000 / 10.0)
    assert s.peak_rss_mib == 450 and s.rounds == 2
    assert s.test_auc["a"] == pytest.approx(0.71) and s.test_auc_range["a"] == pytest.approx(0.02)


def test_checks_pass_and_fail_on_fake_timings():
    # step time: dephn 1.00 s/epoch, dephn+vg 1.05 (+5%), mmoe 0.50 (dephn+vg/mmoe 2.1x);
    # rows/s: mmoe 2000, rechub 900 (2.22x), deepctr 2100 (0.95x)
    s = summaries(**{"mmoe": [0.5], "dephn": [1.0], "dephn+vg": [1.05],
                     "rechub-mmoe": [1000 / 900], "deepctr-mmoe": [1000 / 2100]})
    got = {c.label: c for c in checks(s)}
    assert got["dephn+vg / dephn step time"].value == pytest.approx(1.05)
    assert got["dephn+vg / dephn step time"].verdict == "PASS"
    assert got["dephn+vg / mmoe step time"].value == pytest.approx(2.1) and got["dephn+vg / mmoe step time"].passed
    assert got["mmoe / rechub-mmoe rows/s"].value == pytest.approx(2000 / 900) and got["mmoe / rechub-mmoe rows/s"].passed
    assert got["mmoe / deepctr-mmoe rows/s"].verdict == "FAIL"
    auc = got["mmoe test AUC - best peer's"]
    assert auc.value == pytest.approx(-0.001) and auc.passed          # 0.800 vs rechub's 0.801


def test_checks_fail_on_overhead_and_mark_missing_inputs():
    s = summaries(**{"mmoe": [0.3], "dephn": [1.0], "dephn+vg": [1.2]})
    got = {c.label: c for c in checks(s)}
    assert got["dephn+vg / dephn step time"].verdict == "FAIL"       # +20% > 10%
    assert got["dephn+vg / mmoe step time"].verdict == "FAIL"        # 4x >= 3x
    assert got["mmoe / rechub-mmoe rows/s"].verdict == "n/a"
    assert "rechub-mmoe" in got["mmoe / rechub-mmoe rows/s"].detail
    assert got["mmoe test AUC - best peer's"].verdict == "n/a"


def test_auc_check_compares_every_task_with_its_best_peer():
    ours = summarize([fake("mmoe", [1.0], {"a": 0.80, "b": 0.70})])
    p1 = summarize([fake("p1", [1.0], {"a": 0.805, "b": 0.69}, "peer")])
    p2 = summarize([fake("p2", [1.0], {"a": 0.79, "b": 0.701}, "peer")])
    c = auc_check(ours, [p1, p2])
    assert c.value == pytest.approx(-0.005) and c.verdict == "FAIL"
    assert "p1" in c.detail and "p2" in c.detail


def test_tables_show_every_entry_and_verdict():
    s = summaries(**{"mmoe": [0.5], "rechub-mmoe": [2.0]})
    table = results_table(list(s.values()), ["a", "b"])
    assert "| mmoe | lib 1 | 2,000 |" in table and "test AUC b" in table and "0.8010" in table
    assert "GPU" not in table
    ct = checks_table(checks(s))
    assert "**PASS**" in ct and "**n/a**" in ct and "4.00x" in ct


def _context():
    return {"command": "python -m benchmarks.train_bench --rows 10", "date": "2030-01-01 00:00 UTC",
            "machine": {"cores": 2, "processor": "x86_64", "platform": "Linux", "python": "3.11",
                        "torch": "2.x", "torch_threads": 2},
            "load_average": {"before": "1.00 1.00 1.00", "after": "2.00 2.00 2.00"},
            "config": {"batch_size": 1024, "epochs": 3, "lr": 1e-3, "seed": 0, "device": "cpu", "repeats": 2},
            "precision": "fp32",
            "data": {"name": "criteo-ur", "description": "generated", "tasks": ["a", "b"], "sparse_fields": 26,
                     "dense_fields": 13, "rows": {"train": 8, "valid": 1, "test": 1}},
            "skipped": {"deepctr-mmoe": "not installed"}}


def test_render_section_has_command_machine_load_and_tables():
    s = summaries(**{"mmoe": [0.5]})
    s["mmoe"].baseline_rss_mib = 371.6
    text = render_section(_context(), list(s.values()), checks(s))
    assert text.startswith("## Training\n")
    for needle in ("python -m benchmarks.train_bench --rows 10", "2 cores", "torch 2.x", "1.00 1.00 1.00", "2.00 2.00 2.00",
                   "| mmoe |", "Not measured: deepctr-mmoe: not installed", "holds 372 MiB before"):
        assert needle in text


def test_update_readme_replaces_only_the_training_section(tmp_path):
    p = tmp_path / "README.md"
    p.write_text("# Benchmarks\n\nintro\n\n## Training\n\nold numbers\n\n## Ingest\n\ningest numbers\n")
    update_readme(p, "## Training\n\nnew numbers\n")
    text = p.read_text()
    assert "old numbers" not in text and "new numbers" in text
    assert text.startswith("# Benchmarks\n\nintro\n") and text.rstrip().endswith("## Ingest\n\ningest numbers")
    update_readme(p, "## Training\n\nnewer\n")          # idempotent structure
    assert p.read_text().count("## Training") == 1 and "ingest numbers" in p.read_text()


def test_update_readme_appends_or_creates(tmp_path):
    p = tmp_path / "README.md"
    p.write_text("# Benchmarks\n\n## Ingest\n\nrows/s\n\n")
    update_readme(p, "## Training\n\nx\n")
    assert p.read_text() == "# Benchmarks\n\n## Ingest\n\nrows/s\n\n## Training\n\nx\n"
    q = tmp_path / "new" / "README.md"
    update_readme(q, "## Training\n\nx\n")
    assert q.read_text() == "# Benchmarks\n\n## Training\n\nx\n"


def test_write_json_keeps_raw_epochs_and_verdicts(tmp_path):
    runs = [fake("mmoe", [2.0, 1.0], {"a": 0.8})]
    s = {"mmoe": summarize(runs)}
    write_json(tmp_path / "r.json", _context(), list(s.values()), checks(s), runs)
    d = json.loads((tmp_path / "r.json").read_text())
    assert [e["seconds"] for e in d["measurements"][0]["epochs"]] == [2.0, 1.0]
    assert d["summaries"][0]["rows_per_s"] == pytest.approx(1000.0)
    assert {c["result"] for c in d["checks"]} == {"n/a"}
    assert isinstance(Check("x", None, "t", None).verdict, str)


def test_cuda_figures_get_their_own_section_beside_the_cpu_one(tmp_path):
    s = summaries(**{"mmoe": [0.5]})
    ctx = _context()
    cpu = render_section(ctx, list(s.values()), checks(s))
    ctx["config"] = {**ctx["config"], "device": "cuda", "batch_size": 8192}
    ctx["machine"] = {**ctx["machine"], "cuda_device": "NVIDIA H200"}
    gpu = render_section(ctx, list(s.values()), checks(s))
    assert gpu.startswith("## Training on CUDA\n") and "GPU NVIDIA H200" in gpu and "batch 8192" in gpu
    p = tmp_path / "README.md"
    update_readme(p, cpu)
    update_readme(p, gpu)
    update_readme(p, cpu.replace("| mmoe |", "| mmoe2 |"))        # a later CPU run replaces only its own
    text = p.read_text()
    assert text.count("## Training\n") == 1 and text.count("## Training on CUDA\n") == 1
    assert "| mmoe2 |" in text.split("## Training on CUDA")[0] and "| mmoe |" in text.split("## Training on CUDA")[1]


def test_rerender_rebuilds_section_and_json_from_the_measurements(tmp_path):
    from benchmarks.train_bench.report import rerender
    runs = [fake("mmoe", [2.0, 1.0], {"a": 0.8}), fake("dephn", [3.0], {"a": 0.81}),
            fake("mmoe", [0.5], {"a": 0.8})]
    s = {n: summarize([r for r in runs if r.name == n]) for n in ("mmoe", "dephn")}
    ctx = _context()
    write_json(tmp_path / "train_results.json", ctx, list(s.values()), checks(s), runs)
    (tmp_path / "README.md").write_text("# Benchmark notes\n\n## Ingest\n\nkept\n")
    rerender(tmp_path, remarks=["the load doubled in round 2"])
    text = (tmp_path / "README.md").read_text()
    assert "## Ingest\n\nkept" in text and "- the load doubled in round 2" in text and "Reading the numbers" in text
    assert "| mmoe | lib 1 | 2,000 |" in text                    # best epoch over both rounds: 1000 rows / 0.5 s
    d = json.loads((tmp_path / "train_results.json").read_text())
    assert d["remarks"] == ["the load doubled in round 2"] and len(d["measurements"]) == 3


def test_work_note_sets_the_work_ratio_beside_the_time_ratio():
    from benchmarks.train_bench.report import work_note

    s = summaries(**{"mmoe": [0.5], "dephn+vg": [2.0]})               # 50 ms vs 200 ms per step: 4x the time
    assert work_note(s) is None                                       # no counts, no note
    s["mmoe"].gflop_per_step, s["dephn+vg"].gflop_per_step = 1.0, 5.0
    note = work_note(s)
    assert "5.00x the work, against 4.00x the step time" in note
    assert "`dephn+vg` 25 GFLOP/s, `mmoe` 20 GFLOP/s" in note
    assert note in render_section(_context(), list(s.values()), checks(s))
    assert "| 5.00 |" in results_table(list(s.values()), ["a", "b"])


def test_work_check_compares_the_time_ratio_with_the_gflop_ratio():
    from benchmarks.train_bench.report import work_check
    s = summaries(**{"mmoe": [1.0], "dephn+vg": [4.0]})
    s["mmoe"].gflop_per_step, s["dephn+vg"].gflop_per_step = 1.0, 4.7
    c = work_check(s, "dephn+vg", "mmoe")
    assert c.value == pytest.approx(4.0) and c.passed and "4.70" in c.target
    s["dephn+vg"].gflop_per_step = 3.5                       # 4x the time for 3.5x the work
    assert work_check(s, "dephn+vg", "mmoe").verdict == "FAIL"
    assert work_check(summaries(**{"mmoe": [1.0]}), "dephn+vg", "mmoe").verdict == "n/a"

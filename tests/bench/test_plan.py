import pytest

from benchmarks.train_bench.plan import BENCH_MODEL_OPTIONS, BenchConfig, Entry, model_config, parse_models, peer_entries
from dephn.errors import DephnError


def test_parse_models_reads_the_vg_suffix():
    entries = parse_models("mmoe, dephn,dephn+vg")
    assert [e.name for e in entries] == ["mmoe", "dephn", "dephn+vg"]
    assert [e.model for e in entries] == ["mmoe", "dephn", "dephn"]
    assert entries[1].vg is None and entries[2].vg == "add_sqrt/pearson"
    assert entries[2].model_options == {}
    assert all(e.kind == "ours" for e in entries)


@pytest.mark.parametrize("text", ["mmoe,nope", "", "mmoe,mmoe", "nope+vg"])
def test_parse_models_rejects_bad_lists(text):
    with pytest.raises(DephnError):
        parse_models(text)


def test_model_config_fixes_the_benchmark_sizes():
    cfg = model_config(Entry("dephn+vg", "ours", "dephn", vg="add_sqrt/pearson"))
    assert (cfg.embed_dim, cfg.n_experts, cfg.expert_hidden) == (16, 4, (64,))
    assert BenchConfig().train_config("add_sqrt/pearson").vg.label == "add_sqrt/pearson"
    assert BenchConfig().train_config().vg is None
    assert BENCH_MODEL_OPTIONS["expert_hidden"] == (64,)


def test_bench_config_validates_and_maps_to_train_config():
    tc = BenchConfig(batch_size=8192, device="cpu", precision="bf16", epochs=2).train_config()
    assert (tc.batch_size, tc.precision, tc.epochs, tc.patience, tc.lr, tc.sparse_lr) == (8192, "bf16", 2, 0, 1e-3, 1e-3)
    with pytest.raises(DephnError):
        BenchConfig(repeats=0)
    with pytest.raises(DephnError):
        BenchConfig(device="tpu")
    assert BenchConfig.from_dict(BenchConfig(rows=5).to_dict()) == BenchConfig(rows=5)


def test_entries_round_trip_and_peer_names():
    e = Entry("dephn+vg", "ours", "dephn", vg="add_sqrt/pearson")
    assert Entry.from_dict(e.to_dict()) == e
    assert [p.name for p in peer_entries()] == ["rechub-mmoe", "deepctr-mmoe"]


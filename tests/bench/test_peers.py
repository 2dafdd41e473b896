import numpy as np
import pytest
import torch

from benchmarks.train_bench import peers
from benchmarks.train_bench.flops import training_step_gflop
from benchmarks.train_bench.plan import Entry, model_config
from dephn.models import build_model


def test_field_columns_are_one_array_per_field(bench_data):
    cols = peers.field_columns(bench_data.valid, bench_data)
    sparse_names, dense_names = peers.field_names(bench_data)
    assert list(cols) == sparse_names + dense_names
    n = len(bench_data.valid)
    assert all(cols[c].shape == (n,) and cols[c].dtype == np.int64 for c in sparse_names)
    assert all(cols[c].dtype == np.float32 for c in dense_names)
    np.testing.assert_array_equal(cols[sparse_names[1]], bench_data.valid.sparse[:, 1])
    assert peers.labels_of(bench_data.valid).shape == (n, 2)


def test_missing_peer_is_reported_not_raised(monkeypatch):
    monkeypatch.setattr(peers.importlib.util, "find_spec", lambda name: None)
    assert "pip install" in peers.peer_missing("rechub-mmoe")


def test_no_version_check_refuses_network_and_restores_requests():
    requests = pytest.importorskip("requests")
    real = requests.get
    with peers.no_version_check():
        with pytest.raises(requests.ConnectionError):
            requests.get("https://example.invalid")
    assert requests.get is real


def _skip_unless(name):
    reason = peers.peer_missing(name)
    if reason:
        pytest.skip(f"{name}: {reason}")


@pytest.mark.parametrize("name", ["rechub-mmoe", "deepctr-mmoe"])
def test_peer_adapter_trains_and_reports_auc_per_task(name, bench_data, bench_cfg):
    _skip_unless(name)
    m = peers.train_peer(Entry(name, "peer", name), bench_data, bench_cfg)
    assert m.kind == "peer" and m.library.startswith(peers.PEER_LIBRARIES[name][0])
    assert len(m.epochs) == bench_cfg.epochs and all(e.seconds > 0 for e in m.epochs)
    assert set(m.test_auc) == set(bench_data.schema.tasks)
    assert all(0.5 < a <= 1.0 for a in m.test_auc.values())        # it learned something
    assert m.parameters > 16 * sum(bench_data.vocab_sizes)            # embedding 16 per id, plus the rest
    # same sizes as our MMoE, so about the same matrix work per step (the inputs differ a little:
    # the peers feed dense values raw, ours embeds each one)
    ours = training_step_gflop(build_model("mmoe", bench_data.feature_spec, model_config(Entry("mmoe", "ours", "mmoe"))),
                               bench_data.train, bench_data.feature_spec.tasks, bench_cfg.batch_size)
    assert 0.5 * ours < m.gflop_per_step < 1.5 * ours


def test_rechub_predictions_have_one_probability_per_task(bench_data, bench_cfg):
    _skip_unless("rechub-mmoe")
    from torch_rechub.basic.features import DenseFeature, SparseFeature
    from torch_rechub.models.multi_task import MMOE

    sparse_names, dense_names = peers.field_names(bench_data)
    feats = ([SparseFeature(n, vocab_size=v, embed_dim=16) for n, v in zip(sparse_names, bench_data.vocab_sizes)]
             + [DenseFeature(n) for n in dense_names])
    model = MMOE(feats, ["classification"] * 2, 4, {"dims": [64]}, [{"dims": [32]}] * 2)
    probs = peers._rechub_predict(model, peers.field_columns(bench_data.test, bench_data), torch.device("cpu"))
    assert probs.shape == (len(bench_data.test), 2) and ((probs > 0) & (probs < 1)).all()
    assert model.training                       # handed back in training mode


def test_peers_refuse_a_single_task_data_set(bench_cfg):
    from tests.conftest import synthetic_encoded
    from dephn.errors import DephnError
    one = synthetic_encoded(n=200, n_tasks=1)
    for name in peers.PEER_LIBRARIES:
        if peers.peer_missing(name) is None:
            with pytest.raises(DephnError, match="two or more tasks"):
                peers.train_peer(Entry(name, "peer", name), one, bench_cfg)

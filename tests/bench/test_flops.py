import pytest
import torch
from torch import nn

from benchmarks.train_bench.flops import training_step_gflop
from benchmarks.train_bench.plan import Entry, model_config
from dephn.models import build_model
from dephn.models.output import ModelOutput


class DenseLinear(nn.Module):
    """One Linear over the dense values, one logit per task: its products are known by hand."""

    def __init__(self, n_dense: int, tasks):
        super().__init__()
        self.tasks, self.lin = tuple(tasks), nn.Linear(n_dense, len(tasks))

    def forward(self, sparse, dense):
        z = self.lin(dense)                                            # (B, T)
        return ModelOutput(logits={t: z[:, i] for i, t in enumerate(self.tasks)})


def test_counts_forward_and_weight_gradient_products(bench_data):
    tasks = bench_data.feature_spec.tasks
    d, t, b = bench_data.feature_spec.n_dense, len(tasks), 64
    model = DenseLinear(d, tasks)
    # forward (B, D) @ (D, T): 2BDT; backward: weight gradient 2BDT (the input needs none)
    assert training_step_gflop(model, bench_data.train, tasks, b) * 1e9 == pytest.approx(4 * b * d * t)


def test_counting_leaves_the_model_and_the_random_state_untouched(bench_data):
    torch.manual_seed(0)
    model = build_model("dephn", bench_data.feature_spec, model_config(Entry("dephn", "ours", "dephn")))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rng = torch.get_rng_state()
    training_step_gflop(model, bench_data.train, bench_data.feature_spec.tasks, 64)
    assert torch.equal(torch.get_rng_state(), rng)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())   # BN statistics too
    assert all(p.grad is None for p in model.parameters())


def test_dephn_does_more_work_than_mmoe_and_work_grows_with_the_batch(bench_data):
    spec, tasks = bench_data.feature_spec, bench_data.feature_spec.tasks
    work = {}
    for name in ("mmoe", "dephn"):
        model = build_model(name, spec, model_config(Entry(name, "ours", name)))
        work[name] = [training_step_gflop(model, bench_data.train, tasks, b) for b in (64, 128)]
    assert work["dephn"][0] > 2 * work["mmoe"][0]
    for small, large in work.values():
        assert large == pytest.approx(2 * small, rel=0.05)

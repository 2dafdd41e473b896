"""Shared helpers for model tests (the baselines' and DEPHN / MT-PHN's alike).

Fixtures (stable names, use them from any test under tests/models/):
- `tiny_spec`: factory `tiny_spec(n_tasks=2, vocab_sizes=VOCAB, n_dense=2) -> FeatureSpec`
  with task names "t0", "t1", ...
- `tiny_cfg`: factory `tiny_cfg(**overrides) -> ModelConfig`, small widths so tests stay fast.
- `overfit`: function `overfit(model, batch, steps=150, lr=2e-2, vg=None) -> (first_loss, last_loss)`,
  the mean per-task BCE before the first step (train mode) and after the last (eval mode)
  on one fixed batch; `vg="GAMMA/CORR"` trains with the virtual-gradient policy, as
  `TrainConfig(vg=...)` does in the training loop.
- autouse: every test here runs with one torch thread (restored afterwards).

Plain functions (also importable: `from tests.models.conftest import make_batch, train_steps`):
- `make_batch(n_tasks, n=64, spec=None, seed=0) -> Batch(sparse, dense, labels)`: random ids with
  labels that are a deterministic function of the ids (so a model can fit them exactly).
- `train_steps(model, batch, steps, lr=1e-2, vg=None) -> list[float]`: Adam on dense parameters and
  RowAdam (SparseAdam's rule) on sparse embedding tables, loss = sum of task BCEs + `aux_loss`; returns the mean
  per-task BCE of every step (before its update). With `vg` the trainer's gradient policy
  (`policy_for(TrainConfig(vg=vg).vg)`) is attached for the run, handed each step's labels, and
  detached afterwards.
- `task_bce(out, labels, tasks) -> (T,) tensor`: per-task BCE, honouring `ModelOutput.probs`.
- `make_spec`, `tiny_config`: what the `tiny_spec` / `tiny_cfg` fixtures return.
"""
from __future__ import annotations

from typing import NamedTuple

import pytest
import torch
from torch import nn

from dephn.config import ModelConfig
from dephn.data.schema import FeatureSpec
from dephn.train.config import TrainConfig
from dephn.train.optimizers import make_optimizers
from dephn.train.policy import policy_for
from dephn.models import ModelOutput

VOCAB = (7, 5, 11, 3)  # tiny sparse fields (id 0 = OOV included)
N_DENSE = 2


class Batch(NamedTuple):
    sparse: torch.Tensor  # (B, S) long
    dense: torch.Tensor   # (B, D) float
    labels: torch.Tensor  # (B, T) float in {0, 1}


def make_spec(n_tasks: int = 2, vocab_sizes=VOCAB, n_dense: int = N_DENSE) -> FeatureSpec:
    return FeatureSpec(tuple(vocab_sizes), n_dense, tuple(f"t{t}" for t in range(n_tasks)))


def tiny_config(**overrides) -> ModelConfig:
    small = dict(embed_dim=8, dnn_hidden=(32, 16), expert_hidden=(32, 16), tower_hidden=(16,),
                 cin_layers=(8, 8), n_experts=3, cross_layers=2, fint_layers=2)
    small.update(overrides)
    return ModelConfig.from_dict(small)


def make_batch(n_tasks: int, n: int = 64, spec: FeatureSpec | None = None, seed: int = 0) -> Batch:
    spec = spec or make_spec(n_tasks)
    g = torch.Generator().manual_seed(seed)
    sparse = torch.stack([torch.randint(0, v, (n,), generator=g) for v in spec.vocab_sizes], 1)  # (n, S)
    dense = torch.randn(n, spec.n_dense, generator=g)                                           # (n, D)
    # task t: parity of a task-specific mix of the first two fields -> tasks differ but are learnable
    labels = torch.stack([(sparse[:, 0] + (t + 1) * sparse[:, 1 % sparse.shape[1]]) % 2
                          for t in range(n_tasks)], 1).float()                                   # (n, T)
    return Batch(sparse, dense, labels)


def _train_config(lr: float, vg: str | None = None) -> TrainConfig:
    """The training config the helpers train under: one learning rate, optional virtual gradient."""
    return TrainConfig(lr=lr, sparse_lr=lr, vg=vg)


def task_bce(out: ModelOutput, labels: torch.Tensor, tasks) -> torch.Tensor:
    losses = []
    for t, name in enumerate(tasks):
        y = labels[:, t]
        if out.probs is not None:
            p = out.probs[name].clamp(1e-7, 1 - 1e-7)
            losses.append(nn.functional.binary_cross_entropy(p, y))
        else:
            losses.append(nn.functional.binary_cross_entropy_with_logits(out.logits[name], y))
    return torch.stack(losses)  # (T,)


def train_steps(model: nn.Module, batch: Batch, steps: int, lr: float = 1e-2,
                vg: str | None = None) -> list[float]:
    torch.manual_seed(0)
    cfg = _train_config(lr, vg)
    opts = make_optimizers(model, cfg)             # the training loop's own Adam + RowAdam
    policy = policy_for(cfg.vg)                    # the training loop's own gradient policy
    if policy is not None:
        policy.attach(model)
    model.train()
    history = []
    try:
        for _ in range(steps):
            for o in opts:
                o.zero_grad()
            if policy is not None:
                policy.set_labels(batch.labels)
            out = model(batch.sparse, batch.dense)
            per_task = task_bce(out, batch.labels, list(out.logits))  # logits keyed in task order
            loss = per_task.sum() + (out.aux_loss if out.aux_loss is not None else 0.0)
            loss.backward()
            for o in opts:
                o.step()
            history.append(per_task.mean().item())
        if policy is not None and steps:
            assert policy.coef, f"the virtual gradient {vg} was never applied"
    finally:
        if policy is not None:
            policy.detach()
    return history


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    yield


@pytest.fixture
def tiny_spec():
    return make_spec


@pytest.fixture
def tiny_cfg():
    return tiny_config


@pytest.fixture
def overfit():
    def run(model: nn.Module, batch: Batch, steps: int = 150, lr: float = 2e-2,
            vg: str | None = None) -> tuple[float, float]:
        history = train_steps(model, batch, steps, lr, vg=vg)
        model.eval()
        with torch.no_grad():
            out = model(batch.sparse, batch.dense)
            tasks = list(out.logits)
            last = task_bce(out, batch.labels, tasks).mean().item()
        return history[0], last
    return run

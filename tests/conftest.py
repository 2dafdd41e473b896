"""Fixtures shared by the whole suite."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from dephn.data.encoded import EncodedDataset, EncodedSplit
from dephn.data.schema import Schema
from dephn.models.output import ModelOutput

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _small_fresh_rows(monkeypatch):
    """Generated Criteo-R/UR in tests: a small teacher sample and evaluation set (the defaults,
    200k and 100k rows, cost a minute per fresh cache)."""
    from dephn.data import datasets
    monkeypatch.setattr(datasets, "FRESH_ROWS", {"teacher_rows": 5_000, "eval_rows": 4_000})


def shared_data_dir() -> Path:
    """The public samples beside the project (../shared/data), or $DEPHN_SHARED_DATA."""
    env = os.environ.get("DEPHN_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def synthetic_encoded(n: int = 3000, n_tasks: int = 2, seed: int = 0, vocab: int = 50,
                      n_sparse: int = 4, n_dense: int = 2) -> EncodedDataset:
    """A learnable encoded data set: labels depend on two sparse fields and one dense field."""
    rng = np.random.default_rng(seed)
    sparse = rng.integers(0, vocab, size=(n, n_sparse)).astype(np.int64)
    dense = rng.normal(size=(n, n_dense)).astype(np.float32)
    effect = rng.normal(size=(n_sparse, vocab))
    base = effect[0, sparse[:, 0]] + effect[1, sparse[:, 1]] + dense[:, 0]
    labels = []
    for t in range(n_tasks):
        logit = base * (1.0 if t % 2 == 0 else 0.6) + (0.8 * np.sin(2 * base) if t % 2 else 0) - 0.5
        labels.append(rng.random(n) < 1 / (1 + np.exp(-logit)))
    labels = np.stack(labels, 1).astype(np.float32)
    schema = Schema(tasks=tuple(f"t{i}" for i in range(n_tasks)),
                    dense=tuple(f"I{i}" for i in range(n_dense)),
                    sparse=tuple(f"C{i}" for i in range(n_sparse)))
    a, b = int(n * 0.8), int(n * 0.9)

    def part(lo, hi):
        return EncodedSplit(sparse[lo:hi], dense[lo:hi], labels[lo:hi], {"confidence": base[lo:hi]})

    return EncodedDataset(name="synthetic", schema=schema, vocab_sizes=(vocab,) * n_sparse,
                          train=part(0, a), valid=part(a, b), test=part(b, n),
                          fingerprint=f"synthetic-{n}-{n_tasks}-{seed}", meta={})


class TinyModel(nn.Module):
    """A per-task logistic model over a sparse embedding: enough to test the engine."""

    def __init__(self, vocab_sizes, n_dense, tasks, sparse=True):
        super().__init__()
        self.tasks = tuple(tasks)
        self.offsets = torch.tensor(np.concatenate([[0], np.cumsum(vocab_sizes)[:-1]]), dtype=torch.long)
        self.emb = nn.Embedding(int(sum(vocab_sizes)), len(tasks), sparse=sparse)
        nn.init.zeros_(self.emb.weight)
        self.dense = nn.Linear(n_dense, len(tasks))
        self.gate = nn.Parameter(torch.zeros(len(tasks), 3))

    def forward(self, sparse, dense):
        z = self.emb(sparse + self.offsets).sum(1) + self.dense(dense)      # (B, T)
        g = torch.softmax(self.gate, -1)                                     # (T, 3)
        z = z * (1 + g[:, 0])
        return ModelOutput(logits={t: z[:, i] for i, t in enumerate(self.tasks)},
                           intermediates={f"gates/{t}": g[i] for i, t in enumerate(self.tasks)})


@pytest.fixture
def one_torch_thread():
    """Run a test on one torch thread (restored afterwards): tiny tensors gain nothing from
    intra-op threads, and on a busy 2-core machine two spinning threads cost several times
    the CPU time. Folders of small-tensor tests use it autouse."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Processed data of the whole session goes to a temporary cache (children inherit it)."""
    if "DEPHN_CACHE" not in os.environ:
        os.environ["DEPHN_CACHE"] = str(tmp_path_factory.mktemp("dephn-cache"))
    yield


@pytest.fixture(scope="session")
def smoke_study(tmp_path_factory):
    """The whole study in the smoke profile, run once per session through `dephn study`'s
    runner (papermill); tests read its outputs and later runs reuse its results store."""
    from dephn.study.runner import run_study
    out = tmp_path_factory.mktemp("study") / "smoke"
    logs: list[str] = []
    run_study("smoke", out, log=logs.append)
    return out, logs


@pytest.fixture
def tiny_data():
    return synthetic_encoded()


@pytest.fixture
def tiny_model_factory():
    def make(data, sparse=True):
        torch.manual_seed(0)
        return TinyModel(data.vocab_sizes, len(data.schema.dense), data.schema.tasks, sparse=sparse)
    return make

"""Thin adapters: the same encoded arrays into the peer libraries' MMoE, through their public APIs.

Both peers get what our models get: one id column per sparse field (0 = OOV / missing, the
vocabulary sizes of `EncodedDataset.vocab_sizes`), one value column per dense field (already
transformed), the same labels, embedding 16, 4 experts x 64, towers (32,), Adam lr 1e-3 without
weight decay or L2 terms, the same batch size, epochs and seed. Each trains with its own training
API, as its users would run it:

- torch-rechub 0.9.0: `MMOE` + `MTLTrainer.train_one_epoch` over the loaders of its
  `DataGenerator` (a per-row dict Dataset batched by torch's DataLoader).
- DeepCTR-Torch 0.3.0: `MMOE.compile` + `MMOE.fit(verbose=0)`; a callback reads the clock at
  each epoch's start and end (its one-off array concatenation before the first epoch is not timed).

Their architectures differ from ours where the libraries fix it: both feed dense values raw
into the experts (ours embeds each as a learned vector), torch-rechub puts BatchNorm in every
MLP layer and gate, and neither has sparse embedding gradients (plain Adam over every table).
Each epoch is followed, outside the timed region, by prediction on valid and test; the test
AUC reported is that of the epoch with the best mean valid AUC, the rule `dephn.train.fit` uses.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import tempfile
import threading
from importlib import metadata
from typing import Callable

import numpy as np
import torch

from dephn.data.encoded import EncodedDataset, EncodedSplit
from dephn.errors import DephnError
from dephn.train.device import resolve_device
from dephn.train.seed import set_seed

from .flops import step_gflop
from .measure import EpochClock, Measurement, auc_by_task, epoch_times, peak_gpu_mib, probs_metrics, select_epoch
from .plan import BENCH_MODEL_OPTIONS, PEER_LIBRARIES, BenchConfig, Entry, model_config

PREDICT_BATCH = 16384


def peer_missing(name: str) -> str | None:
    """None when the peer library is importable, else a one-line reason."""
    dist, module = PEER_LIBRARIES[name]
    if importlib.util.find_spec(module) is None:
        return f"{dist} is not installed (pip install -e '.[bench]')"
    return None


def library_version(name: str) -> str:
    dist, _ = PEER_LIBRARIES[name]
    try:
        return f"{dist} {metadata.version(dist)}"
    except metadata.PackageNotFoundError:
        return dist


def field_names(data: EncodedDataset) -> tuple[list[str], list[str]]:
    """Column names for the peers' feature definitions (prefixed: sparse and dense never collide)."""
    return [f"s_{n}" for n in data.schema.sparse], [f"d_{n}" for n in data.schema.dense]


def field_columns(split: EncodedSplit, data: EncodedDataset) -> dict[str, np.ndarray]:
    """{column: (N,) array}: int64 ids per sparse field, float32 values per dense field."""
    sparse_names, dense_names = field_names(data)
    sparse = np.asarray(split.sparse)                                   # (N, S)
    dense = np.asarray(split.dense)                                     # (N, D)
    cols = {n: np.ascontiguousarray(sparse[:, i], dtype=np.int64) for i, n in enumerate(sparse_names)}
    cols.update({n: np.ascontiguousarray(dense[:, j], dtype=np.float32) for j, n in enumerate(dense_names)})
    return cols


def labels_of(split: EncodedSplit) -> np.ndarray:
    return np.ascontiguousarray(split.labels, dtype=np.float32)         # (N, T)


def _sizes(entry_name: str) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
    mcfg = model_config(Entry(entry_name, "peer", entry_name))
    return mcfg.embed_dim, mcfg.expert_hidden, mcfg.tower_hidden


def _probs_loss(probs: torch.Tensor, labels: np.ndarray) -> torch.Tensor:
    """Summed binary cross-entropy of (B, T) probabilities: the peers' training loss."""
    y = torch.as_tensor(labels, dtype=torch.float32, device=probs.device)
    return torch.nn.functional.binary_cross_entropy(probs.float(), y, reduction="none").mean(0).sum()


def _measurement(entry: Entry, data: EncodedDataset, cfg: BenchConfig, clock: EpochClock,
                 valid: list[dict], test: list[dict], device: torch.device, model: torch.nn.Module,
                 notes: list[str], gflop: float | None = None) -> Measurement:
    epoch, v, t = select_epoch(valid, test)
    return Measurement(
        name=entry.name, kind="peer", library=library_version(entry.model),
        epochs=epoch_times(clock.seconds, len(data.train), cfg.batch_size),
        test_auc=auc_by_task(t), valid_auc=auc_by_task(v), selected_epoch=epoch,
        device=str(device), precision="fp32", parameters=sum(p.numel() for p in model.parameters()),
        peak_gpu_mib=peak_gpu_mib(device), gflop_per_step=gflop, notes=notes)


# -- torch-rechub ------------------------------------------------------------------

def _rechub_predict(model, cols: dict[str, np.ndarray], device) -> np.ndarray:
    """(N, T) probabilities from the model's forward (it ends in a sigmoid per task)."""
    model.eval()
    n = len(next(iter(cols.values())))
    out = []
    with torch.no_grad():
        for lo in range(0, n, PREDICT_BATCH):
            x = {k: torch.from_numpy(v[lo:lo + PREDICT_BATCH]).to(device) for k, v in cols.items()}
            out.append(model(x).float().cpu().numpy())                 # (b, T)
    model.train()
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def train_rechub(entry: Entry, data: EncodedDataset, cfg: BenchConfig,
                 adjust: Callable[[torch.nn.Module], None] | None = None) -> Measurement:
    """torch-rechub's MMoE trained by its own trainer. `adjust(model)`, when given, changes the
    built model before training: the one change of a controlled comparison
    (benchmarks/peer_gap.py removes its gates' batch norm)."""
    # lazy: torch-rechub is in the optional [bench] extra; this harness must import without it
    from torch_rechub.basic.features import DenseFeature, SparseFeature
    from torch_rechub.models.multi_task import MMOE
    from torch_rechub.trainers import MTLTrainer
    from torch_rechub.utils.data import DataGenerator

    device = resolve_device(cfg.device)
    tasks = tuple(data.schema.tasks)
    embed, experts, towers = _sizes(entry.name)
    sparse_names, dense_names = field_names(data)
    # features are built per model: torch-rechub caches each table on its feature object
    features = ([SparseFeature(n, vocab_size=int(v), embed_dim=embed)
                 for n, v in zip(sparse_names, data.vocab_sizes)] +
                [DenseFeature(n) for n in dense_names])
    set_seed(cfg.seed)
    model = MMOE(features, task_types=["classification"] * len(tasks),
                 n_expert=BENCH_MODEL_OPTIONS["n_experts"], expert_params={"dims": list(experts)},
                 tower_params_list=[{"dims": list(towers)} for _ in tasks])
    if adjust is not None:
        adjust(model)
    x = {s: field_columns(getattr(data, s), data) for s in ("train", "valid", "test")}
    y = {s: labels_of(getattr(data, s)) for s in ("train", "valid", "test")}
    first = {k: torch.from_numpy(v[:cfg.batch_size]) for k, v in x["train"].items()}
    gflop = step_gflop(model, lambda m: _probs_loss(m(first), y["train"][:cfg.batch_size]))
    with tempfile.TemporaryDirectory() as model_path:    # the trainer wants a folder it never uses here
        trainer = MTLTrainer(model, task_types=["classification"] * len(tasks),
                             optimizer_params={"lr": cfg.lr, "weight_decay": 0.0},
                             n_epoch=cfg.epochs, device=str(device), model_path=model_path)
        train_dl, _, _ = DataGenerator(x["train"], y["train"]).generate_dataloader(
            x["valid"], y["valid"], x["test"], y["test"], batch_size=cfg.batch_size)
        clock, valid, test = EpochClock(device), [], []
        for _ in range(cfg.epochs):
            clock.start()
            trainer.train_one_epoch(train_dl)
            clock.stop()
            valid.append(probs_metrics(y["valid"], _rechub_predict(model, x["valid"], device), tasks, "valid"))
            test.append(probs_metrics(y["test"], _rechub_predict(model, x["test"], device), tasks, "test"))
    return _measurement(entry, data, cfg, clock, valid, test, device, model, gflop=gflop, notes=
                        ["torch-rechub MTLTrainer.train_one_epoch over its DataGenerator loader "
                         "(per-row dict Dataset); Adam over all parameters, no weight decay"])


# -- DeepCTR-Torch ------------------------------------------------------------------

@contextlib.contextmanager
def no_version_check():
    """Importing deepctr_torch starts a thread that asks PyPI for a newer release and prints
    when it cannot; the benchmark makes no network calls, so that request fails at once here."""
    import requests  # lazy: requests is in the optional [bench] extra (what DeepCTR-Torch checks with)

    real_get = requests.get

    def refuse(*args, **kwargs):
        raise requests.ConnectionError("the training benchmark makes no network calls")

    before = set(threading.enumerate())
    requests.get = refuse
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
            for t in set(threading.enumerate()) - before:
                t.join(timeout=10)
    finally:
        requests.get = real_get


def _import_deepctr():
    # lazy: DeepCTR-Torch is in the optional [bench] extra, and must be first imported under no_version_check
    with no_version_check():
        import deepctr_torch  # noqa: F401
    from deepctr_torch.callbacks import Callback
    from deepctr_torch.inputs import DenseFeat, SparseFeat
    from deepctr_torch.models.multitask import MMOE
    return Callback, DenseFeat, SparseFeat, MMOE


def train_deepctr(entry: Entry, data: EncodedDataset, cfg: BenchConfig) -> Measurement:
    Callback, DenseFeat, SparseFeat, MMOE = _import_deepctr()

    device = resolve_device(cfg.device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", 0)          # DeepCTR-Torch wants "cuda:N"
    tasks = tuple(data.schema.tasks)
    embed, experts, towers = _sizes(entry.name)
    sparse_names, dense_names = field_names(data)
    columns = ([SparseFeat(n, vocabulary_size=int(v), embedding_dim=embed)
                for n, v in zip(sparse_names, data.vocab_sizes)] +
               [DenseFeat(n, 1) for n in dense_names])
    set_seed(cfg.seed)
    model = MMOE(columns, num_experts=BENCH_MODEL_OPTIONS["n_experts"], expert_dnn_hidden_units=tuple(experts),
                 gate_dnn_hidden_units=(), tower_dnn_hidden_units=tuple(towers),
                 l2_reg_linear=0.0, l2_reg_embedding=0.0, l2_reg_dnn=0.0,
                 task_types=["binary"] * len(tasks), task_names=list(tasks), device=str(device), seed=cfg.seed)
    model.compile(torch.optim.Adam(model.parameters(), lr=cfg.lr), loss=["binary_crossentropy"] * len(tasks))
    x = {s: field_columns(getattr(data, s), data) for s in ("train", "valid", "test")}
    y = {s: labels_of(getattr(data, s)) for s in ("train", "valid", "test")}
    # the input matrix its fit() builds: one column per feature, in the model's feature order
    first = torch.from_numpy(np.stack([np.asarray(x["train"][f][:cfg.batch_size], dtype=np.float32)
                                       for f in model.feature_index], axis=1)).to(device)
    gflop = step_gflop(model, lambda m: _probs_loss(m(first), y["train"][:cfg.batch_size]))
    clock, valid, test = EpochClock(device), [], []

    class EpochTimer(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            clock.start()

        def on_epoch_end(self, epoch, logs=None):
            clock.stop()
            for s, out in (("valid", valid), ("test", test)):
                probs = model.predict(x[s], batch_size=PREDICT_BATCH)           # (N, T)
                out.append(probs_metrics(y[s], probs, tasks, s))
            model.train()       # predict() leaves the model in eval mode; fit() does not undo it

    model.fit(x["train"], y["train"], batch_size=cfg.batch_size, epochs=cfg.epochs, verbose=0,
              shuffle=True, callbacks=[EpochTimer()])
    return _measurement(entry, data, cfg, clock, valid, test, device, model, gflop=gflop, notes=
                        ["DeepCTR-Torch MMOE.fit(verbose=0), timed per epoch by a callback; "
                         "Adam over all parameters, L2 terms 0, gate without hidden layer"])


TRAINERS = {"rechub-mmoe": train_rechub, "deepctr-mmoe": train_deepctr}


def train_peer(entry: Entry, data: EncodedDataset, cfg: BenchConfig) -> Measurement:
    reason = peer_missing(entry.model)
    if reason:
        raise DephnError(reason)
    if len(data.schema.tasks) < 2:
        raise DephnError(f"the peers' MMoE needs two or more tasks; {data.name} has {list(data.schema.tasks)}")
    return TRAINERS[entry.model](entry, data, cfg)

"""The teacher behind Criteo-R / Criteo-UR (paper §IV-A, docs/decisions.md#criteo-r-and-criteo-ur).

"The basic confidence of the dataset is obtained by a simple feed forward neural network": field
embeddings (one vector per dense field, times its value) flattened into an MLP, trained on
Criteo's click label; its logit is the base confidence c of every row. Plain torch on the CPU,
seeded. The teacher is part of how the data set is made, not a model under study: it sees every
row of the source except a held-out share used only to report its AUC (how much signal c carries).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..errors import DephnError


@dataclass
class TeacherConfig:
    embed_dim: int = 8                      # size of every field embedding
    hidden: tuple[int, ...] = (64, 32)      # MLP widths
    epochs: int = 3                         # passes over the training rows
    batch_size: int = 512                   # rows per step
    lr: float = 2e-3                        # Adam / SparseAdam learning rate
    holdout: float = 0.1                    # share of rows held out to measure the teacher's AUC
    max_train_rows: int | None = 2_000_000  # cap on training rows (a 45M-row source trains on a sample)
    seed: int = 0                           # initialisation, shuffling and holdout

    def __post_init__(self):
        self.hidden = tuple(int(h) for h in self.hidden)
        if self.embed_dim < 1 or self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise DephnError("teacher embed_dim, epochs, batch_size and lr must be positive")
        if not 0.0 < self.holdout < 1.0:
            raise DephnError(f"teacher holdout must be in (0, 1), got {self.holdout}")


class Teacher(nn.Module):
    """Field embeddings + MLP -> one click logit per row."""

    def __init__(self, vocab_sizes: tuple[int, ...], n_dense: int, cfg: TeacherConfig):
        super().__init__()
        # one fused table for all sparse fields, addressed through per-field offsets;
        # sparse gradients keep Adam off the (mostly idle) rows of big vocabularies
        self.embedding = nn.Embedding(int(sum(vocab_sizes)), cfg.embed_dim, sparse=True)
        nn.init.normal_(self.embedding.weight, std=0.05)
        offsets = np.concatenate([[0], np.cumsum(vocab_sizes)[:-1]]).astype(np.int64)
        self.register_buffer("offsets", torch.as_tensor(offsets))
        self.dense_vectors = nn.Parameter(torch.randn(n_dense, cfg.embed_dim) * 0.05)  # (D, d)
        widths = ((len(vocab_sizes) + n_dense) * cfg.embed_dim, *cfg.hidden)
        layers = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.mlp = nn.Sequential(*layers, nn.Linear(widths[-1], 1))

    def forward(self, sparse: torch.Tensor, dense: torch.Tensor) -> torch.Tensor:
        e_sparse = self.embedding(sparse + self.offsets)               # (B, S, d)
        e_dense = dense.unsqueeze(-1) * self.dense_vectors             # (B, D, d)
        x = torch.cat([e_sparse, e_dense], dim=1).flatten(1)           # (B, (S + D) d)
        return self.mlp(x).squeeze(-1)                                  # (B,)


@dataclass
class TeacherResult:
    logits: np.ndarray        # (N,) float64 base confidence c of every row
    holdout_auc: float        # ROC AUC of the logit on the held-out rows
    train_rows: int
    holdout_rows: int
    model: "Teacher | None" = None

    def logits_of(self, sparse: np.ndarray, dense: np.ndarray) -> np.ndarray:
        """(N,) float64 logits of other rows (encoded with the teacher's encoder)."""
        return _logits(self.model, torch.as_tensor(np.ascontiguousarray(sparse), dtype=torch.int64),
                       torch.as_tensor(np.ascontiguousarray(dense), dtype=torch.float32))


def train_teacher(sparse: np.ndarray, dense: np.ndarray, click: np.ndarray, vocab_sizes: tuple[int, ...],
                  cfg: TeacherConfig | None = None) -> TeacherResult:
    """Train on (sparse (N, S) ids, dense (N, D), click (N,)) and return every row's logit."""
    cfg = cfg or TeacherConfig()
    n = len(click)
    rng = np.random.default_rng([cfg.seed, 7])
    order = rng.permutation(n)
    n_hold = max(1, int(round(cfg.holdout * n)))
    hold, train = order[:n_hold], order[n_hold:]
    if cfg.max_train_rows is not None and len(train) > cfg.max_train_rows:
        train = train[: cfg.max_train_rows]
    if len(train) == 0:
        raise DephnError(f"too few rows ({n}) to train the teacher")
    sparse_t = torch.as_tensor(np.ascontiguousarray(sparse), dtype=torch.int64)   # (N, S)
    dense_t = torch.as_tensor(np.ascontiguousarray(dense), dtype=torch.float32)   # (N, D)
    click_t = torch.as_tensor(np.asarray(click), dtype=torch.float32)             # (N,)

    with torch.random.fork_rng(devices=[]):   # seeded without touching the caller's global RNG
        torch.manual_seed(cfg.seed)
        model = Teacher(tuple(vocab_sizes), dense.shape[1], cfg)
        _fit(model, sparse_t, dense_t, click_t, train, rng, cfg)
        logits = _logits(model, sparse_t, dense_t)
    y_hold = np.asarray(click)[hold]
    auc = roc_auc(y_hold, logits[hold])
    return TeacherResult(logits=logits, holdout_auc=auc, train_rows=len(train), holdout_rows=len(hold), model=model)


@torch.no_grad()
def _logits(model: Teacher, sparse_t: torch.Tensor, dense_t: torch.Tensor) -> np.ndarray:
    model.eval()
    return torch.cat([model(sparse_t[lo:lo + 65536], dense_t[lo:lo + 65536])
                      for lo in range(0, len(sparse_t), 65536)]).double().numpy()   # (N,)


def _fit(model: Teacher, sparse_t, dense_t, click_t, train: np.ndarray, rng: np.random.Generator,
         cfg: TeacherConfig) -> None:
    """Mini-batch BCE on the training rows: SparseAdam for the embedding table, Adam for the rest."""
    opt_sparse = torch.optim.SparseAdam([model.embedding.weight], lr=cfg.lr)
    opt_dense = torch.optim.Adam([p for p in model.parameters() if p is not model.embedding.weight], lr=cfg.lr)
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    for _ in range(cfg.epochs):
        epoch_order = torch.as_tensor(rng.permutation(train))
        for lo in range(0, len(train), cfg.batch_size):
            idx = epoch_order[lo:lo + cfg.batch_size]                          # (B,)
            loss = loss_fn(model(sparse_t[idx], dense_t[idx]), click_t[idx])
            opt_sparse.zero_grad()
            opt_dense.zero_grad()
            loss.backward()
            opt_sparse.step()
            opt_dense.step()


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """scikit-learn's ROC AUC; NaN when the labels have one class."""
    from sklearn.metrics import roc_auc_score
    y = np.asarray(y).astype(bool)
    if y.all() or not y.any():
        return float("nan")
    return float(roc_auc_score(y, np.asarray(score)))

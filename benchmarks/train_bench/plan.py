"""What one benchmark run measures: the entries (our models, the peers' MMoE) and the shared settings.

Every entry trains on the same encoded arrays with the same hyper-parameters, as in the paper's
comparisons (docs/decisions.md#baselines-and-shared-hyper-parameters): embedding 16, 4 experts x 64 hidden units, towers (32,), Adam lr 1e-3,
the same batch size and epochs.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from dephn.config import ModelConfig
from dephn.errors import DephnError
from dephn.models import model_names
from dephn.train.config import TrainConfig
from dephn.virtual_gradient import VGSetting

# The ModelConfig fields the benchmark fixes (the rest keep their defaults, e.g. tower_hidden=(32,)).
BENCH_MODEL_OPTIONS = {"embed_dim": 16, "n_experts": 4, "expert_hidden": (64,)}
DEFAULT_MODELS = ("mmoe", "dephn", "dephn+vg")
VG_SUFFIX = "+vg"          # "<model>+vg": the model with the virtual gradient on (paper's add_sqrt/pearson)
PAPER_VG = VGSetting("add_sqrt", "pearson")

# Peer libraries' MMoE, by entry name -> (pip distribution, importable module)
PEER_LIBRARIES = {
    "rechub-mmoe": ("torch-rechub", "torch_rechub"),
    "deepctr-mmoe": ("deepctr-torch", "deepctr_torch"),
}


@dataclass(frozen=True)
class Entry:
    """One row of the benchmark table."""

    name: str                                   # row label, e.g. "dephn+vg" or "rechub-mmoe"
    kind: str                                   # "ours" (dephn.train.fit) | "peer" (a peer library)
    model: str                                  # registry name (ours) or PEER_LIBRARIES key (peer)
    model_options: dict = field(default_factory=dict)  # ModelConfig fields beyond BENCH_MODEL_OPTIONS
    vg: str | None = None                       # virtual-gradient setting (TrainConfig.vg), e.g. "add_sqrt/pearson"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Entry":
        return cls(**d)


@dataclass
class BenchConfig:
    dataset: str = "criteo-ur"          # two-task data set (load_dataset name)
    rows: int = 200_000                 # rows of the embedded generated Criteo source
    epochs: int = 3                     # passes over the training split
    batch_size: int = 1024              # rows per optimisation step
    lr: float = 1e-3                    # Adam learning rate (ours: also SparseAdam's, for the embeddings)
    device: str = "cpu"                 # "cpu" | "cuda" | "cuda:N"
    precision: str = "auto"             # "auto" (bf16 on CUDA, fp32 on CPU) | "fp32" | "bf16"
    seed: int = 0                       # initialisation and shuffling seed of every entry
    repeats: int = 2                    # interleaved rounds over all entries (best epoch over all rounds)
    cache_dir: str | None = None        # processed-data cache (None: $DEPHN_CACHE or ./data/cache)

    def __post_init__(self):
        for name in ("rows", "epochs", "batch_size", "repeats"):
            if getattr(self, name) < 1:
                raise DephnError(f"{name} must be >= 1, got {getattr(self, name)}")
        self.train_config()    # validates device / precision / lr

    def train_config(self, vg: str | None = None) -> TrainConfig:
        """Our models' training settings: no early stopping, so every entry runs all epochs."""
        return TrainConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, sparse_lr=self.lr,
                           patience=0, device=self.device, precision=self.precision, quiet=True, vg=vg)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "BenchConfig":
        return cls(**d)


def model_config(entry: Entry) -> ModelConfig:
    """The shared benchmark hyper-parameters plus the entry's own options."""
    return ModelConfig.from_dict({**BENCH_MODEL_OPTIONS, **entry.model_options})


def parse_models(text: str) -> list[Entry]:
    """"mmoe,dephn,dephn+vg" -> entries of our models; `+vg` turns the virtual gradient on."""
    known = model_names()
    entries: list[Entry] = []
    for raw in (t.strip() for t in text.split(",")):
        if not raw:
            continue
        base, vg = (raw[: -len(VG_SUFFIX)], True) if raw.endswith(VG_SUFFIX) else (raw, False)
        if base not in known:
            raise DephnError(f"unknown model {base!r} in --models; known: {', '.join(known)} "
                             f"(append {VG_SUFFIX} for the virtual gradient)")
        entries.append(Entry(raw, "ours", base, vg=PAPER_VG.label if vg else None))
    if not entries:
        raise DephnError("--models names no model")
    names = [e.name for e in entries]
    if len(set(names)) != len(names):
        raise DephnError(f"--models repeats a model: {names}")
    return entries


def peer_entries() -> list[Entry]:
    return [Entry(name, "peer", name) for name in PEER_LIBRARIES]

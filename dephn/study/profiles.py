"""Study profiles: how big every experiment of the study is.

- smoke: minutes for all notebooks on a 2-core CPU (CI runs it); numbers mean little.
- cpu:   the default of `make study`: the embedded data at a size where the figures mean
         something, several seeds, 15 minutes measured with 3 seeds x 2 epochs everywhere; its headline
         comparisons (5 seeds, up to 8 epochs) make it longer (`dephn study --plan` estimates).

`DEFAULT_PROFILE` (smoke) is the one default of the command line, the notebooks' parameters
cell and `Study.open`: the cheapest, so a notebook opened or checked in a fresh checkout runs
in minutes; every other profile is asked for by name.
- paper: a GPU and the full data sets at the paper's scale (point the data paths at them).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..errors import DephnError
from ..virtual_gradient import ALL_VG
DEFAULT_PROFILE = "smoke"


@dataclass(frozen=True)
class Profile:
    name: str
    rows: int                              # rows of the Criteo source (embedded generator when no path)
    seeds: tuple[int, ...]                 # every claim is mean ± spread over these
    epochs: int                            # epoch cap of every run (early stopping may cut)
    batch_size: int                        # rows per step
    lr: float = 1e-3                       # dense-parameter learning rate
    sparse_lr: float = 3e-3                # embedding learning rate
    device: str = "cpu"                    # training device ("auto" on the paper profile)
    log_every: int = 5                     # record losses / VG coefficients every N steps
    patience: int = 1                      # early stopping of the sweeps: epochs without a validation-AUC gain
    headline_seeds: tuple[int, ...] | None = None   # seeds of the headline comparisons (Table I, MMoE vs
                                                    # DEPHN, TVG vs MG, ablations); None: `seeds`
    headline_epochs: int | None = None     # their epoch cap (None: `epochs`), high enough to converge
    headline_patience: int = 2             # their early stopping: epochs without a validation-AUC gain
    vg: tuple[str, ...] = (ALL_VG,)        # virtual-gradient settings of the RQ2 sweep
    vg_models: tuple[str, ...] = ("mmoe", "dephn")  # models swept over every setting (others: the
                                                    # paper's add_sqrt/pearson and no VG only)
    table1_models: tuple[str, ...] = ("dnn", "wide_deep", "dcn", "fint", "mmoe", "ple", "snr", "mtphn")
    table2_models: tuple[str, ...] = ("dnn", "wide_deep", "dcn", "fint", "nfm", "xdeepfm",
                                      "mmoe", "ple", "snr", "mtphn", "dephn")
    table1_dataset: str = "criteo-ur"      # Table I's data (the paper: Ali-CCP)
    vg_regimes: tuple[str, ...] = ("adam", "sgd")   # gate optimizers the Fig. 5 sweep runs under: "adam" is
                                                    # the paper's (a near-constant coefficient cancels), "sgd"
                                                    # lets the virtual gradient act on the gates in full
    sgd_gate_lr: float = 0.05              # learning rate of the gate parameters in the "sgd" regime
    balance: tuple[str, ...] = ("upgrad", "mgda", "pcgrad", "cagrad", "imtlg", "alignedmtl", "nashmtl",
                                "uw", "dwa", "gradnorm")   # gradient-balancing methods of notebook 09
    model_options: dict = field(default_factory=dict)  # ModelConfig overrides for every model
    real_rows: int | None = None           # cap on rows read from real data sets (None: all)
    description: str = ""

    def train_options(self) -> dict:
        return {"epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr,
                "sparse_lr": self.sparse_lr, "device": self.device, "quiet": True, "patience": self.patience,
                "log_every": self.log_every}

    def seeds_for(self, headline: bool) -> tuple[int, ...]:
        return (self.headline_seeds or self.seeds) if headline else self.seeds

    def replace(self, **changes) -> "Profile":
        known = {f.name for f in dataclasses.fields(self)}
        bad = sorted(set(changes) - known)
        if bad:
            raise DephnError(f"unknown profile field(s) {bad}; known: {sorted(known)}")
        for key in ("seeds", "headline_seeds"):
            if key in changes and changes[key] is not None:
                changes[key] = tuple(int(s) for s in changes[key])
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


SMALL_MODELS = {"embed_dim": 8, "dnn_hidden": (64, 32), "expert_hidden": (32, 16), "tower_hidden": (16,),
                "n_experts": 3, "cross_layers": 2, "fint_layers": 2, "cin_layers": (16, 16)}

PROFILES = {
    "smoke": Profile(
        name="smoke", rows=6_000, seeds=(0, 1), epochs=1, batch_size=512, lr=3e-3, sparse_lr=1e-2,
        vg=("add_sqrt/pearson", "mul_cos/cosine"),
        table1_models=("dnn", "mmoe", "mtphn"), table2_models=("dnn", "mmoe", "mtphn", "dephn"),
        balance=("upgrad", "uw"), model_options=SMALL_MODELS, real_rows=2_000,
        description="CI check: tiny data, 1 epoch, 2 seeds, 2 virtual-gradient settings"),
    "cpu": Profile(
        name="cpu", rows=40_000, seeds=(0, 1, 2), epochs=2, batch_size=1024, lr=3e-3, sparse_lr=1e-2,
        headline_seeds=(0, 1, 2, 3, 4), headline_epochs=8,
        vg_models=("mmoe",), model_options=SMALL_MODELS, real_rows=15_000,
        description="laptop: 40k embedded rows; headline comparisons over 5 seeds, up to 8 epochs with early "
                    "stopping (patience 2); the sweeps (16 virtual-gradient settings on MMoE, balancing) 3 seeds x "
                    "2 epochs (narrower, said in the report)"),
    "paper": Profile(
        name="paper", rows=45_000_000, seeds=(0, 1, 2, 3, 4), epochs=5, batch_size=8192,
        device="auto", table1_dataset="aliccp", model_options={}, real_rows=None,
        description="GPU, full data sets, the paper's scale, 5 seeds"),
}


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise DephnError(f"unknown profile {name!r}; expected one of {', '.join(PROFILES)}")
    return PROFILES[name]

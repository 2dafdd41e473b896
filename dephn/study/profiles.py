"""Study profiles: how big every experiment of the study is.

- smoke: minutes for all notebooks on a 2-core CPU (CI runs it); numbers mean little.
- cpu:   the default of `make study`: under 45 minutes on 2 cores; the headline comparisons at full
         quality (150k generated rows, 5 seeds, early stopping, one learning-rate grid for every
         configuration), the whole Fig. 5 grid on MMoE with the seeds its detectable effects need
         (dephn/study/power.py), the other sweeps narrowed (fewer balancing methods, 3 seeds x 2 epochs).
- cpu-full: the whole grid at the headline quality, overnight on 2 cores.

`DEFAULT_PROFILE` (smoke) is the one default of the command line, the notebooks' parameters
cell and `Study.open`: the cheapest, so a notebook opened or checked in a fresh checkout runs
in minutes; every other profile is asked for by name.
- paper: a GPU and the full data sets at the paper's scale (point the data paths at them).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..errors import DephnError
from ..virtual_gradient import ALL_VG, GAMMAS
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
    headline_rows: int | None = None       # rows of the generated Criteo data of the headline comparisons
                                           # (None: `rows`); real data sets keep their own size
    ablation_rows: int | None = None       # rows of the ablations' generated data (None: as the headline's)
    lr_grid: tuple[float, ...] = ()        # dense learning rates every headline configuration is tuned over
                                           # (embedding rate at the same ratio); empty: no tuning
    tune_seeds: tuple[int, ...] = (0,)     # the seeds the grid trains on; chosen on validation AUC
    vg: tuple[str, ...] = (ALL_VG,)        # virtual-gradient settings of the RQ2 sweep
    vg_seeds: dict = field(default_factory=dict)   # data set -> seeds of the Fig. 5 sweep (else `seeds`),
                                                   # more where the paired differences vary most
    vg_epochs: int | None = None           # the sweep baselines' epoch cap (None: `epochs`); they stop early
    vg_patience: int = 1                   # ... after this many epochs without a validation-AUC gain
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

    def sweep_seeds(self, dataset: str) -> tuple[int, ...]:
        return tuple(self.vg_seeds.get(dataset, self.seeds))

    def replace(self, **changes) -> "Profile":
        known = {f.name for f in dataclasses.fields(self)}
        bad = sorted(set(changes) - known)
        if bad:
            raise DephnError(f"unknown profile field(s) {bad}; known: {sorted(known)}")
        for key in ("seeds", "headline_seeds", "tune_seeds"):
            if key in changes and changes[key] is not None:
                changes[key] = tuple(int(s) for s in changes[key])
        if changes.get("seeds") is not None and "vg_seeds" not in changes:
            changes["vg_seeds"] = {}         # seeds asked for by name replace the sweep's own too
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


SMALL_MODELS = {"embed_dim": 8, "dnn_hidden": (64, 32), "expert_hidden": (32, 16), "tower_hidden": (16,),
                "n_experts": 3, "cross_layers": 2, "fint_layers": 2, "cin_layers": (16, 16)}

PROFILES = {
    "smoke": Profile(
        name="smoke", rows=6_000, seeds=(0, 1), epochs=1, batch_size=512, lr=3e-3, sparse_lr=1e-2,
        vg=("add_sqrt/pearson", "mul_cos/cosine"),
        table1_models=("dnn", "mmoe", "mtphn"), table2_models=("dnn", "mmoe", "mtphn", "dephn"),
        balance=("upgrad", "uw"), lr_grid=(3e-3, 1e-2), model_options=SMALL_MODELS, real_rows=2_000,
        description="CI check: tiny data, 1 epoch, 2 seeds, 2 virtual-gradient settings, a 2-rate grid"),
    "cpu": Profile(
        name="cpu", rows=40_000, seeds=(0, 1, 2), epochs=2, batch_size=1024, lr=3e-3, sparse_lr=1e-2,
        headline_seeds=(0, 1, 2, 3, 4), headline_epochs=8, headline_rows=150_000, ablation_rows=40_000,
        lr_grid=(1e-3, 3e-3, 1e-2), tune_seeds=(0,),
        vg_epochs=8, vg_patience=2, vg_models=("mmoe",),
        vg_seeds={"criteo-r": tuple(range(12)), "criteo-ur": tuple(range(28))},   # dephn/study/power.py
        balance=("upgrad", "mgda", "pcgrad", "uw", "dwa", "gradnorm"),
        model_options=SMALL_MODELS, real_rows=15_000,
        description="laptop, under 45 minutes on 2 cores: the headline comparisons (Table I, TVG vs MG, MMoE vs "
                    "DEPHN) on 150k generated rows, 5 seeds, up to 8 epochs with early stopping (patience 2), every "
                    "configuration at the learning rate its grid (1e-3, 3e-3, 1e-2 on seed 0) chose; the ablations "
                    "5 seeds on 40k rows; Fig. 5: all 16 virtual-gradient settings on MMoE in both gate regimes, "
                    "12 seeds on Criteo-R and 28 on Criteo-UR (where the paired differences vary most), baselines "
                    "stopping early (up to 8 epochs, patience 2) and every arm scored at its baseline's epoch on "
                    "100k fresh rows; DEPHN's add_sqrt/pearson against plain on the headline seeds; the other sweeps "
                    "3 seeds x 2 epochs, 6 balancing methods (cpu-full runs the whole grid)"),
    "cpu-full": Profile(
        name="cpu-full", rows=200_000, seeds=(0, 1, 2, 3, 4), epochs=8, batch_size=1024, lr=3e-3, sparse_lr=1e-2,
        patience=2, headline_rows=200_000, lr_grid=(1e-3, 3e-3, 1e-2), tune_seeds=(0, 1),
        vg_models=("mmoe", "dephn"), model_options=SMALL_MODELS, real_rows=50_000,
        description="overnight on 2 cores: the whole grid at the headline quality: every data set of 200k "
                    "generated rows, 5 seeds, up to 8 epochs with early stopping (patience 2) for every run, all 16 "
                    "virtual-gradient settings on MMoE and DEPHN, every balancing method, the ablations on 200k "
                    "rows, the learning-rate grid on seeds 0 and 1"),
    "paper": Profile(
        name="paper", rows=45_000_000, seeds=(0, 1, 2, 3, 4), epochs=5, batch_size=8192,
        device="auto", table1_dataset="aliccp", model_options={}, real_rows=None,
        description="GPU, full data sets, the paper's scale, 5 seeds"),
}


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise DephnError(f"unknown profile {name!r}; expected one of {', '.join(PROFILES)}")
    return PROFILES[name]

"""The study's one list of runs: what each notebook asks for, as pure spec builders.

Each builder takes a `Study` and returns a `Request` (fixed runs and tuned configurations,
`request.py`) without training or writing anything. `TABLE` names the builder each notebook
calls; `dephn study --plan` and the pre-run read the same table, so the plan is what the
notebooks ask for. Adding a notebook that trains runs: its source, its entry here, its test.
"""
from __future__ import annotations

from ..virtual_gradient import VGSetting, parse_settings
from .context import Study
from .request import Paired, Request, Tuned

SETTINGS = ("D_pub,C&F_pub", "D_pri,C&F_pub", "D_pub,C&F_pri")   # MT-PHN expert settings (Table I)
PAPER_VG = VGSetting("add_sqrt", "pearson")                       # the paper's final choice
CONFIDENCE_DATASET = "criteo-ur"                                  # Fig. 6 / Fig. 7: the unrelated tasks
REGIME_NAMES = {"adam": "paper-faithful: Adam on the gates", "sgd": "can act: SGD on the gates"}
LINEAR_HEAD = "tvg (linear head)"      # the literal eq. 4 head: the only one with per-(k, p) contributions
FULL = "full DEPHN"
ABLATIONS = {                                   # label -> what it changes against full DEPHN
    "no SSG": {"model": {"ssg": False}},
    "no private experts": {"model": {"expert_setting": "D_pub"}},
    "raw mapping only": {"model": {"mappings": ("raw",)}},
    "MG gates": {"model": {"gate": "mg"}},
    "linear public head": {"model": {"public_tower": "linear"}},
    "sum of sigmoids": {"model": {"output": "sum_of_sigmoids"}},
    "no virtual gradient": {"vg": None},
    "small dense vectors": {"model": {"dense_init": "small"}},   # the input set-up, not DEPHN's own
}


def _model_spec(study: Study, model: str, dataset: str, seed: int, **kw):
    """A model as the comparisons run it: DEPHN with the paper's virtual gradient."""
    if model == "dephn":
        return study.spec(model, dataset, seed, vg=PAPER_VG, **kw)
    return study.spec(model, dataset, seed, **kw)


def _tuned(study: Study, makers: dict) -> Request:
    seeds = study.profile.seeds_for(headline=True)
    return Request(tuned=tuple(Tuned(name, make, seeds) for name, make in makers.items()))


# -- Table I / Table II ---------------------------------------------------------------------

def table1(study: Study) -> Request:
    """A headline comparison: MT-PHN's expert settings against the baselines, each tuned."""
    p, makers = study.profile, {}
    for model in p.table1_models:
        if model == "mtphn":
            for s in SETTINGS:
                makers[f"mtphn {s}"] = (lambda seed, train, s=s: study.spec(
                    "mtphn", p.table1_dataset, seed, label=s, expert_setting=s, headline=True, train=train,
                    save_model=(s == "D_pub,C&F_pri")))
        else:
            makers[model] = (lambda seed, train, m=model: _model_spec(   # MMoE's weights: Fig. 7 reads them
                study, m, p.table1_dataset, seed, headline=True, train=train, save_model=(m == "mmoe")))
    return _tuned(study, makers)


def table2(study: Study, datasets=("aliccp", "wechat")) -> Request:
    return Request(fixed=tuple(_model_spec(study, m, d, s) for d in datasets for m in study.profile.table2_models
                               for s in study.profile.seeds))


# -- Fig. 5: the virtual-gradient sweep ------------------------------------------------------------

def vg_settings(study: Study) -> list[VGSetting]:
    return [s for s in parse_settings(study.profile.vg) if s is not None]


def regime_options(study: Study, regime: str) -> dict:
    """Training options of a virtual-gradient regime: the gates' optimizer
    (docs/decisions.md#adam-and-a-constant-gradient-factor). Plain runs of the same regime use
    the same gate optimizer."""
    if regime == "adam":
        return {}
    if regime == "sgd":
        return {"gate_optimizer": "sgd", "gate_lr": study.profile.sgd_gate_lr}
    raise ValueError(f"unknown regime {regime!r}; known: {', '.join(REGIME_NAMES)}")


def vg_sweep(study: Study, datasets=("criteo-r", "criteo-ur"), models=("mmoe", "dephn"),
             regimes: tuple[str, ...] | None = None) -> Request:
    """Fig. 5: per regime, data set, seed and model, a pair: the model without the virtual
    gradient (it stops early on its own, at most `vg_epochs`) and each virtual-gradient setting
    trained to the epoch it chose (docs/decisions.md#pairs-scored-at-one-epoch); on the seeds of
    `Profile.sweep_seeds` for the models swept over every setting (`vg_models`), on the
    headline seeds for the others (the paper's setting only)."""
    p, pairs = study.profile, []
    for regime in regimes or p.vg_regimes:
        train = {**regime_options(study, regime), "epochs": p.vg_epochs or p.epochs, "patience": p.vg_patience}
        for d in datasets:
            for m in models:
                swept = m in p.vg_models       # the others: the paper's setting on the headline seeds
                settings = vg_settings(study) if swept else [PAPER_VG]
                for seed in (p.sweep_seeds(d) if swept else p.seeds_for(headline=True)):
                    pairs.append(Paired(study.spec(m, d, seed, train=train),
                                        tuple(study.spec(m, d, seed, vg=s, train=train) for s in settings)))
    return Request(paired=tuple(pairs))


# -- notebook 05: gating, Fig. 6 -------------------------------------------------------------------

def gating(study: Study, dataset=CONFIDENCE_DATASET) -> Request:
    """Fig. 6 / TVG vs MG: DEPHN with TVG and with MG gates (matched heads), and TVG with the
    literal linear public head, whose logit splits into one contribution per expert x mapping;
    each tuned."""
    def make(label, **options):
        return lambda seed, train: study.spec("dephn", dataset, seed, label=label, save_model=True, vg=PAPER_VG,
                                              headline=True, train=train, **options)
    return _tuned(study, {"tvg": make("tvg", gate="tvg"), "mg": make("mg", gate="mg"),
                          LINEAR_HEAD: make(LINEAR_HEAD, gate="tvg", public_tower="linear")})


# -- notebook 06: Fig. 7, confidence ---------------------------------------------------------------

def confidence(study: Study, dataset=CONFIDENCE_DATASET) -> Request:
    """The headline comparison MMoE vs DEPHN (Fig. 7): the same runs as Table I's MMoE and Fig. 6's
    TVG DEPHN, each tuned."""
    return _tuned(study, {
        "mmoe": lambda seed, train: study.spec("mmoe", dataset, seed, save_model=True, headline=True, train=train),
        "dephn": lambda seed, train: study.spec("dephn", dataset, seed, save_model=True, vg=PAPER_VG,
                                                headline=True, train=train)})


# -- notebook 09: the virtual gradient vs gradient balancing ---------------------------------------

def balancing(study: Study, datasets=("criteo-r", "criteo-ur"), models=("mmoe", "dephn")) -> Request:
    """Plain training, the virtual gradient (paper setting) in both regimes, and every balancing
    method of the profile, for each model, data set and seed (labels, from `RunSpec.table_label`:
    "none", "add_sqrt/pearson", "add_sqrt/pearson (sgd gates)", the method's name)."""
    specs = []
    for d in datasets:
        for seed in study.profile.seeds:
            for m in models:
                specs.append(study.spec(m, d, seed))
                specs += [study.spec(m, d, seed, vg=PAPER_VG, train=regime_options(study, regime))
                          for regime in study.profile.vg_regimes]
                specs += [study.spec(m, d, seed, train={"balance": method}) for method in study.profile.balance]
    return Request(fixed=tuple(specs))


# -- notebook 10: ablations of DEPHN ---------------------------------------------------------------

def ablations(study: Study, datasets=("criteo-r", "criteo-ur")) -> Request:
    """Full DEPHN (paper setting: TVG, raw + sin + cos, matched head, virtual gradient) and each
    ablation, one change each, on the same seeds, at the profile's rate (no variant is tuned: all
    get the same budget) and data size (`ablation_rows`)."""
    specs, rows = [], study.profile.ablation_rows
    for d in datasets:
        for seed in study.profile.seeds_for(headline=True):
            specs.append(study.spec("dephn", d, seed, label=FULL, vg=PAPER_VG, headline=True, rows=rows))
            for label, change in ABLATIONS.items():
                specs.append(study.spec("dephn", d, seed, label=label, vg=change.get("vg", PAPER_VG), headline=True,
                                        rows=rows, **change.get("model", {})))
    return Request(fixed=tuple(specs))


# notebook -> the builder it calls (notebooks 01, 03 and 08 train nothing of their own: 08 reads the
# others' runs)
TABLE = {
    "02_parallel_experts": table1,
    "04_virtual_gradient_sweep": vg_sweep,
    "05_gating": gating,
    "06_confidence": confidence,
    "07_real_data": table2,
    "09_balancing": balancing,
    "10_ablations": ablations,
}


def requests(study: Study, only=None) -> list[tuple[str, Request]]:
    """(notebook, request) of every entry, in notebook order; `only`: notebook name prefixes."""
    return [(nb, build(study)) for nb, build in TABLE.items()
            if not only or any(nb.startswith(o) for o in only)]

"""One run: a model trained on a data set with a seed, recorded in the results store."""
from __future__ import annotations

import hashlib
import json
import numbers
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import torch

from ..config import ModelConfig
from ..data.encoded import EncodedDataset
from ..errors import DephnError
from ..fileio import atomic_file
from ..models import MODELS, build_model, model_entry
from ..train.config import TrainConfig
from ..train.distributed import DistContext
from ..train.loop import FitResult, TrainingDiverged, fit
from ..train.seed import set_seed
from ..virtual_gradient import label as vg_label
from .provenance import code_version, machine, package_versions
from .recorder import Recorder
from .recording import RecordRun, vg_summary
from .store import ResultsStore


DATA_NOTES = ("skipped_lines", "skipped_examples", "split")    # what a run records of its data set's meta
WHERE_NOT_WHAT = frozenset({"cache_dir"})   # data options that say where files live, not what they hold


# ModelConfig fields added after runs were first stored -> the value that reproduces the
# behaviour from before (see RunSpec.identity)
LATER_MODEL_FIELDS = {"gate_norm": "none", "dense_init": "small"}
LATER_TRAIN_FIELDS = {"restore": "best"}


@dataclass(frozen=True)
class RunSpec:
    """Everything that defines a run except the data's content (its fingerprint joins the id).

    Its model and training configs are built from `model_options` / `train_options` once, when
    the spec is made (a bad option fails there), and read from the spec afterwards
    (`model_config()`, `train_config()`: the same objects every call, not to be changed). They
    are held outside the instance's `__dict__`, which keeps only the fields, and travel with it
    when it is pickled (worker processes, Ray tasks).
    """

    __slots__ = ("__dict__", "__weakref__", "_configs")   # _configs: (ModelConfig, TrainConfig)

    model: str                                         # registry name, e.g. "dephn"
    dataset: str                                       # dataset name, e.g. "criteo-ur"
    seed: int = 0
    data: str | None = None                            # source path (None: embedded default)
    model_options: dict = field(default_factory=dict)  # ModelConfig fields that differ from defaults
    train_options: dict = field(default_factory=dict)  # TrainConfig fields that differ from defaults
    data_options: dict = field(default_factory=dict)   # load_dataset keyword arguments (rows, ...)
    label: str = ""                                    # table label (default: the run's VG setting)
    save_model: bool = False                           # keep the trained weights with the artefacts

    def __post_init__(self):
        if isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral) or self.seed < 0:
            raise DephnError(f"seed must be an integer >= 0, got {self.seed!r}")
        object.__setattr__(self, "_configs", (ModelConfig.from_dict(self.model_options),
                                              TrainConfig.from_dict(self.train_options)))

    def __getstate__(self):
        return self.__dict__, self._configs

    def __setstate__(self, state):
        fields, configs = state
        self.__dict__.update(fields)
        object.__setattr__(self, "_configs", configs)

    def model_config(self) -> ModelConfig:
        return self._configs[0]

    def train_config(self) -> TrainConfig:
        return self._configs[1]

    def data_key(self) -> str:
        return json.dumps([self.dataset, self.data, self.data_options], sort_keys=True)

    @property
    def table_label(self) -> str:
        """What tables call this run: `label`, else its virtual-gradient setting and balancing
        method ("none" when neither is on; "add_sqrt/pearson", "upgrad", "add_sqrt/pearson+upgrad"),
        with " (sgd gates)" when the gates train with SGD. Derived from what the run id hashes, so
        two runs of one id never carry two labels."""
        if self.label:
            return self.label
        tc = self.train_config()
        parts = [p for p in (vg_label(tc.vg), tc.balance) if p != "none"]
        return ("+".join(parts) or "none") + ("" if tc.gate_optimizer == "adam" else f" ({tc.gate_optimizer} gates)")

    def check(self) -> None:
        """The virtual gradient only on models with gates, balancing only on multi-task models
        (every option was checked when the spec was made); before any data loads."""
        entry, tc = model_entry(self.model), self.train_config()     # an unknown model name fails here
        if tc.vg is not None and not entry.has_gates:
            raise DephnError(f"model {self.model!r} has no gates for the virtual gradient "
                             f"({tc.vg.label}); gated models: "
                             f"{', '.join(n for n, e in MODELS.items() if e.has_gates)}")
        mc = self.model_config()
        if "attn_heads" in entry.fields and mc.embed_dim % mc.attn_heads:
            raise DephnError(f"model {self.model!r}: embed_dim {mc.embed_dim} is not divisible by "
                             f"attn_heads {mc.attn_heads} (its field self-attention splits the embedding by head)")
        if tc.balance != "none" and not entry.multi_task:
            raise DephnError(f"model {self.model!r} trains one network per task: nothing shared to balance "
                             f"(balance={tc.balance!r})")

    def identity(self, data_fingerprint: str) -> dict:
        """What the run id hashes: everything that changes the run's result, defaults filled in —
        only the model-config fields this model reads, and no presentation-only setting. A field
        added after runs were stored (`LATER_MODEL_FIELDS`) is left out while it holds the value
        that reproduces the earlier behaviour, so those runs keep their ids."""
        mc = self.model_config().to_dict()
        tc = self.train_config().to_dict()
        tc.pop("quiet")
        tc = {k: v for k, v in tc.items() if k not in LATER_TRAIN_FIELDS or v != LATER_TRAIN_FIELDS[k]}
        data_options = {k: v for k, v in self.data_options.items() if k not in WHERE_NOT_WHAT}
        model_config = {k: mc[k] for k in model_entry(self.model).fields
                        if k not in LATER_MODEL_FIELDS or mc[k] != LATER_MODEL_FIELDS[k]}
        return {"model": self.model, "dataset": self.dataset, "seed": self.seed,
                "model_config": model_config, "train_config": tc,
                "data_options": data_options, "data_fingerprint": data_fingerprint}

    def run_id(self, data_fingerprint: str) -> str:
        blob = json.dumps(self.identity(data_fingerprint), sort_keys=True, default=list)
        return hashlib.blake2b(blob.encode(), digest_size=8).hexdigest()


def start_record(spec: RunSpec, data: EncodedDataset, model, world: int = 1) -> dict:
    """A run's record before it trains: what it is (config, seed, data, versions) and where."""
    return {
        "run_id": spec.run_id(data.fingerprint), "model": spec.model, "dataset": spec.dataset, "seed": spec.seed,
        "label": spec.table_label, "data": spec.data, "data_options": spec.data_options,
        "data_fingerprint": data.fingerprint, "tasks": list(data.schema.tasks),
        "model_options": spec.model_config().to_dict(), "train_options": spec.train_config().to_dict(),
        "code_version": code_version(), "packages": package_versions(), "machine": machine(),
        "world_size": world, "parameters": sum(p.numel() for p in model.parameters()),
        "data_meta": {k: data.meta[k] for k in DATA_NOTES if k in data.meta},
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def store_run(store: ResultsStore, spec: RunSpec, record: dict, recorder: Recorder, model) -> None:
    """Write a run's artefacts (recorder, the weights of a finished run that keeps them), then its
    record: last, so a record exists only once everything else is written."""
    art = store.artifacts(record["run_id"])
    try:
        recorder.save(art)
        if spec.save_model and record["status"] == "ok":
            with atomic_file(art / "model.pt") as tmp:
                torch.save(model.state_dict(), tmp)
    except OSError as e:                     # e.g. a full disk: the records already written stay
        raise DephnError(f"could not write the artefacts of run {record['run_id']} in {art}: "
                         f"{e.strerror or e}") from None
    store.put(record)


def result_fields(result: FitResult, recorder: Recorder, **timing) -> dict:
    """What a finished run adds to its record: metrics, best epoch, how it stopped, timings."""
    return dict(status="ok", device=result.device, precision=result.precision,
                metrics={"valid": result.valid, "test": result.test},
                best_epoch=result.best_epoch, epochs_run=result.epochs_run, steps=result.steps,
                stopped=result.stopped, vg_summary=vg_summary(recorder),
                timing={"train_seconds": result.train_seconds, "samples_per_s": result.samples_per_s, **timing})


def execute(spec: RunSpec, data: EncodedDataset, store: ResultsStore | None = None, *,
            dist_ctx: DistContext | None = None, desc: str | None = None) -> dict:
    """Train and evaluate; returns the run record (and writes it and its artefacts to `store`)."""
    ctx = dist_ctx or DistContext()
    tcfg = spec.train_config()
    generator = set_seed(spec.seed)
    model = build_model(spec.model, data.feature_spec, spec.model_config())
    record = start_record(spec, data, model, ctx.world)
    recorder = Recorder(tasks=tuple(data.schema.tasks))
    t0 = time.perf_counter()
    try:
        result: FitResult = fit(model, data, tcfg, generator=generator, dist_ctx=ctx,
                                desc=desc or f"{spec.model} s{spec.seed}", callbacks=[RecordRun(recorder)])
    except TrainingDiverged as e:
        record.update(status="diverged", error=str(e), metrics={})
        if store is not None and ctx.is_main:
            store_run(store, spec, record, recorder, model)
        raise
    record.update(result_fields(result, recorder, wall_seconds=time.perf_counter() - t0))
    if store is not None and ctx.is_main:
        store_run(store, spec, record, recorder, model)
    record["_result"] = result
    record["_recorder"] = recorder
    record["_model"] = model
    return record

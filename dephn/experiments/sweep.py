"""A grid of runs (models x virtual-gradient settings x data sets x seeds) that resumes.

Every finished run is in the results store; running the same sweep again skips those
(`force=True` reruns them). Killing a sweep loses at most the run in progress.
"""
from __future__ import annotations

import itertools
import sys
import time
from typing import Iterable, Sequence

import pandas as pd

from ..data.datasets import load_dataset
from ..models import model_entry
from ..train.loop import TrainingDiverged
from ..virtual_gradient import VGSetting
from .runs import RunSpec, execute
from .store import ResultsStore


def expand_grid(models: Sequence[str], datasets: Sequence[str], seeds: Sequence[int], *,
                vg: Sequence[VGSetting | None] = (None,), balance: Sequence[str] = ("none",),
                data: dict | None = None,
                model_options: dict | None = None, per_model_options: dict | None = None,
                train_options: dict | None = None, data_options: dict | None = None,
                save_model: Iterable[str] = ()) -> list[RunSpec]:
    """All combinations. `vg` items are None (off) or a `VGSetting`; models without gates
    only get None. `balance` items name gradient-balancing methods (`dephn.train.balance`);
    single-task models only get "none". `data` maps dataset name -> source path."""
    specs = []
    save_model = set(save_model)
    for model, dataset, setting, method, seed in itertools.product(models, datasets, vg, balance, seeds):
        if setting is not None and not model_entry(model).has_gates:
            continue
        if method != "none" and not model_entry(model).multi_task:
            continue
        opts = dict(model_options or {})
        opts.update((per_model_options or {}).get(model, {}))
        topts = dict(train_options or {})
        if setting is not None:
            topts["vg"] = setting.label
        if method != "none":
            topts["balance"] = method
        specs.append(RunSpec(model=model, dataset=dataset, seed=int(seed),
                             data=(data or {}).get(dataset), model_options=opts, train_options=topts,
                             data_options=dict(data_options or {}), save_model=model in save_model))
    return _dedupe(specs)


def _dedupe(specs):
    seen, out = set(), []
    for s in specs:
        key = (s.model, s.dataset, s.seed, s.data, repr(sorted(s.model_options.items())),
               repr(sorted(s.train_options.items())))
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def run_sweep(specs: Sequence[RunSpec], out_dir, *, force: bool = False, quiet: bool = False,
              load=None, log=None) -> pd.DataFrame:
    """Run every spec not already in the store under `out_dir`; return the store's frame
    restricted to these specs. `load(spec) -> EncodedDataset` defaults to `load_dataset`."""
    store = ResultsStore(out_dir)
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    cache: dict[str, object] = {}

    def data_for(spec):
        key = spec.data_key()
        if key not in cache:
            if load is None:
                cache[key] = load_dataset(spec.dataset, spec.data, **spec.data_options)
            else:
                cache[key] = load(spec)
        return cache[key]

    ids, labels, done, ran, failed = [], {}, 0, 0, 0
    t0 = time.perf_counter()
    for i, spec in enumerate(specs, 1):
        data = data_for(spec)
        rid = spec.run_id(data.fingerprint)
        ids.append(rid)
        labels[rid] = spec.table_label
        if store.has(rid) and not force and (not spec.save_model or store.has_model(rid)):
            done += 1
            continue
        if quiet:
            spec = RunSpec(**{**spec.__dict__, "train_options": {**spec.train_options, "quiet": True}})
        try:
            rec = execute(spec, data, store, desc=f"[{i}/{len(specs)}] {spec.model} {spec.table_label} s{spec.seed}")
            ran += 1
            aucs = " ".join(f"{t}={m['auc']:.4f}" for t, m in rec["metrics"]["test"].items())
            log(f"[{i}/{len(specs)}] {spec.dataset} {spec.model} {spec.table_label} seed={spec.seed}: "
                f"test auc {aucs} ({rec['timing']['wall_seconds']:.1f}s)")
        except TrainingDiverged as e:
            failed += 1
            log(f"[{i}/{len(specs)}] {spec.dataset} {spec.model} {spec.table_label} seed={spec.seed}: {e}")
    log(f"sweep: {ran} ran, {done} already done, {failed} diverged, {time.perf_counter() - t0:.1f}s")
    frame = store.frame()
    if frame.empty:
        return frame
    frame = frame[frame["run_id"].isin(ids)].reset_index(drop=True)
    # a run asked for by several items (the same configuration) is labelled as this query names it,
    # not as whichever item ran it first
    frame["label"] = frame["run_id"].map(labels)
    return frame


"""A grid of runs (models x virtual-gradient settings x data sets x seeds) that resumes: a run
with a record in the results store is skipped (`force=True` reruns it); each trains under its
lease (`claim`). `parallel.run_parallel` runs the same specs over worker processes or Ray.
"""
from __future__ import annotations

import dataclasses
import itertools
import sys
import time
from typing import Iterable, Sequence

import pandas as pd

from ..data.datasets import load_dataset
from ..models import model_entry
from ..virtual_gradient import VGSetting
from .claim import run_claimed
from .runs import RunSpec
from .store import ResultsStore


def expand_grid(models: Sequence[str], datasets: Sequence[str], seeds: Sequence[int], *,
                vg: Sequence[VGSetting | None] = (None,), balance: Sequence[str] = ("none",),
                data: dict | None = None,
                model_options: dict | None = None, per_model_options: dict | None = None,
                train_options: dict | None = None, data_options: dict | None = None,
                save_model: Iterable[str] = ()) -> list[RunSpec]:
    """All combinations; `vg` (None or a `VGSetting`) only for models with gates, `balance` (a
    `dephn.train.balance` method) only for multi-task ones. `data`: dataset name -> source path."""
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
              load=None, log=None, poll: float = 2.0) -> pd.DataFrame:
    """Run every spec not in the store under `out_dir`, one after the other in this process
    (waiting for one another worker holds the lease of); return the store's frame of these specs.
    `load(spec) -> EncodedDataset` defaults to `load_dataset`."""
    store = ResultsStore(out_dir)
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    load = load or (lambda spec: load_dataset(spec.dataset, spec.data, **spec.data_options))
    cache: dict[str, object] = {}

    def data_for(spec):
        if spec.data_key() not in cache:
            cache[spec.data_key()] = load(spec)
        return cache[spec.data_key()]

    ids, labels, counts = [], {}, {"ran": 0, "done": 0, "diverged": 0}
    t0 = time.perf_counter()
    for i, spec in enumerate(specs, 1):
        if quiet:
            spec = quieted(spec)
        tag = f"[{i}/{len(specs)}] {spec.dataset} {spec.model} {spec.table_label} seed={spec.seed}"
        out = run_claimed(spec, data_for(spec), store, force=force,
                          desc=f"[{i}/{len(specs)}] {spec.model} {spec.table_label} s{spec.seed}")
        if out.status == "busy":
            log(f"{tag}: another worker trains it; waiting")
        while out.status == "busy":
            time.sleep(poll)
            out = run_claimed(spec, data_for(spec), store, force=False)
        ids.append(out.run_id)
        labels[out.run_id] = spec.table_label
        counts[out.status] += 1
        if out.status != "done":
            log(f"{tag}: {out.summary} ({out.seconds:.1f}s)")
    log(f"sweep: {counts['ran']} ran, {counts['done']} already done, {counts['diverged']} diverged, "
        f"{time.perf_counter() - t0:.1f}s")
    return sweep_frame(store, ids, labels)


def quieted(spec: RunSpec) -> RunSpec:
    """The spec without progress bars (`quiet` is not part of the run id)."""
    return dataclasses.replace(spec, train_options={**spec.train_options, "quiet": True})


def sweep_frame(store: ResultsStore, ids: Sequence[str], labels: dict[str, str]) -> pd.DataFrame:
    """The store's records of `ids` (in their order, each once), labelled as this sweep names them."""
    frame = store.frame()
    if frame.empty:
        return frame
    order = {run_id: i for i, run_id in enumerate(dict.fromkeys(ids))}
    frame = frame[frame["run_id"].isin(order)]
    frame = frame.iloc[frame["run_id"].map(order).argsort()].reset_index(drop=True)
    # a run asked for by several items (the same configuration) is labelled as this query names it,
    # not as whichever item ran it first
    frame["label"] = frame["run_id"].map(labels)
    return frame

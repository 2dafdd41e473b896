"""Every run a study's notebooks ask for, trained over worker processes before they execute.

`dephn study --workers N` calls `prerun` first: it merges the requests of the study's table
(`table.TABLE`, what the notebooks call) and resolves them with the notebooks' own runner
(`request.resolve`), handing each stage's new runs to `run` (e.g. `run_parallel`): the fixed
runs and every learning-rate grid, then the tuned configurations' runs at their chosen rates.
The notebooks then find every run in the store and train only what is still missing.
"""
from __future__ import annotations

import sys
from typing import Callable, Sequence

from ..experiments.runs import RunSpec
from .context import Study
from .request import Request, resolve, run_key as _key
from .table import requests


def unique(specs: Sequence[RunSpec]) -> list[RunSpec]:
    """Each run once (by what its id hashes), keeping its weights if any listing asks for them."""
    out: dict[str, RunSpec] = {}
    for spec in specs:
        if _new(spec, out):
            out[_key(spec)] = spec
    return list(out.values())


def _new(spec: RunSpec, seen: dict[str, RunSpec]) -> bool:
    """Not in `seen`, or there without the weights this spec keeps."""
    had = seen.get(_key(spec))
    return had is None or (spec.save_model and not had.save_model)


def prerun(study: Study, run: Callable[[list[RunSpec]], object], *, only: Sequence[str] | None = None,
           log=None) -> int:
    """Resolve the table's requests (of the notebooks whose names start with one of `only`) with
    `run` training each stage's new runs; returns the number of runs handed to `run`."""
    log = log or (lambda m: print(m, file=sys.stderr, flush=True))
    merged = sum((r for _, r in requests(study, only)), Request())
    submitted: dict[str, RunSpec] = {}
    handed = 0
    stage = iter(("fixed runs and learning-rate grids", "runs at the chosen rates"))

    def new_runs(specs):
        nonlocal handed
        new = [s for s in unique(specs) if _new(s, submitted)]
        if new:
            study.prepare(s.dataset for s in new)
            log(f"pre-run, {next(stage, 'more runs')}: {len(new)} runs")
            run(new)
            submitted.update((_key(s), s) for s in new)
            handed += len(new)

    resolve(merged, study.profile, new_runs, read=study.read)
    return handed

"""Every run a study's notebooks ask for, trained over worker processes before they execute.

`dephn study --workers N` calls `prerun` first: it lists the runs of the plan's items
(`plan.ITEMS`, the notebooks' own lists) and hands them to `run` (e.g. `run_parallel`). Some
items only know their runs after others have trained (a learning rate chosen on a tuning grid:
while planning, such an item lists its grid and marks its final runs `tuning.LR_PENDING`), so
it plans again, runs what is new, and repeats until a plan lists nothing new (at most
`MAX_ROUNDS` rounds). The notebooks then find every run in the store and train only what is
still missing, in their own process.
"""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from typing import Callable, Sequence

from ..experiments.runs import RunSpec
from .context import STANDINS, Study
from .plan import ITEMS
from .tuning import GRID_TAG, LR_PENDING

MAX_ROUNDS = 4


def plan_specs(study: Study, only: Sequence[str] | None = None) -> list[RunSpec]:
    """The runs the plan's items list (of the notebooks whose names start with one of `only`),
    each once, without those whose settings are still pending (a tuning grid's runs without the
    plan's tag); a run listed twice keeps its weights if either listing asks for them."""
    out: dict[str, RunSpec] = {}
    for notebook, make in ITEMS:
        if only and not any(notebook.startswith(o) for o in only):
            continue
        for spec in make(study):
            if LR_PENDING in spec.label:
                continue
            if spec.label.endswith(f" [{GRID_TAG}]"):      # the plan's tag: recorded as the notebooks name it
                spec = replace(spec, label=spec.label[: -len(GRID_TAG) - 3])
            key = json.dumps(spec.identity(""), sort_keys=True, default=list)
            if key not in out or (spec.save_model and not out[key].save_model):
                out[key] = spec
    return list(out.values())


def prerun(open_study: Callable[[bool], Study], run: Callable[[list[RunSpec]], object], *,
           only: Sequence[str] | None = None, log=None) -> int:
    """Plan, run what is new, repeat; returns the number of runs handed to `run`.
    `open_study(materialize)` opens the study as its notebooks do; the first plan is made
    without training anything (`Study.materialize` False), later ones with the store filled."""
    log = log or (lambda m: print(m, file=sys.stderr, flush=True))
    submitted: set[str] = set()
    for round_ in range(1, MAX_ROUNDS + 1):
        study = open_study(round_ > 1)
        specs = plan_specs(study, only)
        if round_ == 1:
            _write_standins(open_study(True), specs)
        new = [s for s in specs if _key(s) not in submitted]
        if not new:
            return len(submitted)
        log(f"pre-run, round {round_}: {len(new)} runs")
        run(new)
        submitted.update(_key(s) for s in new)
    log(f"pre-run: the plan still changed after {MAX_ROUNDS} rounds; the notebooks run the rest")
    return len(submitted)


def _key(spec: RunSpec) -> str:
    return json.dumps([spec.identity(""), spec.save_model], sort_keys=True, default=list)


def _write_standins(study: Study, specs: list[RunSpec]) -> None:
    """The generated stand-in files the runs read (a plan only names them)."""
    for name in sorted({s.dataset for s in specs} & set(STANDINS)):
        study.source(name)

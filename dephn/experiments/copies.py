"""Many runs as one, in the results store: `execute_copies` trains RunSpecs that differ only by
seed (and virtual-gradient setting) together (`dephn.train.multicopy.fit_copies`) and writes each
one's record and artefacts as `execute` would write its separate run.

Differences from `execute`'s records: `timing` holds the vectorised training time of all copies
(and `copies`, their number), and `vg_summary` has no update-probe keys (a vectorised step does
not run the probe's second backward). A copy that diverged gets its "diverged" record.
"""
from __future__ import annotations

import time
from typing import Sequence

from ..data.encoded import EncodedDataset
from ..errors import DephnError
from ..models import build_model
from ..train.loop import FitResult
from ..train.multicopy import fit_copies
from ..train.seed import set_seed
from .recorder import Recorder
from .recording import RecordRun
from .runs import RunSpec, result_fields, start_record, store_run
from .store import ResultsStore


def _shared(spec: RunSpec) -> tuple:
    """What every spec of one vectorised group must share: all but the seed and `vg`."""
    train = {k: v for k, v in spec.train_config().to_dict().items() if k not in ("vg", "quiet")}
    return (spec.model, spec.dataset, spec.data, sorted(spec.model_config().to_dict().items()),
            sorted(train.items()), repr(sorted(spec.data_options.items())), spec.save_model)


def check_group(specs: Sequence[RunSpec]) -> None:
    if not specs:
        raise DephnError("execute_copies needs at least one run")
    for spec in specs:
        spec.check()
    if any(_shared(s) != _shared(specs[0]) for s in specs[1:]):
        raise DephnError("execute_copies trains runs that differ only by seed and virtual-gradient "
                         "setting; these differ in more")


def execute_copies(specs: Sequence[RunSpec], data: EncodedDataset, store: ResultsStore | None = None, *,
                   desc: str | None = None) -> list[dict]:
    """Train the runs together; returns (and writes to `store`) each run's record, in order."""
    check_group(specs)
    tcfgs = [s.train_config() for s in specs]
    models, generators = [], []
    for spec in specs:
        generators.append(set_seed(spec.seed))
        models.append(build_model(spec.model, data.feature_spec, spec.model_config()))
    recorders = [Recorder(tasks=tuple(data.schema.tasks)) for _ in specs]
    records = [start_record(spec, data, model) for spec, model in zip(specs, models)]
    t0 = time.perf_counter()
    results = fit_copies(models, data, tcfgs[0], generators=generators, vg=[t.vg for t in tcfgs],
                         desc=desc or f"{specs[0].model} x{len(specs)}",
                         callbacks=[[RecordRun(r)] for r in recorders])
    wall = time.perf_counter() - t0
    for spec, model, record, recorder, result in zip(specs, models, records, recorders, results):
        if not isinstance(result, FitResult):
            record.update(status="diverged", error=str(result), metrics={})
        else:
            record.update(result_fields(result, recorder, wall_seconds=wall, copies=len(specs)))
        if store is not None:
            store_run(store, spec, record, recorder, model)
        record["_result"], record["_recorder"], record["_model"] = result, recorder, model
    return records


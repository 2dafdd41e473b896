"""Our models, trained exactly as `dephn train` trains them: `dephn.train.fit`.

`fit` times each epoch's optimisation (evaluation excluded) and restores the epoch with the
best mean validation AUC before measuring test AUC; the peer adapters apply the same rule.
"""
from __future__ import annotations

import numpy as np

from dephn import __version__
from dephn.data.encoded import EncodedDataset
from dephn.models import build_model
from dephn.train.loop import fit
from dephn.train.seed import set_seed

from .flops import training_step_gflop
from .measure import EpochTime, Measurement, auc_by_task, peak_gpu_mib
from .plan import BenchConfig, Entry, model_config


def cumulative_to_epochs(cumulative: list[float], rows: int, batch_size: int) -> list[EpochTime]:
    """fit records the running total of training seconds per epoch; return each epoch's own."""
    steps = -(-rows // batch_size)
    own = np.diff([0.0, *cumulative])
    return [EpochTime(i + 1, float(s), rows, steps) for i, s in enumerate(own)]


def train_ours(entry: Entry, data: EncodedDataset, cfg: BenchConfig) -> Measurement:
    generator = set_seed(cfg.seed)
    model = build_model(entry.model, data.feature_spec, model_config(entry))
    tcfg = cfg.train_config(entry.vg)
    gflop = training_step_gflop(model, data.train, data.feature_spec.tasks, tcfg.batch_size, vg=entry.vg)
    notes = ["dephn.train.fit: Adam (dense) + RowAdam (SparseAdam's rule; fused embedding table), lr "
             f"{tcfg.lr:g}; data resident on the device"]
    result = fit(model, data, tcfg, generator=generator, desc=entry.name)
    rows = result.history
    epochs = cumulative_to_epochs([r["seconds"] for r in rows], len(data.train), tcfg.batch_size)
    return Measurement(
        name=entry.name, kind="ours", library=f"dephn {__version__}", epochs=epochs,
        test_auc=auc_by_task(result.test), valid_auc=auc_by_task(result.valid),
        selected_epoch=result.best_epoch, device=result.device, precision=result.precision,
        parameters=sum(p.numel() for p in model.parameters()), peak_gpu_mib=peak_gpu_mib(result.device),
        gflop_per_step=gflop, notes=notes,
    )

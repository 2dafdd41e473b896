"""The callbacks that record what the study reads from a training run, into a `Recorder`.

- losses per task every `log_every` steps (and at each epoch's end),
- virtual-gradient coefficients at the same steps (averaged over the batch), their spread over
  every entry and sample, and the update probe (how much the coefficient changed the gate
  parameters' gradient and update: `dephn.train.probe`),
- per epoch: the validation row and the gate values read on a fixed probe batch,
- at the end (best weights restored): the SSG vectors.
"""
from __future__ import annotations

import numpy as np
import torch

from ..train.batches import Batch, BatchSource
from ..train.callbacks import Callback, TrainState
from ..train.device import autocast
from .recorder import Recorder

PROBE_ROWS = 4096                           # rows of the validation split on which gates are read
PROBED = ("gates/", "ssg/", "snr/")         # intermediates recorded each epoch
FINAL = ("ssg/",)                           # intermediates recorded once, after training


def batch_mean(v: torch.Tensor, rows: int) -> np.ndarray:
    """A per-sample tensor (rows, ...) averaged over the batch; global ones as they are."""
    a = v.detach().float()
    if a.ndim >= 2 and a.shape[0] == rows:
        a = a.mean(0)
    return a.cpu().numpy()


class RecordRun(Callback):
    """Fills `recorder` while `fit` trains."""

    def __init__(self, recorder: Recorder, probe_rows: int = PROBE_ROWS):
        self.recorder, self.probe_rows = recorder, probe_rows
        self.probe: Batch | None = None

    def on_train_start(self, state: TrainState) -> None:
        split = state.data.valid if len(state.data.valid) else state.data.train
        self.probe = BatchSource(split.head(self.probe_rows), state.device).whole()

    def on_log(self, state: TrainState, losses: dict[str, float]) -> None:
        self.recorder.log_step(state.step, state.epoch, float(sum(losses.values())), losses)
        balancer = state.balancer
        if balancer is not None and balancer.name != "none":
            self.recorder.balance.append({"step": state.step, **dict(zip(state.tasks, balancer.weights.tolist()))})
        policy = state.policy
        if policy is not None and policy.coef:
            self.recorder.log_vg(state.step, {k: batch_mean(v, policy.rows) for k, v in policy.coef.items()})
            every = torch.cat([c.detach().float().flatten() for c in policy.coef.values()])
            self.recorder.vg_stats.append({
                "step": state.step, "coef_mean": float(every.mean()), "coef_std": float(every.std(unbiased=False)),
                "coef_min": float(every.min()), "coef_max": float(every.max()),
                **({k: float(v) for k, v in policy.probe.items()} if policy.probe_step == state.step else {})})

    def on_epoch_end(self, state: TrainState, row: dict) -> None:
        self.recorder.log_epoch(row, self._read(state, PROBED))

    def on_train_end(self, state: TrainState) -> None:
        self.recorder.final.update(self._read(state, FINAL))

    @torch.no_grad()
    def _read(self, state: TrainState, prefixes: tuple[str, ...]) -> dict[str, np.ndarray]:
        model = state.model
        was = model.training
        model.eval()
        with autocast(state.device, state.precision):
            out = model(self.probe.sparse, self.probe.dense)
        model.train(was)
        return {k: batch_mean(v, len(self.probe)) for k, v in out.intermediates.items()
                if k.startswith(prefixes)}


def vg_summary(recorder: Recorder) -> dict:
    """What a run's record says of its virtual gradient: the coefficient over all recorded steps
    (mean of the per-step means, spread between and within steps, extremes) and the probe (median
    and largest relative change of the gate parameters' gradient and update)."""
    rows = recorder.vg_stats
    if not rows:
        return {}
    means = np.array([r["coef_mean"] for r in rows])
    out = {"recorded_steps": len(rows), "coef_mean": float(means.mean()),
           "coef_std_over_steps": float(means.std()),
           "coef_std_within_step": float(np.mean([r["coef_std"] for r in rows])),
           "coef_min": float(min(r["coef_min"] for r in rows)), "coef_max": float(max(r["coef_max"] for r in rows))}
    for key in ("grad_rel_change", "update_rel_change"):
        vals = np.array([r[key] for r in rows if key in r])
        if len(vals):
            out[f"{key}_median"], out[f"{key}_max"] = float(np.median(vals)), float(vals.max())
    return out

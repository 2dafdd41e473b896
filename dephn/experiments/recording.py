"""The callbacks that record what the study reads from a training run, into a `Recorder`.

- losses per task every `log_every` steps (and at each epoch's end),
- virtual-gradient coefficients at the same steps (averaged over the batch),
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
        policy = state.policy
        if policy is not None:
            self.recorder.log_vg(state.step, {k: batch_mean(v, policy.rows) for k, v in policy.coef.items()})

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

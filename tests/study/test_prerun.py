"""The study's pre-run: the table's requests in two stages over a runner, each run once."""
from __future__ import annotations

import pandas as pd

from dephn.experiments.runs import RunSpec
from dephn.study import prerun as prerun_module
from dephn.study.prerun import prerun, unique
from dephn.study.request import Request, Tuned


def spec(seed, lr=0.001, **kw):
    return RunSpec("mmoe", "criteo-ur", seed=seed, train_options={"lr": lr}, **kw)


class FakeStudy:
    """A study whose store holds whatever `run` was handed; rate 0.01 validates best."""

    def __init__(self, profile):
        self.profile = profile
        self.prepared: list[str] = []

    def prepare(self, datasets):
        self.prepared += list(datasets)

    @staticmethod
    def read(specs):
        return pd.DataFrame([{"run_id": str(i), "status": "ok", "seed": s.seed, "lr": s.train_options["lr"],
                              "valid/t/auc": 0.5 + s.train_options["lr"]} for i, s in enumerate(specs)])


def test_prerun_runs_the_grid_and_fixed_runs_then_the_chosen_rate_each_once(monkeypatch):
    from dephn.study import get_profile
    profile = get_profile("smoke").replace(lr_grid=(0.001, 0.01), tune_seeds=(0,), lr=0.001, sparse_lr=0.001)

    def make(seed, train, save=False):
        return spec(seed, lr=train.get("lr", 0.001), save_model=save, label="mmoe")

    requests = [("02_a", Request(fixed=(spec(9),), tuned=(Tuned("mmoe", make, (0, 5)),))),
                ("05_b", Request(fixed=(spec(9), spec(9, save_model=True)),
                                 tuned=(Tuned("mmoe", lambda s, t: make(s, t, save=True), (0,)),)))]
    monkeypatch.setattr(prerun_module, "requests", lambda study, only: requests)
    calls = []
    total = prerun(FakeStudy(profile), calls.append, log=lambda m: None)
    first, second = calls
    # stage 1: seed 9 once, the grid of both configurations once (the same runs); each with the
    # weights one of its listings keeps
    assert sorted((s.seed, s.train_options["lr"], s.save_model) for s in first) == [
        (0, 0.001, True), (0, 0.01, True), (9, 0.001, True)]
    # stage 2: only what is new: seed 5 at the chosen rate (seed 0 at 0.01 is a grid run)
    assert [(s.seed, s.train_options["lr"]) for s in second] == [(5, 0.01)]
    assert total == 4


def test_unique_keeps_each_run_once_with_its_weights():
    both = unique([spec(0), spec(0, label="other name"), spec(0, save_model=True), spec(1)])
    assert len(both) == 2 and both[0].save_model

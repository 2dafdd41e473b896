"""A request's two stages: the grid and the fixed runs, then the tuned runs at the chosen rate."""
from __future__ import annotations

import pandas as pd
import pytest

from dephn.experiments.runs import RunSpec
from dephn.study import get_profile
from dephn.study.request import GRID_TAG, LR_PENDING, Request, Tuned, choose, grid_table, lr_options, resolve

PROFILE = get_profile("smoke").replace(lr_grid=(1e-3, 1e-2), tune_seeds=(0,), lr=1e-3, sparse_lr=3e-3)


def grid_frame(aucs: dict[float, list[tuple[float, float]]]) -> pd.DataFrame:
    rows = []
    for lr, per_seed in aucs.items():
        for seed, (a1, a2) in enumerate(per_seed):
            rows.append({"run_id": f"{lr}-{seed}", "status": "ok", "seed": seed, "lr": lr,
                         "valid/task1/auc": a1, "valid/task2/auc": a2, "test/task1/auc": 0.5})
    return pd.DataFrame(rows)


def test_choice_is_the_best_mean_validation_auc_over_tasks_and_seeds():
    frame = grid_frame({1e-3: [(0.80, 0.70), (0.80, 0.70)],      # mean 0.75
                        3e-3: [(0.90, 0.60), (0.70, 0.82)],      # mean 0.755: best only on the mean
                        1e-2: [(0.95, 0.50), (0.60, 0.50)]})     # best task-1 AUC once, worse mean
    lr, table = choose(frame)
    assert lr == 3e-3
    assert table.set_index("lr").loc[3e-3, "valid AUC"] == pytest.approx(0.755)
    assert table["chosen"].tolist() == [False, True, False] and table["seeds"].tolist() == [2, 2, 2]
    assert not table["at grid edge"].any()                       # chosen inside the grid


def test_a_choice_at_the_end_of_the_grid_is_flagged():
    _, table = choose(grid_frame({1e-3: [(0.7, 0.7)], 3e-3: [(0.8, 0.8)], 1e-2: [(0.9, 0.9)]}))
    assert table["at grid edge"].tolist() == [False, False, True]


def test_a_tie_goes_to_the_smaller_rate_and_diverged_runs_do_not_count():
    frame = grid_frame({1e-3: [(0.8, 0.7)], 1e-2: [(0.8, 0.7)], 3e-2: [(0.99, 0.99)]})
    frame.loc[frame["lr"] == 3e-2, "status"] = "diverged"
    assert choose(frame)[0] == 1e-3
    with pytest.raises(ValueError, match="no finished tuning run"):
        choose(frame[frame["lr"] == 3e-2])


def test_the_embedding_rate_keeps_its_ratio_to_the_dense_rate():
    assert lr_options(PROFILE, 3e-3) == {"lr": pytest.approx(3e-3), "sparse_lr": pytest.approx(9e-3)}


def make(seed, train, label="mmoe"):
    return RunSpec("mmoe", "criteo-ur", seed=seed, label=label, train_options={"lr": 1e-3, **train})


class FakeStore:
    """A runner that records what it is asked to train and answers with a frame in which the
    rate 1e-2 has the better validation AUC."""

    def __init__(self):
        self.calls: list[list[RunSpec]] = []

    def __call__(self, specs):
        self.calls.append(list(specs))
        return self.read(specs)

    @staticmethod
    def read(specs):
        return pd.DataFrame([{"run_id": str(i), "status": "ok", "seed": s.seed, "label": s.label,
                              "lr": s.train_options["lr"], "valid/t/auc": 0.6 + s.train_options["lr"]}
                             for i, s in enumerate(specs)])


def test_resolve_trains_the_grid_and_fixed_runs_then_the_chosen_rate():
    fixed = make(7, {}, label="fixed")
    request = Request(fixed=(fixed,), tuned=(Tuned("mmoe", make, (0, 1)),))
    store = FakeStore()
    frame = resolve(request, PROFILE, store, store.read)
    first, second = store.calls
    assert first[0] == fixed and sorted(s.train_options["lr"] for s in first[1:]) == [1e-3, 1e-2]
    assert [s.seed for s in first[1:]] == [0, 0]                       # the tuning seed only
    assert second == [fixed, make(0, lr_options(PROFILE, 1e-2)), make(1, lr_options(PROFILE, 1e-2))]
    assert list(frame["seed"]) == [7, 0, 1]                            # the grid is not in the result


def test_resolve_without_tuned_configurations_is_one_call():
    store = FakeStore()
    resolve(Request(fixed=(make(0, {}),)), PROFILE, store)
    assert len(store.calls) == 1


def test_without_a_grid_the_profile_rate_is_used_untuned():
    untuned = PROFILE.replace(lr_grid=())
    request = Request(tuned=(Tuned("mmoe", make, (0, 1)),))
    store = FakeStore()
    resolve(request, untuned, store)
    assert store.calls[-1] == [make(0, {}), make(1, {})]
    assert request.planned(untuned) == [make(0, {}), make(1, {})]
    assert grid_table(request, untuned, store.read).empty


def test_configurations_of_one_name_in_two_requests_keep_their_own_rates():
    a = Request(tuned=(Tuned("mmoe", make, (0,)),))
    b = Request(tuned=(Tuned("mmoe", lambda seed, train: make(seed, train, label="other"), (0,)),))
    store = FakeStore()
    resolve(a + b, PROFILE, store, store.read)
    assert [s.label for s in store.calls[-1]] == ["mmoe", "other"]


def test_the_plan_lists_the_grid_then_the_pending_runs_at_the_profile_rate():
    request = Request(fixed=(make(9, {}, label="fixed"),), tuned=(Tuned("mmoe", make, (0, 1)),))
    labels = [s.label for s in request.planned(PROFILE)]
    assert labels == ["fixed", f"mmoe [{GRID_TAG}]", f"mmoe [{GRID_TAG}]", f"mmoe [{LR_PENDING}]",
                      f"mmoe [{LR_PENDING}]"]
    pending = request.planned(PROFILE)[-2:]
    assert [s.train_options["lr"] for s in pending] == [1e-3, 1e-3]


def test_grid_table_marks_the_chosen_rate_per_configuration():
    request = Request(tuned=(Tuned("a", make, (0,)), Tuned("b", make, (0,))))
    table = grid_table(request, PROFILE, FakeStore.read)
    assert list(table["configuration"]) == ["a", "a", "b", "b"]
    assert table.loc[table["chosen"], "lr"].tolist() == [1e-2, 1e-2]

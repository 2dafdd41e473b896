"""One tuning budget: the learning-rate grid, the choice on validation AUC, and the plan's view."""
from __future__ import annotations

import pandas as pd
import pytest

from dephn.study import items, tuning
from dephn.study.context import Study


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
    lr, table = tuning.choose(frame)
    assert lr == 3e-3
    assert table.set_index("lr").loc[3e-3, "valid AUC"] == pytest.approx(0.755)
    assert table["chosen"].tolist() == [False, True, False] and table["seeds"].tolist() == [2, 2, 2]
    assert not table["at grid edge"].any()                       # chosen inside the grid


def test_a_choice_at_the_end_of_the_grid_is_flagged():
    _, table = tuning.choose(grid_frame({1e-3: [(0.7, 0.7)], 3e-3: [(0.8, 0.8)], 1e-2: [(0.9, 0.9)]}))
    assert table["at grid edge"].tolist() == [False, False, True]


def test_a_tie_goes_to_the_smaller_rate_and_diverged_runs_do_not_count():
    frame = grid_frame({1e-3: [(0.8, 0.7)], 1e-2: [(0.8, 0.7)], 3e-2: [(0.99, 0.99)]})
    frame.loc[frame["lr"] == 3e-2, "status"] = "diverged"
    assert tuning.choose(frame)[0] == 1e-3
    with pytest.raises(ValueError, match="no finished tuning run"):
        tuning.choose(frame[frame["lr"] == 3e-2])


def test_the_embedding_rate_keeps_its_ratio_to_the_dense_rate(tmp_path):
    study = Study.open("smoke", tmp_path)
    p = study.profile
    assert tuning.lr_options(study, p.lr * 3) == {"lr": pytest.approx(p.lr * 3), "sparse_lr": pytest.approx(p.sparse_lr * 3)}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return Study.open("smoke", tmp_path_factory.mktemp("tuning"), rows=3000, seeds=(0, 1), headline_seeds=(0, 1),
                      lr_grid=(1e-3, 3e-2), tune_seeds=(0,), table1_models=("dnn", "mmoe"))


def test_every_configuration_trains_the_same_grid_and_runs_its_seeds_at_the_chosen_rate(small):
    make = items.table1_makers(small)["mmoe"]
    specs = tuning.tuned(small, make)
    grid = small.run(tuning.grid_specs(small, make))
    assert sorted(grid["lr"]) == [1e-3, 3e-2] and set(grid["seed"]) == {0}
    best = grid.loc[grid[[c for c in grid if c.startswith("valid/") and c.endswith("/auc")]].mean(axis=1).idxmax(), "lr"]
    assert [s.train_config().lr for s in specs] == [best, best] and [s.seed for s in specs] == [0, 1]
    before = len(small.store.records())
    small.run(specs[:1])                      # the tuning seed at the chosen rate is the grid's own run
    assert len(small.store.records()) == before
    table = tuning.grid_table(small, {"mmoe": make})
    assert table["chosen"].sum() == 1 and table.loc[table["chosen"], "lr"].item() == best


def test_planning_lists_the_grid_and_marks_the_pending_runs_without_training(tmp_path):
    study = Study.open("smoke", tmp_path / "plan", materialize=False, lr_grid=(1e-3, 3e-2), tune_seeds=(0,))
    specs = tuning.tuned(study, items.table1_makers(study)["dnn"])
    grid = [s for s in specs if s.label.endswith(f"[{tuning.GRID_TAG}]")]
    pending = [s for s in specs if s.label.endswith(f"[{tuning.LR_PENDING}]")]
    assert sorted(s.train_config().lr for s in grid) == [1e-3, 3e-2]
    assert [s.seed for s in pending] == list(study.profile.seeds_for(headline=True))
    assert not (tmp_path / "plan").exists()


def test_without_a_grid_the_profile_rate_is_used_untuned(tmp_path):
    study = Study.open("smoke", tmp_path, lr_grid=())
    specs = tuning.tuned(study, items.table1_makers(study)["dnn"])
    assert {s.train_config().lr for s in specs} == {study.profile.lr}
    assert tuning.grid_table(study, items.table1_makers(study)).empty

"""The study's table on the smoke profile: what each notebook asks for, built without training."""
from __future__ import annotations

import re

import pytest

from dephn.study import Study, table
from dephn.study.plan import plan
from dephn.study.request import GRID_TAG, LR_PENDING
from tests.conftest import REPO


@pytest.fixture()
def study(tmp_path):
    return Study.open("smoke", tmp_path / "out")


def test_building_every_request_trains_and_writes_nothing(study, tmp_path):
    for _, request in table.requests(study):
        request.planned(study.profile)
    assert not (tmp_path / "out").exists()


def test_every_notebook_that_trains_calls_its_table_entry_and_only_table_builders():
    sources = {p.stem: p.read_text() for p in (REPO / "notebooks" / "src").glob("[0-9][0-9]_*.py")}
    for notebook, build in table.TABLE.items():
        assert f"table.{build.__name__}(" in sources[notebook], notebook
    for notebook, text in sources.items():
        for call in re.findall(r"study\.run\(([^\n]*)\)", text):
            names = set(re.findall(r"table\.(\w+)\(", call))
            assert names and names <= {b.__name__ for b in table.TABLE.values()}, (notebook, call)


def test_table1_tunes_every_configuration_on_the_same_grid(study):
    p = study.profile
    request = table.table1(study)
    names = [t.name for t in request.tuned]
    assert names == ["dnn", "mmoe", "mtphn D_pub,C&F_pub", "mtphn D_pri,C&F_pub", "mtphn D_pub,C&F_pri"]
    for t in request.tuned:
        grid = t.grid(p)
        assert sorted(s.train_config().lr for s in grid) == sorted(p.lr_grid)
        assert {s.seed for s in grid} == set(p.tune_seeds)
        assert {s.dataset for s in t.runs(p, None)} == {p.table1_dataset}
        assert [s.seed for s in t.runs(p, None)] == list(p.seeds_for(headline=True))
    saved = {t.name for t in request.tuned if all(s.save_model for s in t.runs(p, None))}
    assert saved == {"mmoe", "mtphn D_pub,C&F_pri"}             # Fig. 7 and Fig. 3 read their weights


def test_vg_sweep_pairs_plain_with_every_setting_per_regime_data_set_and_seed(study):
    p = study.profile
    pairs = table.vg_sweep(study).paired
    settings = table.vg_settings(study)
    for pair in pairs:                 # one change per arm: the virtual gradient, same seed, data and regime
        assert pair.base.train_config().vg is None
        swept = pair.base.model in p.vg_models
        assert [a.train_config().vg for a in pair.arms] == (settings if swept else [table.PAPER_VG])
        for arm in pair.arms:
            assert (arm.seed, arm.dataset, arm.train_config().gate_optimizer) == \
                   (pair.base.seed, pair.base.dataset, pair.base.train_config().gate_optimizer)
        assert pair.base.train_config().patience == p.vg_patience
    seeds = {(pr.base.model, pr.base.dataset) for pr in pairs}
    assert seeds == {(m, d) for m in ("mmoe", "dephn") for d in ("criteo-r", "criteo-ur")}
    for m in ("mmoe", "dephn"):
        for d in ("criteo-r", "criteo-ur"):
            want = p.sweep_seeds(d) if m in p.vg_models else p.seeds_for(headline=True)
            assert [pr.base.seed for pr in pairs if (pr.base.model, pr.base.dataset) == (m, d)] == \
                   list(want) * len(p.vg_regimes)
    assert {pr.base.train_config().gate_optimizer for pr in pairs} == {"adam", "sgd"}


def test_the_cpu_profile_sweeps_the_whole_grid_with_its_goals_met(tmp_path):
    from dephn.study import open_study, power
    study = open_study("cpu", tmp_path)
    assert len(table.vg_settings(study)) == 16 and study.profile.vg_models == ("mmoe",)
    assert all(len(study.profile.sweep_seeds(d)) >= 5 for d in ("criteo-r", "criteo-ur"))
    plan = power.comparisons(study.profile)
    assert len(plan) == 8 and plan["meets_goal"].all() and (plan["detectable"] <= 0.005).all()
    assert not power.comparisons(study.profile.replace(seeds=[0, 1]))["meets_goal"].any()


def test_balancing_and_ablations_pair_against_one_baseline_on_the_same_seeds(study):
    p = study.profile
    bal = table.balancing(study).fixed
    labels = {s.table_label for s in bal}
    assert {"none", "add_sqrt/pearson", "add_sqrt/pearson (sgd gates)", *p.balance} == labels
    abl = table.ablations(study).fixed
    assert {s.label for s in abl} == {table.FULL, *table.ABLATIONS}
    for label in {s.label for s in abl}:
        assert sorted(s.seed for s in abl if s.label == label) == sorted(list(p.seeds_for(headline=True)) * 2)


def test_gating_and_confidence_read_the_confidence_data_set_and_keep_weights(study):
    for request in (table.gating(study), table.confidence(study)):
        for t in request.tuned:
            runs = t.runs(study.profile, None)
            assert {s.dataset for s in runs} == {table.CONFIDENCE_DATASET} and all(s.save_model for s in runs)


def test_the_plan_is_the_table(study):
    frame = plan(study)
    expected = [(nb, s.model, s.table_label, s.seed) for nb, r in table.requests(study)
                for s in r.planned(study.profile)]
    assert list(zip(frame["notebook"], frame["model"], frame["label"], frame["seed"])) == expected
    assert any(GRID_TAG in x for x in frame["label"]) and any(LR_PENDING in x for x in frame["label"])
    only = plan(study, only=["09"])
    assert set(only["notebook"]) == {"09_balancing"}


def test_study_run_trains_the_grid_then_each_seed_at_the_chosen_rate(tmp_path):
    small = Study.open("smoke", tmp_path, rows=3000, seeds=(0, 1), headline_seeds=(0, 1), lr_grid=(1e-3, 3e-2),
                       tune_seeds=(0,), table1_models=("mmoe",))
    request = table.table1(small)
    frame = small.run(request)
    grid = small.read(request.tuned[0].grid(small.profile))
    aucs = grid[[c for c in grid if c.startswith("valid/") and c.endswith("/auc")]].mean(axis=1)
    best = grid.loc[aucs.idxmax(), "lr"]
    assert sorted(frame["seed"]) == [0, 1] and set(frame["lr"]) == {best}
    assert len(small.store.records()) == 3          # the tuning seed at the chosen rate is the grid's own run
    grid_table = small.grid_table(request)
    assert grid_table["chosen"].sum() == 1 and grid_table.loc[grid_table["chosen"], "lr"].item() == best

"""The study's pre-run: plan, run what is new, plan again until nothing is new."""
from types import SimpleNamespace

from dephn.experiments.runs import RunSpec
from dephn.study import prerun as prerun_module
from dephn.study.prerun import MAX_ROUNDS, plan_specs, prerun
from dephn.study.tuning import GRID_TAG, LR_PENDING


def spec(seed, lr=0.001, **kw):
    return RunSpec("mmoe", "criteo-ur", seed=seed, train_options={"lr": lr}, **kw)


def fake_items(ran):
    """A tuning grid (seeds 0, 1 at two rates) and a comparison whose rate is known only once the
    grid has records: while planning it is pending, as `tuning.tuned` marks it."""
    def grid(study):
        return [spec(s, lr, label=f"mmoe [{GRID_TAG}]") for s in (0, 1) for lr in (0.001, 0.01)]

    def tuned(study):
        if not study.materialize or len(ran) < 4:
            return [spec(5, label=f"x [{LR_PENDING}]")]
        return [spec(5, lr=0.01), spec(0, lr=0.01, save_model=True)]     # seed 0 at 0.01: a grid run

    return (("02_grid", grid), ("04_tuned", tuned))


def test_prerun_plans_again_until_nothing_is_new(monkeypatch):
    ran, calls = [], []
    monkeypatch.setattr(prerun_module, "ITEMS", fake_items(ran))

    def run(specs):
        calls.append(specs)
        ran.extend(specs)

    opened = []
    total = prerun(lambda materialize: opened.append(materialize) or SimpleNamespace(materialize=materialize),
                   run, log=lambda m: None)
    assert [len(c) for c in calls] == [4, 2]           # the grid, then the chosen rate's runs
    assert {s.label for s in calls[0]} == {"mmoe"}      # the plan's tag is not recorded
    assert all(LR_PENDING not in s.label for c in calls for s in c)
    # seed 0 at the chosen rate is a grid run, asked for again with its weights kept: it runs again
    assert sorted(calls[1], key=lambda s: s.seed) == [spec(0, lr=0.01, save_model=True), spec(5, lr=0.01)]
    assert total == 6 and opened[0] is False and opened[-1] is True


def test_prerun_stops_after_max_rounds_when_the_plan_keeps_changing(monkeypatch):
    counter = iter(range(100))
    monkeypatch.setattr(prerun_module, "ITEMS", (("01_moving", lambda study: [spec(next(counter))]),))
    logs, calls = [], []
    prerun(lambda m: SimpleNamespace(materialize=m), calls.append, log=logs.append)
    assert len(calls) == MAX_ROUNDS and "the notebooks run the rest" in logs[-1]


def test_plan_specs_keeps_each_run_once_and_filters_notebooks(monkeypatch):
    monkeypatch.setattr(prerun_module, "ITEMS", (("02_a", lambda s: [spec(0), spec(0, label="other name")]),
                                                 ("05_b", lambda s: [spec(0, save_model=True), spec(1)])))
    study = SimpleNamespace(materialize=True)
    both = plan_specs(study)
    assert len(both) == 2 and both[0].save_model
    assert plan_specs(study, only=["05"]) == [spec(0, save_model=True), spec(1)]

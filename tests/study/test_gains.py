import numpy as np
import pandas as pd

from dephn import plotting
from dephn.study.gains import sweep_analysis

SETTINGS = [("add_sqrt", "pearson"), ("mul_cos", "cosine"), ("add_abs", "pearson"), ("mul_square", "cosine")]


def sweep_runs(effect, seeds=10, noise=0.0005, rng=0):
    """Plain MMoE and four settings per seed on two data sets; every setting moves AUC by `effect`."""
    r = np.random.default_rng(rng)
    rows = []
    for ds in ("criteo-r", "criteo-ur"):
        for seed in range(seeds):
            base = 0.75 + r.normal(0, 0.01)
            rows.append(dict(run_id=f"{ds}{seed}", status="ok", model="mmoe", dataset=ds, seed=seed, gamma=None,
                             corr=None, virtual_gradient=False, **{"test/t1/auc": base}))
            for g, c in SETTINGS:
                rows.append(dict(run_id=f"{ds}{seed}{g}{c}", status="ok", model="mmoe", dataset=ds, seed=seed, gamma=g,
                                 corr=c, virtual_gradient=True, **{"test/t1/auc": base + effect + r.normal(0, noise)}))
    return pd.DataFrame(rows)


def test_a_clear_gain_is_better_and_no_effect_is_the_same_within_the_margin():
    up = sweep_analysis(sweep_runs(0.01), ["t1"])
    assert list(up["pooled_verdict"]) == ["better", "better"] and list(up["primary_verdict"]) == ["better", "better"]
    assert (up["n_better"] == 4).all() and (up["pooled_lo"] < 0.01).all() and (up["pooled_hi"] > 0.01).all()
    same = sweep_analysis(sweep_runs(0.0), ["t1"])
    assert list(same["pooled_verdict"]) == ["equivalent", "equivalent"] and (same["n_equivalent"] == 4).all()


def test_too_few_seeds_stay_inconclusive():
    few = sweep_analysis(sweep_runs(0.0, seeds=2, noise=0.01), ["t1"])
    assert set(few["pooled_verdict"]) == {"inconclusive"}


def test_the_heat_map_puts_gamma_by_correlation_with_each_cells_mark():
    gains = plotting.gain_frame(sweep_runs(0.01), ["t1"])
    fig = plotting.gain_heatmap(gains)
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert len(heat) == 2 and list(heat[0].x) == ["pearson", "cosine"]
    assert list(heat[0].y) == [g for g in ("mul_cos", "mul_abs", "mul_square", "mul_sqrt", "add_cos", "add_abs",
                                            "add_square", "add_sqrt") if g in {s[0] for s in SETTINGS}]
    assert any("✓" in cell for row in heat[0].text for cell in row)
    assert fig.layout.width <= 900

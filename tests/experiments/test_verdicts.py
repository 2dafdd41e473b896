import numpy as np
import pandas as pd
import pytest

from dephn.experiments.verdicts import MARGIN, add_verdicts, holm, pooled_effect, tost_p, verdict


def test_tost_says_equivalent_only_when_the_interval_lies_inside_the_margin():
    assert tost_p(0.0, 0.002, 10) < 0.05                     # tight around zero: the same within ±0.005
    assert tost_p(0.0, 0.02, 10) > 0.05                      # wide: cannot say
    assert tost_p(0.0045, 0.002, 10) > 0.05                  # close to the margin: cannot say
    assert np.isnan(tost_p(0.0, 0.001, 1))


def test_holm_matches_its_definition_and_keeps_nans():
    p = holm([0.01, 0.04, np.nan, 0.03])
    assert p[0] == pytest.approx(0.03) and p[3] == pytest.approx(0.06) and p[1] == pytest.approx(0.06)
    assert np.isnan(p[2])


def test_verdict_reads_the_corrected_tests():
    assert verdict(0.01, 0.001, 0.9) == "better"
    assert verdict(-0.01, 0.001, 0.9) == "worse"
    assert verdict(0.0001, 0.8, 0.01) == "equivalent"
    assert verdict(0.0001, 0.8, 0.2) == "inconclusive"


def test_add_verdicts_corrects_each_family_on_its_own():
    frame = pd.DataFrame({"task": ["a"] * 3 + ["b"], "diff": [0.01, 0.0, 0.0, 0.01], "sd": [0.005, 0.001, 0.05, 0.005],
                          "n": [10] * 4, "p_value": [0.0001, 0.9, 0.9, 0.0001]})
    out = add_verdicts(frame, ["task"])
    assert list(out["verdict"]) == ["better", "equivalent", "inconclusive", "better"]
    assert out.loc[0, "p_holm"] == pytest.approx(0.0003) and out.loc[3, "p_holm"] == pytest.approx(0.0001)
    assert list(out["mark"]) == ["✓", "≈", "?", "✓"]


def _long(effects, seeds=12, noise=0.002, seed_sd=0.004, rng=0):
    r = np.random.default_rng(rng)
    rows = []
    for s in range(seeds):
        shared = r.normal(0, seed_sd)                        # the baseline run every setting of a seed shares
        rows += [{"seed": s, "setting": f"g{i}", "diff": e + shared + r.normal(0, noise)} for i, e in enumerate(effects)]
    return pd.DataFrame(rows)


def test_pooled_effect_finds_an_overall_gain_and_whether_settings_differ():
    same = pooled_effect(_long([0.006] * 8))
    assert same["lo"] < 0.006 < same["hi"] and same["p_value"] < 0.05 and same["p_settings_differ"] > 0.01
    differ = pooled_effect(_long([-0.01, 0.0, 0.01, 0.02]))
    assert differ["p_settings_differ"] < 1e-6


def test_pooled_effect_says_equivalent_for_no_effect_and_nan_for_too_few_seeds():
    none = pooled_effect(_long([0.0] * 8, seed_sd=0.001, noise=0.001))
    assert none["p_equiv"] < 0.05 and abs(none["effect"]) < MARGIN
    assert np.isnan(pooled_effect(_long([0.0] * 4, seeds=2))["p_value"])

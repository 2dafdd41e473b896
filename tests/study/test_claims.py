"""Each claim's verdict comes with its reason: the p-value, and when nothing was shown, the
smallest effect the test could detect beside the paper's effect."""
import math

from dephn.experiments.aggregate import detectable_effect
from dephn.study import claims
from dephn.study.readme_figures import claims_markdown


def cmp(diff, p, n=5, std=0.01):
    return {"diff": diff, "p_value": p, "n": n, "diff_std": std, "mean_a": 0.8 + diff, "mean_b": 0.8, "wins": 3}


def test_a_significant_difference_names_its_direction():
    assert claims._why(cmp(0.01, 0.01)).startswith("the paper's direction at p=0.01")
    assert claims._why(cmp(-0.01, 0.01)).startswith("the opposite direction")
    assert claims._verdict(cmp(-0.01, 0.01)) is False


def test_inconclusive_says_what_the_test_could_detect_against_the_paper():
    det = detectable_effect(0.01, 5)
    small = claims._why(cmp(0.001, 0.6), paper_effect=det / 10)
    assert "inconclusive" in small and f"{det:.4f}" in small and "more than the paper's" in small
    large = claims._why(cmp(0.001, 0.6), paper_effect=det * 3)
    assert "less than the paper's" in large
    assert claims._why(cmp(0.0, math.nan, n=1)).startswith("inconclusive: 1 paired seed")


def test_the_readme_table_carries_the_reason():
    md = claims_markdown([{"claim": "a", "paper": "b", "this_run": "c", "reproduced": None, "why": "inconclusive: x"}])
    assert md.splitlines()[0].endswith("| why |") and md.splitlines()[-1].endswith("| – | inconclusive: x |")


def test_the_readme_note_counts_the_pre_run_in_the_study_time(tmp_path):
    import json

    from dephn.study.readme_figures import END, START, main
    out = tmp_path / "cpu"
    out.mkdir()
    (out / "claims.json").write_text(json.dumps([{"claim": "a", "paper": "b", "this_run": "c", "reproduced": True}]))
    (out / "study.json").write_text(json.dumps({"profile": "cpu", "code_version": "v", "seconds": 80.0,
                                                "total_seconds": 2000.0,
                                                "prerun": {"runs": 441, "seconds": 1920.0, "workers": 2}}))
    readme = tmp_path / "README.md"
    readme.write_text(f"head\n{START}\nold\n{END}\ntail\n")
    assert main([str(out), str(tmp_path / "figs"), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert "2000.0 s: 441 runs over 2 workers in 1920.0 s, then the notebooks in 80.0 s" in text
    assert "old" not in text and text.startswith("head") and text.rstrip().endswith("tail")

"""The study notebooks: a smoke run through `dephn study` (papermill), the files it writes,
nbval on the seeded numbers, and the committed notebooks kept light."""
from __future__ import annotations

import json

import nbformat
import pytest

from tests.conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOURCES = sorted((REPO / "notebooks" / "src").glob("[0-9][0-9]_*.py"))
EXPECTED_FIGURES = {"fig3a_ssg", "fig3b_public_private", "fig4_gamma_functions", "fig5_vg_on_mmoe",
                    "fig5_vg_on_dephn", "fig6_tvg_vs_mg", "gates_over_training", "mapping_contributions",
                    "vg_coefficients", "fig7_confidence", "task_relation", "target_curves", "fig5_vg_on_mmoe_sgd",
                   "fig5_vg_on_dephn_sgd", "vg_action", "balance_gains", "ablations", "learning_curves",
                    "confidence_reranking", "confidence_band_means"}
EXPECTED_TABLES = {"data_summary", "table1", "gamma_values", "fig5_gains", "table2_aliccp",
                   "table2_wechat", "claims", "vg_action", "balance_gains", "ablations", "convergence",
                   "convergence_sweeps", "lr_grid_table1", "lr_grid_gating", "confidence_ceilings",
                   "confidence_reranking", "confidence_band_means"}


def test_every_notebook_has_a_source_and_is_light():
    assert [p.stem for p in NOTEBOOKS] == [p.stem for p in SOURCES]
    for path in NOTEBOOKS:
        assert path.stat().st_size < 100_000, f"{path.name} is heavy: commit it stripped"
        nb = nbformat.read(path, as_version=4)
        assert nb.cells[0].cell_type == "markdown" and "paper" in nb.cells[0].source.lower()
        params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1, f"{path.name}: one cell tagged parameters"
        for name in ("profile", "out_dir", "seeds", "interactive"):
            assert f"\n{name} = " in "\n" + params[0].source, f"{path.name}: parameter {name}"
        assert "widgets" not in nb.metadata, f"{path.name}: widget state committed"
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            assert "class " not in cell.source and "nn.Module" not in cell.source, "no model code in notebooks"
            if cell.outputs:
                assert "NBVAL_CHECK_OUTPUT" in cell.source, f"{path.name}: only checked cells keep outputs"
                assert "plotly" not in json.dumps(cell.outputs)


@pytest.mark.notebooks
def test_smoke_study_writes_every_figure_table_and_the_report(smoke_study):
    out, logs = smoke_study
    meta = json.loads((out / "study.json").read_text())
    assert {n: v["status"] for n, v in meta["notebooks"].items()} == {p.name: "ok" for p in NOTEBOOKS}
    assert any(line.endswith(")") and ": ok (" in line for line in logs)
    from dephn.plotting import read_index
    figures = {e["name"]: e for e in read_index(out / "figures")}
    assert EXPECTED_FIGURES <= set(figures)
    for e in figures.values():
        assert (out / "figures" / f"{e['name']}.html").stat().st_size > 1000
        assert (out / "figures" / f"{e['name']}.json").exists()
    assert (out / "figures" / "plotly.min.js").exists()
    tables = {e["name"] for e in json.loads((out / "tables" / "index.json").read_text())}
    assert EXPECTED_TABLES <= tables
    claims = json.loads((out / "claims.json").read_text())
    assert claims and all(set(c) >= {"claim", "paper", "this_run", "reproduced"} for c in claims)
    assert meta["data_fingerprints"] and all(meta["data_fingerprints"].values())
    report = (out / "report.html").read_text()
    assert "fig5_vg_on_mmoe" in report or "Fig. 5" in report
    for nb in (out / "notebooks").glob("*.ipynb"):
        assert nb.stat().st_size < 5_000_000, f"{nb.name}: widget state stored?"


@pytest.mark.notebooks
def test_rerun_resumes_from_the_results_store(smoke_study):
    from dephn.study.runner import run_study
    out, _ = smoke_study
    before = len(list((out / "results" / "records").glob("*.json")))
    logs = []
    run_study("smoke", out, only=["05"], report=False, log=logs.append)
    assert len(list((out / "results" / "records").glob("*.json"))) == before


def test_nbval_runs_as_a_user_runs_it():
    """`make test` ends with exactly `pytest --nbval-lax notebooks/` (no flag, no environment
    variable): the notebooks default to the smoke profile and notebooks/conftest.py supplies the
    sanitize rules and the kernel."""
    recipe = (REPO / "Makefile").read_text().split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/python -m pytest --nbval-lax notebooks/\n" in recipe + "\n"
    conftest = (REPO / "notebooks" / "conftest.py").read_text()
    assert "sanitize.cfg" in conftest and "nbval_current_env" in conftest
    for path in NOTEBOOKS:
        params = [c for c in nbformat.read(path, as_version=4).cells if "parameters" in c.metadata.get("tags", [])]
        assert 'profile = "smoke"' in params[0].source and "environ" not in params[0].source, path.name

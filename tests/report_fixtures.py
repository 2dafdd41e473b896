"""A synthetic study output folder (`outputs/<profile>/` layout), shared by the report tests.

It holds what a small study writes: plotly figures from two notebooks (one with a trace named
`</script>` to test the page's JSON embedding, one caption with markup to test escaping), a
table, claims, study.json and two run records written through the real results store.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import plotly.graph_objects as go

from dephn.experiments.store import ResultsStore

FIGURES = (
    # name, source notebook, figure
    ("gates_heatmap", "05_gating.ipynb",
     go.Figure(go.Heatmap(z=[[0.1, 0.7], [0.4, 0.2]], x=["raw", "sin"], y=["ctr", "cvr"]),
               layout_title_text="Gate values")),
    ("ssg_vectors", "05_gating.ipynb",
     go.Figure(go.Bar(x=["dnn", "cross", "field"], y=[0.52, 0.47, 0.61], name="</script><b>x</b>"),
               layout_title_text="SSG gates")),
    ("confidence_curve", "06_confidence.ipynb",
     go.Figure(go.Scatter(x=[0, 1, 2, 3], y=[0.70, 0.72, 0.71, 0.74], mode="lines+markers"),
               layout_title_text="AUC by confidence bucket")),
)
TABLE_ROWS = (("dataset", "model", "ctr_auc", "cvr_auc"),
              ("aliccp", "mmoe", "0.6123456789", "0.6012"),
              ("aliccp", "dephn", "0.6201", "0.6099"))
CLAIMS = [
    {"claim": "DEPHN beats MMoE on CTR AUC", "paper": "+0.0031", "this_run": 0.00781,
     "reproduced": True, "evidence": "main_results"},
    {"claim": "TVG beats MG", "paper": "Fig. 6", "this_run": "MG ahead by 0.001",
     "reproduced": False, "evidence": ["gates_heatmap", "seed spread 0.002"]},
    {"claim": "Virtual gradient helps PLE", "paper": "Table IV", "this_run": None,
     "reproduced": None, "evidence": "not run in this profile"},
]
FINGERPRINTS = {"aliccp": "sha256:abc123", "criteo": "sha256:def456"}


def record(run_id: str, model: str, seed: int, auc: float) -> dict:
    return {"run_id": run_id, "model": model, "dataset": "aliccp", "seed": seed, "label": "",
            "status": "ok", "data_fingerprint": FINGERPRINTS["aliccp"],
            "metrics": {"valid": {}, "test": {"ctr": {"auc": auc, "logloss": 0.4}}},
            "timing": {"wall_seconds": 12.5}}


def make_output_folder(root: Path, *, figures: bool = True, tables: bool = True, claims: bool = True,
                       study: bool = True, records: bool = True) -> Path:
    """Write a synthetic `outputs/<profile>/` folder under `root` and return it."""
    out = Path(root) / "smoke"
    out.mkdir(parents=True)
    if figures:
        fig_dir = out / "figures"
        fig_dir.mkdir()
        index = []
        for name, source, fig in FIGURES:
            (fig_dir / f"{name}.json").write_text(fig.to_json())
            index.append({"name": name, "title": fig.layout.title.text, "source": source,
                          "caption": f"Caption of {name} with <i>markup</i> & ampersand.",
                          "files": {"json": f"{name}.json", "html": f"{name}.html"}})
        # the layout dephn.plotting.save writes
        (fig_dir / "index.json").write_text(json.dumps({"figures": index}))
    if tables:
        tab_dir = out / "tables"
        tab_dir.mkdir()
        with open(tab_dir / "main_results.csv", "w", newline="") as f:
            csv.writer(f).writerows(TABLE_ROWS)
        (tab_dir / "index.json").write_text(json.dumps([
            {"name": "main_results", "title": "Main results", "caption": "Test AUC, mean over seeds.",
             "source": "03_main.ipynb", "file": "main_results.csv"}]))
    if claims:
        (out / "claims.json").write_text(json.dumps(CLAIMS))
    if study:
        (out / "study.json").write_text(json.dumps({
            "profile": "smoke", "parameters": {"seeds": [0, 1], "epochs": 1},
            "started": "2025-01-01T10:00:00+00:00", "finished": "2025-01-01T10:05:00+00:00",
            "code_version": "0.1.0+gdeadbeef", "packages": {"torch": "2.13.0", "plotly": "7.1.0"},
            "data_fingerprints": FINGERPRINTS,
            "seconds": 300.0,
            # the layout dephn.study.runner writes
            "notebooks": {"05_gating.ipynb": {"status": "ok", "seconds": 41.5},
                          "06_confidence.ipynb": {"status": "failed", "seconds": 3.5, "cell": 4,
                                                  "error": "ValueError: no runs"}}}))
    if study:
        (out / "notebooks").mkdir()
        (out / "notebooks" / "05_gating.ipynb").write_text("{}")      # the executed copy
    if records:
        store = ResultsStore(out / "results")
        store.put(record("mmoe-aliccp-s0", "mmoe", 0, 0.61))
        store.put(record("dephn-aliccp-s0", "dephn", 0, 0.63))
    return out

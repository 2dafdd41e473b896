"""The study report: one self-contained, offline HTML page per study output folder.

`build_report(out_dir)` reads what the study wrote into `outputs/<profile>/`

    figures/index.json + figures/<name>.json   plotly figures (drawn interactively in the page)
    tables/index.json  + tables/<name>.csv     result tables
    claims.json                                the paper's claims, checked against this run
    study.json                                 profile, parameters, versions, data fingerprints
    results/records/*.json                     one record per training run (the results store)

and writes `<out_dir>/report.html`: plotly.js inlined once, every figure embedded from its
plotly JSON and grouped by the notebook that made it, every table, the claims table, the run
configuration and a summary of the runs. A missing or unreadable piece is said so in the page
(the report is most useful exactly when a study went wrong), never an exception; only a path
that is not a study output folder at all is a `DephnError`.

Modules, each on top of the ones below it:

- `build`: `build_report`, the page header, writing the file.
- `configuration`: the run-configuration section (study.json).
- `sections`: the claims, figures, tables and training-runs sections.
- `loaders`: reading the folder (JSON files, figure/table indexes, results store) into items.
- `template`: HTML building blocks, the page skeleton, CSS and JS (no I/O).
"""
from __future__ import annotations

from .build import PIECES, REPORT_NAME, build_report

__all__ = ["PIECES", "REPORT_NAME", "build_report"]

"""`dephn report`: write the self-contained HTML report of a study output folder."""
from __future__ import annotations

from ..report import build_report
from .args import in_dir


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="write <out>/report.html: figures, tables, claims and configuration of a study",
                       description="One offline HTML file (plotly.js inlined); missing pieces are noted in the page.")
    p.add_argument("--out", type=in_dir, required=True, metavar="DIR", help="the study output folder, e.g. outputs/cpu")
    p.set_defaults(func=run_report)


def run_report(args) -> int:
    print(build_report(args.out))
    return 0

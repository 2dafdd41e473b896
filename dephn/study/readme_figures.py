"""Copy the key figures of a study run into the repository and refresh the README's claims table.

    python -m dephn.study.readme_figures outputs/cpu figures/readme [--readme README.md]

The README holds the table between `<!-- claims:start -->` and `<!-- claims:end -->`.
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

KEY_FIGURES = ("fig4_gamma_functions", "fig5_vg_on_mmoe", "fig5_vg_on_mmoe_sgd", "vg_action", "balance_gains",
               "fig6_tvg_vs_mg", "fig7_confidence", "ablations", "learning_curves",
               "fig3a_ssg", "fig3b_public_private", "confidence_reranking", "confidence_band_means")
START, END = "<!-- claims:start -->", "<!-- claims:end -->"
MARK = {True: "✓", False: "✗", None: "–"}


def claims_markdown(claims: list[dict]) -> str:
    lines = ["| claim | paper | this run | reproduced | why |", "|---|---|---|:-:|---|"]
    for c in claims:
        cells = [str(c.get(k, "")).replace("|", "\\|") for k in ("claim", "paper", "this_run", "why")]
        lines.append(f"| {cells[0]} | {cells[1]} | {cells[2]} | {MARK.get(c.get('reproduced'), '–')} | {cells[3]} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("study_out", type=Path)
    ap.add_argument("dest", type=Path)
    ap.add_argument("--readme", type=Path, default=Path("README.md"))
    args = ap.parse_args(argv)
    args.dest.mkdir(parents=True, exist_ok=True)
    for name in KEY_FIGURES:
        src = args.study_out / "figures" / f"{name}.png"
        if src.exists():
            shutil.copyfile(src, args.dest / src.name)
            print(args.dest / src.name)
    claims = json.loads((args.study_out / "claims.json").read_text())
    text = args.readme.read_text()
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        meta = json.loads((args.study_out / "study.json").read_text())
        pre = meta.get("prerun") or {}
        how = (f"{meta.get('total_seconds')} s: {pre['runs']} runs over {pre.get('workers', '?')} workers in "
               f"{pre['seconds']} s, then the notebooks in {meta.get('seconds')} s") if pre else f"{meta.get('seconds', '?')} s"
        note = f"\n_From `dephn study --profile {meta.get('profile')}` (code {meta.get('code_version')}, {how})._\n\n"
        args.readme.write_text(head + START + note + claims_markdown(claims) + "\n" + END + tail)
        print(f"{args.readme}: claims table updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Build the study notebooks from their percent-format sources in notebooks/src.

    python notebooks/build.py                       # notebooks/NN_*.ipynb, outputs stripped
    python notebooks/build.py --checked-from DIR    # keep the outputs of `# NBVAL_CHECK_OUTPUT`
                                                    # cells from executed copies in DIR (a smoke run)

Sources are plain Python files (reviewable diffs); `# %% PARAMS` is replaced by the shared
parameters cell (notebooks/src/_params.txt), tagged `parameters` for papermill. Only the
checked cells keep outputs: nbval compares exactly those, with `--nbval-lax`.
"""
import argparse
import hashlib
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
CHECK = "NBVAL_CHECK_OUTPUT"


def build(src: Path, checked_from: Path | None = None) -> Path:
    params = (SRC / "_params.txt").read_text()
    text = src.read_text().replace("# %% PARAMS\n", params)
    nb = jupytext.reads(text, fmt="py:percent")
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}
    executed = None
    if checked_from is not None and (checked_from / (src.stem + ".ipynb")).exists():
        executed = nbformat.read(checked_from / (src.stem + ".ipynb"), as_version=4)
    for i, cell in enumerate(nb.cells):
        cell.id = hashlib.blake2b(f"{src.stem}:{i}".encode(), digest_size=4).hexdigest()  # stable diffs
        cell.metadata.pop("lines_to_next_cell", None)
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        if executed is not None and CHECK in cell.source:
            match = [c for c in executed.cells if c.cell_type == "code" and c.source == cell.source]
            if match:
                # nbval compares only cells that ran: keep the executed count with the outputs
                cell.outputs = [o for o in match[0].outputs if o.get("output_type") != "display_data"]
                cell.execution_count = match[0].execution_count
    out = HERE / (src.stem + ".ipynb")
    nbformat.write(nb, out)
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checked-from", type=Path, default=None,
                    help="folder of executed notebooks whose checked outputs to keep")
    args = ap.parse_args()
    for src in sorted(SRC.glob("[0-9][0-9]_*.py")):
        print(build(src, args.checked_from).name)

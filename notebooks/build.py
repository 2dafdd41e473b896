"""Build the study notebooks from their percent-format sources in notebooks/src.

    python notebooks/build.py            # writes notebooks/NN_*.ipynb (outputs stripped)

Sources are plain Python files (reviewable diffs); `# %% PARAMS` is replaced by the shared
parameters cell (notebooks/src/_params.txt), tagged `parameters` for papermill.
"""
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"


def build(src: Path) -> Path:
    params = (SRC / "_params.txt").read_text()
    text = src.read_text().replace("# %% PARAMS\n", params)
    nb = jupytext.reads(text, fmt="py:percent")
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}
    for cell in nb.cells:
        cell.metadata.pop("lines_to_next_cell", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    out = HERE / (src.stem + ".ipynb")
    nbformat.write(nb, out)
    return out


if __name__ == "__main__":
    for src in sorted(SRC.glob("[0-9][0-9]_*.py")):
        print(build(src).name)

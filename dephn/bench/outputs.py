"""Where a benchmark run writes, inside its output folder (`--out`, default benchmarks/).

Shared by `runner` (which writes a fresh run) and `report` (which rewrites one from its JSON),
so neither has to import the other for these names.
"""
from __future__ import annotations

README = "README.md"


def results_json(device: str) -> str:
    """train_results.json for CPU runs, train_results_cuda.json for CUDA runs."""
    return "train_results_cuda.json" if device.startswith("cuda") else "train_results.json"

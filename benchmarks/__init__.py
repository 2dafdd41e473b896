"""The project's benchmarks, run from the repository root; not installed with `dephn`.

- `train_bench`: the training benchmark, ours against peer libraries' MMoE
  (`python -m benchmarks.train_bench`).
- `peer_gap`: our MMoE against torch-rechub's, one difference at a time (`python -m benchmarks.peer_gap`).
- `ingest.py`: the data-ingest benchmark (`python benchmarks/ingest.py`).
"""

"""The training benchmark, `python -m benchmarks.train_bench` (from the repository root): training
throughput, peak memory and test AUC of our models and of peer libraries' MMoE (torch-rechub,
DeepCTR-Torch; the `bench` extra), on the same encoded data and hyper-parameters. Not part of
the installed `dephn` package: it imports the peers, which `dephn` never does.

- `plan`: what one benchmark run measures (entries, shared hyper-parameters).
- `measure`: epoch timings and peak-memory readings.
- `flops`: the matrix-product work of one training step, counted.
- `ours`: trains a model of this package with `dephn.train.fit`.
- `peers`: thin adapters feeding the same arrays into the peers' MMoE through their public APIs.
- `worker`: runs one measurement in a fresh subprocess (so its memory high-water is its own).
- `runner`: one benchmark run: interleaved rounds over the entries, then the notes.
- `report`: per-model summaries, the ratios with their targets, the markdown and JSON output.
- `cli`: the command line (`main`).
"""

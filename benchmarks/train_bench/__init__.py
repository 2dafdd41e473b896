"""`dephn bench`: training throughput, peak memory and test AUC of our models and of peer
libraries' MMoE (torch-rechub, DeepCTR-Torch), on the same encoded data and hyper-parameters.

- `plan`: what one benchmark run measures (entries, shared hyper-parameters).
- `measure`: epoch timings and peak-memory readings.
- `ours`: trains a model of this package with `dephn.train.fit`.
- `peers`: thin adapters feeding the same arrays into the peers' MMoE through their public APIs.
- `worker`: runs one measurement in a fresh subprocess (so its memory high-water is its own).
- `runner`: one benchmark run: interleaved rounds over the entries, then the notes.
- `report`: per-model summaries, the ratios with their targets, the markdown and JSON output.
- `commands`: the `dephn bench` command line.
"""

"""Why our MMoE trails torch-rechub's on task 2: the architectures' differences, one at a time.

    python -m benchmarks.peer_gap [--seeds 0,1,2,3,4] [--rows 200000] [--epochs 6] [--json FILE]

The training benchmark's "mmoe within 0.001 AUC of the best peer" check compares each library's
own MMoE. Ours and torch-rechub's differ in what the libraries fix (benchmarks/train_bench/peers.py): the
peer batch-normalises its gate logits, trains its embedding tables with plain Adam (every row,
every step) where ours uses SparseAdam's rule (the rows a batch touches), and feeds dense values
raw where ours multiplies each by a learned vector. This runs, on the benchmark's data and
settings and over several seeds:

  mmoe small-dense          ours as the benchmark trained it before 2026-11-30: dense fields'
                            vectors starting small (dense_init="small")
  ... +dense-adam           and embedding tables under plain Adam   (sparse_grad=False)
  ... +gate-bn              and gate logits batch-normalised        (gate_norm="batch")
  ... +gate-bn +dense-adam  both
  mmoe                      ours as the benchmark trains it now (dense_init="unit", the default)
  mmoe +gate-bn             the same with gate logits batch-normalised
  rechub-mmoe               torch-rechub's MMoE as it comes
  rechub-mmoe -gate-bn      torch-rechub's MMoE with its gates' BatchNorm1d replaced by identity

and prints mean ± sd test AUC per task, the epoch each run chose, and every variant's paired
difference to rechub-mmoe (same seed: same initial draw and batch order within a library) with a
paired t-test. A run whose best validation epoch is its last did not converge within --epochs; the
table says how many. With --json, runs already in that file (same rows, epochs and data) are
kept and not trained again, so variants can be added to a finished comparison. Needs the
[bench] extra (torch-rechub).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy import stats

SMALL = {"dense_init": "small"}
VARIANTS = {
    "mmoe small-dense": ("ours", SMALL),
    "mmoe small-dense +dense-adam": ("ours", {**SMALL, "sparse_grad": False}),
    "mmoe small-dense +gate-bn": ("ours", {**SMALL, "gate_norm": "batch"}),
    "mmoe small-dense +gate-bn +dense-adam": ("ours", {**SMALL, "gate_norm": "batch", "sparse_grad": False}),
    "mmoe": ("ours", {}),
    "mmoe +gate-bn": ("ours", {"gate_norm": "batch"}),
    "rechub-mmoe": ("rechub", {}),
    "rechub-mmoe -gate-bn": ("rechub", {"gate_bn": False}),
}
REFERENCE = "rechub-mmoe"


def _without_gate_batch_norm(model: torch.nn.Module) -> None:
    """torch-rechub's gate is MLP(dims=[K], activation="softmax"): Linear, BatchNorm1d, softmax,
    Dropout; the BatchNorm1d becomes the identity."""
    for gate in model.gates:
        layers = gate.mlp
        norms = [i for i, m in enumerate(layers) if isinstance(m, torch.nn.BatchNorm1d)]
        if len(norms) != 1:
            raise RuntimeError(f"expected one BatchNorm1d in a torch-rechub gate, found {len(norms)}")
        layers[norms[0]] = torch.nn.Identity()


def run_variant(name: str, data, seed: int, epochs: int) -> dict:
    from benchmarks.train_bench.ours import train_ours
    from benchmarks.train_bench.peers import train_rechub
    from benchmarks.train_bench.plan import BenchConfig, Entry

    kind, options = VARIANTS[name]
    cfg = BenchConfig(seed=seed, epochs=epochs, repeats=1)
    t0 = time.perf_counter()
    if kind == "ours":
        m = train_ours(Entry(name, "ours", "mmoe", model_options=options), data, cfg)
    else:
        adjust = None if options.get("gate_bn", True) else _without_gate_batch_norm
        m = train_rechub(Entry("rechub-mmoe", "peer", "rechub-mmoe"), data, cfg, adjust=adjust)
    return {"variant": name, "seed": seed, "test_auc": m.test_auc, "valid_auc": m.valid_auc,
            "selected_epoch": m.selected_epoch, "epochs": epochs, "parameters": m.parameters,
            "seconds": round(time.perf_counter() - t0, 1)}


def summarize(runs: list[dict], tasks: list[str]) -> list[dict]:
    """One row per variant: mean, sd and paired difference to REFERENCE per task."""
    by = {}
    for r in runs:
        by.setdefault(r["variant"], {})[r["seed"]] = r
    ref = by.get(REFERENCE, {})
    rows = []
    for name in VARIANTS:
        if name not in by:
            continue
        runs_v = by[name]
        row = {"variant": name, "seeds": len(runs_v),
               "parameters": next(iter(runs_v.values()))["parameters"],
               "mean_epoch": float(np.mean([r["selected_epoch"] for r in runs_v.values()])),
               "at_last_epoch": sum(r["selected_epoch"] == r["epochs"] for r in runs_v.values())}
        for t in tasks:
            auc = np.array([r["test_auc"][t] for r in runs_v.values()])
            row[f"{t}_mean"], row[f"{t}_sd"] = float(auc.mean()), float(auc.std(ddof=1)) if len(auc) > 1 else 0.0
            common = sorted(set(runs_v) & set(ref))
            if name != REFERENCE and len(common) >= 2:
                d = np.array([runs_v[s]["test_auc"][t] - ref[s]["test_auc"][t] for s in common])
                row[f"{t}_diff"] = float(d.mean())
                row[f"{t}_p"] = float(stats.ttest_rel([runs_v[s]["test_auc"][t] for s in common],
                                                      [ref[s]["test_auc"][t] for s in common]).pvalue)
        rows.append(row)
    return rows


def render(rows: list[dict], tasks: list[str]) -> str:
    head = ["variant", "params", *(f"{t} test AUC" for t in tasks),
            *(f"{t} vs {REFERENCE} (p)" for t in tasks), "epoch chosen", "best at last epoch"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["variant"], f"{r['parameters']:,}"]
        cells += [f"{r[f'{t}_mean']:.4f} ± {r[f'{t}_sd']:.4f}" for t in tasks]
        cells += [f"{r[f'{t}_diff']:+.4f} ({r[f'{t}_p']:.3f})" if f"{t}_diff" in r else "—" for t in tasks]
        cells += [f"{r['mean_epoch']:.1f}", f"{r['at_last_epoch']} of {r['seeds']}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--json", type=Path, help="write the runs and the summary here")
    args = ap.parse_args(argv)
    from benchmarks.train_bench.peers import peer_missing
    from dephn.data.datasets import load_dataset

    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in names if v not in VARIANTS]
    if unknown:
        print(f"unknown variant(s) {unknown}; known: {', '.join(VARIANTS)}", file=sys.stderr)
        return 2
    if peer_missing("rechub-mmoe") and any(VARIANTS[v][0] == "rechub" for v in names):
        print(peer_missing("rechub-mmoe"), file=sys.stderr)
        return 2
    seeds = [int(s) for s in args.seeds.split(",")]
    data = load_dataset("criteo-ur", None, rows=args.rows)
    tasks = list(data.schema.tasks)
    runs = _earlier_runs(args.json, args.rows, args.epochs, data.fingerprint)
    done = {(r["variant"], r["seed"]) for r in runs}
    for seed in seeds:                       # seeds outermost: an interrupted run still pairs
        for name in names:
            if (name, seed) in done:
                continue
            r = run_variant(name, data, seed, args.epochs)
            print(json.dumps(r), flush=True)
            runs.append(r)
            if args.json:                    # after every run: an interruption loses one run at most
                _write(args.json, argv, data, args, runs, summarize(runs, tasks))
    rows = summarize(runs, tasks)
    print(render(rows, tasks))
    if args.json:
        _write(args.json, argv, data, args, runs, rows)
    return 0


def _earlier_runs(path: Path | None, rows: int, epochs: int, fingerprint: str) -> list[dict]:
    """The runs of an earlier call with the same settings and data (none without --json)."""
    if path is None or not path.exists():
        return []
    earlier = json.loads(path.read_text())
    same = (earlier.get("rows"), earlier.get("epochs"), earlier.get("data_fingerprint")) == (rows, epochs, fingerprint)
    return earlier["runs"] if same else []


def _write(path: Path, argv, data, args, runs: list[dict], rows: list[dict]) -> None:
    path.write_text(json.dumps({
        "command": "python -m benchmarks.peer_gap " + " ".join(argv if argv is not None else sys.argv[1:]),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": platform.machine(),
        "torch_threads": torch.get_num_threads(), "data_fingerprint": data.fingerprint,
        "rows": args.rows, "epochs": args.epochs, "runs": runs, "summary": rows}, indent=1) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())

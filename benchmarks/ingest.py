"""Ingest benchmark: generate a Criteo file, then time reading + encoding, the cache write and a cached load.

    python benchmarks/ingest.py [--rows 1000000] [--repeat 3] [--work DIR]

Each measured phase runs in a fresh subprocess, so its peak resident memory
(`ru_maxrss`, which sees numpy and arrow buffers that tracemalloc does not) is
its own. "read + encode" is the whole first-load work: parse and validate the
TSV, transform dense values, fit the vocabularies on the training rows and map
every row to ids. The cache write and the content fingerprint are timed
apart. Prints a markdown table (best and median of the repeats) and, with
--json, the raw numbers.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # Linux: KiB


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def phase(name: str, path: Path, work: Path) -> dict:
    """One measured phase, in this (fresh) process."""
    from functools import partial

    from dephn.data import cache
    from dephn.data.datasets import stream_chunks
    from dephn.data.encode import encode_stream
    from dephn.data.encoded import EncodedDataset
    from dephn.data.readers.criteo import CRITEO_SCHEMA, CriteoReader
    from dephn.data.split import assign_splits

    base_rss = _rss_mb()
    t0, c0 = time.perf_counter(), _cpu()
    out: dict = {}
    if name == "generate":
        from dephn.data.generator import write_criteo

        out["bytes"] = write_criteo(path, int(os.environ["INGEST_ROWS"]), seed=0)["bytes"]
    elif name == "read":
        out["rows"] = sum(t.num_rows for t in CriteoReader(path).iter_tables())
    elif name == "fingerprint":
        cache.content_hash(path)
    elif name in ("encode", "write"):
        # what load_dataset does on a first load: chunks read ahead, one pass, seeded split
        encoder, splits = encode_stream(stream_chunks(CriteoReader(path)), CRITEO_SCHEMA,
                                        split_of=partial(assign_splits, 0, fractions=(0.8, 0.1, 0.1)))
        out["rows"] = sum(len(s) for s in splits.values())
        if name == "write":  # time only the write, after encoding
            ds = EncodedDataset(name="criteo", schema=CRITEO_SCHEMA, vocab_sizes=encoder.vocab_sizes,
                                fingerprint="bench", meta={}, **splits)
            t0, c0 = time.perf_counter(), _cpu()
            cache.save_dataset(work / "entry", ds, encoder)
    elif name == "load":
        ds, _ = cache.load_cached(work / "entry")
        out["rows"] = len(ds.train) + len(ds.valid) + len(ds.test)
        out["checksum"] = int(ds.train.sparse[:, 0].sum())   # touch one column of the mapped arrays
    else:
        raise SystemExit(f"unknown phase {name}")
    out.update(seconds=time.perf_counter() - t0, cpu_seconds=_cpu() - c0,
               peak_rss_mb=_rss_mb(), import_rss_mb=base_rss)
    return out


def run_phase(name: str, path: Path, work: Path, rows: int) -> dict:
    # a fresh interpreter per phase; the parent stays small because a child can
    # start from its parent's peak RSS
    cmd = [sys.executable, __file__, "--phase", name, "--path", str(path), "--work", str(work)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False,
                         env={**os.environ, "INGEST_ROWS": str(rows)})
    if res.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    ap.add_argument("--json", action="store_true", help="also print the raw measurements")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.path, args.work)))
        return

    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        work = Path(tmp)
        path = work / f"criteo-{args.rows}.txt"
        generated = run_phase("generate", path, work, args.rows)
        gen_seconds = generated["seconds"]
        raw_mb = path.stat().st_size / 2 ** 20
        results = {name: [run_phase(name, path, work, args.rows) for _ in range(args.repeat)]
                   for name in ("read", "encode", "fingerprint", "write", "load")}
        load1 = os.getloadavg()[0]

    rows = args.rows
    lines = [f"{args.rows:,} generated rows, raw TSV {raw_mb:.0f} MiB (generated in {gen_seconds:.1f} s); "
             f"{args.repeat} runs per phase, each in a fresh process; {platform.processor() or platform.machine()}, "
             f"{os.cpu_count()} cores, load average {load1:.1f} at the end",
             "",
             "| phase | wall s (best / median) | rows/s (best) | CPU s (best) | peak RSS MiB | RSS / raw |",
             "|---|---|---|---|---|---|"]
    labels = {"read": "read + validate (pyarrow)", "encode": "read + encode (fit vocab + transform), end to end",
              "fingerprint": "content fingerprint (blake2b)", "write": "cache write (.npy + JSON)",
              "load": "cached load (memory-mapped)"}
    for name, runs in results.items():
        walls = [r["seconds"] for r in runs]
        best = min(runs, key=lambda r: r["seconds"])
        rss = max(r["peak_rss_mb"] for r in runs)
        lines.append(f"| {labels[name]} | {min(walls):.2f} / {statistics.median(walls):.2f} | "
                     f"{rows / min(walls):,.0f} | {best['cpu_seconds']:.2f} | {rss:.0f} | {rss / raw_mb:.2f} |")
    print("\n".join(lines))
    if args.json:
        print(json.dumps({"rows": rows, "raw_mb": raw_mb, "generate_seconds": gen_seconds, "results": results},
                         indent=1))


if __name__ == "__main__":
    main()

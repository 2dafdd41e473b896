"""One measurement in a fresh Python process, so its peak memory is its own.

The parent writes the encoded arrays once (`dump_dataset`, plain .npy files) and, per entry,
a job file; `python -m benchmarks.train_bench.worker JOB RESULT` memory-maps the arrays (as the data cache
does), trains the entry, reads its RSS high-water mark (VmHWM) last, and writes the result.
The worker's own output (the peers print progress) goes to a log file, shown on failure.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from dephn.data.encoded import EncodedDataset, EncodedSplit
from dephn.data.schema import Schema
from dephn.errors import DephnError

from .measure import Measurement, peak_rss_mib
from .ours import train_ours
from .peers import train_peer
from .plan import BenchConfig, Entry

ROOT = Path(__file__).resolve().parents[2]       # the repository: where `benchmarks` imports from

SPLITS = ("train", "valid", "test")
ARRAYS = ("sparse", "dense", "labels")
LOG_TAIL_CHARS = 4000


def dump_dataset(data: EncodedDataset, folder: Path) -> Path:
    """Write the arrays (no extras: nothing trains on them) and what rebuilds the dataset."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for s in SPLITS:
        for a in ARRAYS:
            np.save(folder / f"{s}_{a}.npy", np.asarray(getattr(data.split(s), a)))
    meta = {"name": data.name, "fingerprint": data.fingerprint, "vocab_sizes": list(data.vocab_sizes),
            "schema": {"tasks": list(data.schema.tasks), "dense": list(data.schema.dense),
                       "sparse": list(data.schema.sparse)}}
    (folder / "dataset.json").write_text(json.dumps(meta))
    return folder


def load_dump(folder: Path) -> EncodedDataset:
    folder = Path(folder)
    meta = json.loads((folder / "dataset.json").read_text())
    splits = {s: EncodedSplit(*(np.load(folder / f"{s}_{a}.npy", mmap_mode="r") for a in ARRAYS))
              for s in SPLITS}
    sch = meta["schema"]
    return EncodedDataset(name=meta["name"], schema=Schema(tuple(sch["tasks"]), tuple(sch["dense"]),
                                                           tuple(sch["sparse"])),
                          vocab_sizes=tuple(meta["vocab_sizes"]), fingerprint=meta["fingerprint"], **splits)


def run_job(job: dict) -> Measurement:
    """Train one entry on the dumped data (in the calling process)."""
    entry, cfg = Entry.from_dict(job["entry"]), BenchConfig.from_dict(job["config"])
    data = load_dump(Path(job["data_dir"]))
    if entry.kind == "ours":
        return train_ours(entry, data, cfg)
    return train_peer(entry, data, cfg)


def run_isolated(entry: Entry, cfg: BenchConfig, data_dir: Path, workdir: Path,
                 timeout_s: float | None = None) -> Measurement:
    """Run one entry in a fresh interpreter; its peak RSS is read by the child itself."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    stem = entry.name.replace("+", "_plus_").replace("/", "_")
    job_path, result_path, log_path = (workdir / f"{stem}.job.json", workdir / f"{stem}.result.json",
                                       workdir / f"{stem}.log")
    result_path.unlink(missing_ok=True)
    job_path.write_text(json.dumps({"entry": entry.to_dict(), "config": cfg.to_dict(),
                                    "data_dir": str(data_dir)}))
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=path)
    with open(log_path, "w") as log:
        try:
            proc = subprocess.run([sys.executable, "-m", "benchmarks.train_bench.worker", str(job_path), str(result_path)],
                                  stdout=log, stderr=subprocess.STDOUT, env=env, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise DephnError(f"bench: {entry.name} ran past {timeout_s:.0f} s; log: {log_path}") from None
    if proc.returncode != 0 or not result_path.is_file():
        tail = log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:]
        raise DephnError(f"bench: {entry.name} failed (exit {proc.returncode}); end of its log:\n{tail}")
    return Measurement.from_dict(json.loads(result_path.read_text()))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m benchmarks.train_bench.worker JOB.json RESULT.json", file=sys.stderr)
        return 2
    baseline = peak_rss_mib()           # torch and dephn imported, nothing else yet
    job = json.loads(Path(argv[0]).read_text())
    try:
        m = run_job(job)
    except DephnError as e:
        print(f"train_bench worker: error: {e}", file=sys.stderr)
        return 1
    m.peak_rss_mib, m.baseline_rss_mib = peak_rss_mib(), baseline   # last: after training and evaluation
    Path(argv[1]).write_text(json.dumps(m.to_dict()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

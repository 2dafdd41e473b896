"""One benchmark run: every entry, in interleaved rounds, each in a fresh process; then the notes.

Rounds interleave the entries (round r starts r places further down the list), so a burst of
load from the machine's other users falls on different entries in different rounds instead of
on one entry's every epoch.
"""
from __future__ import annotations

import datetime as _dt
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Callable

import torch

from dephn.data.encoded import EncodedDataset
from dephn.train.device import resolve_device, resolve_precision

from .measure import Measurement
from .ours import train_ours
from .peers import train_peer
from .plan import BenchConfig, Entry
from .report import README, checks, render_section, results_json, summarize, update_readme, write_json
from .worker import dump_dataset, run_isolated


def round_order(entries: list[Entry], round_index: int) -> list[Entry]:
    """Entries of round `round_index` (0-based): the list rotated by that many places."""
    k = round_index % len(entries) if entries else 0
    return entries[k:] + entries[:k]


def machine_info() -> dict:
    info = {"cores": os.cpu_count(), "processor": platform.machine(), "platform": platform.platform(terse=True),
            "python": platform.python_version(), "torch": torch.__version__,
            "torch_threads": torch.get_num_threads()}
    if torch.cuda.is_available():
        info["cuda_device"] = torch.cuda.get_device_name(0)
    return info


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def data_info(data: EncodedDataset, description: str) -> dict:
    return {"name": data.name, "description": description, "fingerprint": data.fingerprint,
            "rows": {s: len(data.split(s)) for s in ("train", "valid", "test")},
            "tasks": list(data.schema.tasks), "sparse_fields": len(data.schema.sparse),
            "dense_fields": len(data.schema.dense), "vocab_rows": int(sum(data.vocab_sizes))}


def run_benchmark(cfg: BenchConfig, entries: list[Entry], data: EncodedDataset, out_dir: Path, *,
                  command: str, data_description: str = "", skipped: dict[str, str] | None = None,
                  isolate: bool = True, log: Callable[[str], None] | None = None) -> dict:
    """Measure every entry `cfg.repeats` times; write README.md's Training section and the JSON
    (the "Training on CUDA" section and train_results_cuda.json for a CUDA device).

    isolate=False trains in this process (tests; peak RSS is then not per entry and is left out).
    Returns the JSON payload (context, summaries, checks, measurements).
    """
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    device = resolve_device(cfg.device)          # fails early (DephnError) without the device
    context = {
        "command": command,
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_info(),
        "load_average": {"before": load_average(), "after": None},
        "config": cfg.to_dict(),
        "precision": resolve_precision(cfg.precision, device),
        "data": data_info(data, data_description or data.name),
        "entries": [e.to_dict() for e in entries],
        "skipped": dict(skipped or {}),
    }
    runs: dict[str, list[Measurement]] = {e.name: [] for e in entries}
    with tempfile.TemporaryDirectory(prefix="dephn-bench-") as tmp:
        data_dir = dump_dataset(data, Path(tmp) / "data") if isolate else None
        for r in range(cfg.repeats):
            for entry in round_order(entries, r):
                if isolate:
                    m = run_isolated(entry, cfg, data_dir, Path(tmp) / f"round{r + 1}")
                else:
                    m = (train_ours if entry.kind == "ours" else train_peer)(entry, data, cfg)
                runs[entry.name].append(m)
                best = m.best_epoch()
                aucs = ", ".join(f"{t} {a:.4f}" for t, a in m.test_auc.items())
                mem = "" if m.peak_rss_mib is None else f", peak {m.peak_rss_mib:,.0f} MiB"
                log(f"round {r + 1}/{cfg.repeats} {entry.name:>14s}: {best.rows_per_s:9,.0f} rows/s "
                    f"(best epoch), {best.step_ms:6.1f} ms/step{mem}, test AUC {aucs}")
    context["load_average"]["after"] = load_average()

    summaries = [summarize(runs[e.name]) for e in entries]
    items = checks({s.name: s for s in summaries})
    out_dir = Path(out_dir)
    update_readme(out_dir / README, render_section(context, summaries, items))
    write_json(out_dir / results_json(cfg.device), context, summaries, items, [m for e in entries for m in runs[e.name]])
    return {"context": context, "summaries": summaries, "checks": items, "runs": runs}


"""`dephn bench --copies C`: many runs as one.

C seeds of a model trained together as one vectorised model (`dephn.train.multicopy.fit_copies`)
against one separate `fit` run of the first seed, which a seed sweep would repeat C times. Both
are timed per training epoch (evaluation excluded) and summarised by their fastest epoch, as the
Training section is; the speed-up is (separate ms per step) / (vectorised ms per step / C). The
vectorised copy of the separate run's seed is that run again: its metrics are compared with it.
Everything runs in this process, separate and vectorised rounds interleaved.
"""
from __future__ import annotations

import datetime as _dt
import json
import sys
from pathlib import Path
from typing import Callable

import numpy as np

from ..data.encoded import EncodedDataset
from ..models import build_model
from ..train.loop import FitResult, fit
from ..train.multicopy import fit_copies
from ..train.seed import set_seed
from .outputs import README
from .plan import BenchConfig, Entry, model_config
from .report import update_readme
from .runner import load_average, machine_info

SECTION = "## Many runs as one"
RESULTS = "copies_results.json"


def fastest_step_ms(result: FitResult) -> float:
    """Milliseconds per step of the run's fastest epoch (`history` holds cumulative seconds)."""
    seconds = np.diff([0.0, *[r["seconds"] for r in result.history]])
    steps = np.diff([0, *[r["step"] for r in result.history]])
    return float(1000.0 * min(s / max(n, 1) for s, n in zip(seconds, steps)))


def train_separate(entry: Entry, data: EncodedDataset, cfg: BenchConfig) -> FitResult:
    generator = set_seed(cfg.seed)
    model = build_model(entry.model, data.feature_spec, model_config(entry))
    return fit(model, data, cfg.train_config(entry.vg), generator=generator, desc=entry.name)


def train_together(entry: Entry, data: EncodedDataset, cfg: BenchConfig, copies: int) -> list:
    models, generators = [], []
    for seed in range(cfg.seed, cfg.seed + copies):
        generators.append(set_seed(seed))
        models.append(build_model(entry.model, data.feature_spec, model_config(entry)))
    return fit_copies(models, data, cfg.train_config(entry.vg), generators=generators,
                      desc=f"{entry.name} x{copies}")


def compare(separate: FitResult, copy: FitResult) -> dict:
    """How far the vectorised copy of the separate run's seed is from that run."""
    def most(split: str, key: str) -> float:
        a, b = getattr(separate, split), getattr(copy, split)
        return float(max(abs(a[t][key] - b[t][key]) for t in a))
    losses = [abs(a["train_loss"] - b["train_loss"]) for a, b in zip(separate.history, copy.history)]
    return {"best_epoch": [separate.best_epoch, copy.best_epoch],
            "train_loss_max_abs_diff": float(max(losses, default=0.0)),
            "valid_auc_max_abs_diff": most("valid", "auc"), "test_auc_max_abs_diff": most("test", "auc"),
            "test_logloss_max_abs_diff": most("test", "logloss")}


def measure_entry(entry: Entry, data: EncodedDataset, cfg: BenchConfig, copies: int,
                  log: Callable[[str], None]) -> dict:
    """`cfg.repeats` interleaved rounds of (separate run, C copies together) of one entry."""
    separate_ms, together_ms, check = [], [], None
    for r in range(cfg.repeats):
        order = ("separate", "together") if r % 2 == 0 else ("together", "separate")
        for what in order:
            if what == "separate":
                sep = train_separate(entry, data, cfg)
                separate_ms.append(fastest_step_ms(sep))
            else:
                results = train_together(entry, data, cfg, copies)
                failed = [r for r in results if not isinstance(r, FitResult)]
                if failed:
                    raise failed[0]
                together_ms.append(fastest_step_ms(results[0]))
        check = compare(sep, results[0])
        log(f"round {r + 1}/{cfg.repeats} {entry.name:>10s}: separate {separate_ms[-1]:7.1f} ms/step, "
            f"{copies} together {together_ms[-1]:7.1f} ms/step ({together_ms[-1] / copies:6.1f} per copy)")
    best_sep, best_tog = min(separate_ms), min(together_ms)
    return {"name": entry.name, "model": entry.model, "vg": entry.vg, "copies": copies,
            "separate_step_ms": separate_ms, "together_step_ms": together_ms,
            "per_copy_step_ms": best_tog / copies, "speedup": best_sep / (best_tog / copies),
            "equality": check}


def render(context: dict, rows: list[dict]) -> str:
    """The "## Many runs as one" section of benchmarks/README.md."""
    m, cfg, c = context["machine"], context["config"], context["copies"]
    out = [SECTION, "",
           f"Measured {context['date']} with:", "", "```", context["command"], "```", "",
           f"- Machine: {m['cores']} cores ({m['processor']}, {m['platform']}), torch {m['torch']} "
           f"({m['torch_threads']} threads); load average {context['load_average']['before']} before, "
           f"{context['load_average']['after']} after (the machine is shared: ratios are read within "
           "one run, separate and vectorised rounds interleaved).",
           f"- {c} seeds ({cfg['seed']}..{cfg['seed'] + c - 1}) trained as one vectorised model "
           "(`dephn.train.multicopy.fit_copies`) vs one separate `fit` run of seed "
           f"{cfg['seed']} (a seed sweep runs it {c} times); {cfg['rows']:,} rows of {cfg['dataset']}, "
           f"batch {cfg['batch_size']}, {cfg['epochs']} epoch(s), {cfg['repeats']} round(s); "
           "fastest epoch of each, evaluation excluded.", "",
           "| entry | separate ms/step | together ms/step | per copy ms/step | speed-up per copy |",
           "|---|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['name']} | {min(r['separate_step_ms']):.1f} | {min(r['together_step_ms']):.1f} | "
                   f"{r['per_copy_step_ms']:.1f} | {r['speedup']:.2f}x |")
    out += ["", f"Equality: the vectorised copy of seed {cfg['seed']} against its separate run (last round):", "",
            "| entry | best epoch (separate, copy) | max abs diff train loss | valid AUC | test AUC | "
            "test log loss |", "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        e = r["equality"]
        out.append(f"| {r['name']} | {e['best_epoch'][0]}, {e['best_epoch'][1]} | "
                   f"{e['train_loss_max_abs_diff']:.1e} | {e['valid_auc_max_abs_diff']:.1e} | "
                   f"{e['test_auc_max_abs_diff']:.1e} | {e['test_logloss_max_abs_diff']:.1e} |")
    out += ["", "Equal means equal up to fp32 reduction order: vmap sums in another order. With batch norm "
            "(on at these sizes) the bias of a Linear before a BN layer has a zero gradient up to rounding, "
            "which Adam turns into steps of size lr in a direction the rounding picks; the training losses "
            "stay equal (BN removes the bias), but the running means, and so the evaluated metrics, drift "
            "by about as much as between two separate runs on 1 and 2 torch threads. Without batch norm "
            "the copies' losses and metrics equal their runs' to 1e-7 (`tests/train/test_multicopy.py`)."]
    return "\n".join(out) + "\n"


def render_json(out_dir: Path) -> None:
    """Rewrite the README section from OUT/copies_results.json (after the wording changed)."""
    payload = json.loads((Path(out_dir) / RESULTS).read_text())
    rows = payload.pop("entries")
    update_readme(Path(out_dir) / README, render(payload, rows))


def run_copies_benchmark(cfg: BenchConfig, entries: list[Entry], data: EncodedDataset, out_dir: Path,
                         copies: int, *, command: str, log: Callable[[str], None] | None = None) -> dict:
    """Measure every entry; write the README section and copies_results.json; return the payload."""
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    context = {"command": command, "copies": copies,
               "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "machine": machine_info(), "load_average": {"before": load_average(), "after": None},
               "config": cfg.to_dict()}
    rows = [measure_entry(e, data, cfg, copies, log) for e in entries]
    context["load_average"]["after"] = load_average()
    out_dir = Path(out_dir)
    update_readme(out_dir / README, render(context, rows))
    (out_dir / RESULTS).write_text(json.dumps({**context, "entries": rows}, indent=2) + "\n")
    return {"context": context, "entries": rows}

"""Summaries, the ratios with their targets, and the benchmark notes (markdown + JSON).

Targets (from the project's issue):
- DEPHN's virtual gradient costs at most 10% step time (dephn+vg / dephn <= 1.10);
- DEPHN (with the virtual gradient, the paper's model) steps in under 3x MMoE's time, and at
  most in the ratio of their counted matrix-product work (as fast per FLOP as MMoE);
- our MMoE trains at >= 2x torch-rechub's and >= 1x DeepCTR-Torch's MMoE rows/s;
- our MMoE's test AUC is no worse than the best peer's minus 0.002, on every task.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from dephn.fileio import json_default

from .measure import Measurement

README = "README.md"                # in the output folder (--out, default benchmarks/)
SECTION = "## Training"
CUDA_SECTION = "## Training on CUDA"
README_TITLE = "# Benchmarks"


def results_json(device: str) -> str:
    """train_results.json for CPU runs, train_results_cuda.json for CUDA runs."""
    return "train_results_cuda.json" if device.startswith("cuda") else "train_results.json"


VG_OVERHEAD_MAX = 1.10
DEPHN_OVER_MMOE_MAX = 3.0
OVER_RECHUB_MIN = 2.0
OVER_DEEPCTR_MIN = 1.0
AUC_TOLERANCE = 0.002


@dataclass
class Summary:
    """One entry over all its rounds."""

    name: str
    kind: str
    library: str
    rows_per_s: float          # fastest epoch over all rounds
    rows_per_s_mean: float     # total rows / total seconds over all epochs of all rounds
    step_ms: float             # the fastest epoch's mean step time
    peak_rss_mib: float | None # highest RSS high-water mark over rounds
    peak_gpu_mib: float | None # highest CUDA allocation over rounds (CUDA only)
    baseline_rss_mib: float | None  # lowest worker RSS at start (interpreter + torch + dephn)
    gflop_per_step: float | None  # matrix-product GFLOP of one training step (ours; None for peers)
    test_auc: dict[str, float] # per task, mean over rounds
    test_auc_range: dict[str, float]  # per task, max - min over rounds (0 when deterministic)
    selected_epochs: list[int] # epoch picked by valid AUC, per round
    parameters: int
    rounds: int
    device: str
    precision: str
    notes: list[str] = field(default_factory=list)


def _max_or_none(values):
    values = [v for v in values if v is not None]
    return max(values) if values else None


def summarize(runs: list[Measurement]) -> Summary:
    """Combine the rounds of one entry."""
    if not runs:
        raise ValueError("summarize needs at least one measurement")
    epochs = [e for m in runs for e in m.epochs]
    best = max(epochs, key=lambda e: e.rows_per_s)
    tasks = list(runs[0].test_auc)
    aucs = {t: [m.test_auc[t] for m in runs] for t in tasks}
    first = runs[0]
    return Summary(
        name=first.name, kind=first.kind, library=first.library,
        rows_per_s=best.rows_per_s,
        rows_per_s_mean=sum(e.rows for e in epochs) / max(sum(e.seconds for e in epochs), 1e-12),
        step_ms=best.step_ms,
        peak_rss_mib=_max_or_none(m.peak_rss_mib for m in runs),
        peak_gpu_mib=_max_or_none(m.peak_gpu_mib for m in runs),
        baseline_rss_mib=min((m.baseline_rss_mib for m in runs if m.baseline_rss_mib is not None), default=None),
        gflop_per_step=first.gflop_per_step,
        test_auc={t: float(np.mean(v)) for t, v in aucs.items()},
        test_auc_range={t: float(np.max(v) - np.min(v)) for t, v in aucs.items()},
        selected_epochs=[m.selected_epoch for m in runs], parameters=first.parameters,
        rounds=len(runs), device=first.device, precision=first.precision, notes=list(first.notes))


@dataclass
class Check:
    label: str                  # what is compared
    value: float | None         # the measured ratio / difference (None: not measured)
    target: str                 # e.g. "<= 1.10"
    passed: bool | None         # None when an input was not measured
    detail: str = ""

    @property
    def verdict(self) -> str:
        return "n/a" if self.passed is None else ("PASS" if self.passed else "FAIL")


def _ratio_check(summaries: dict[str, Summary], num: str, den: str, attr: str, what: str,
                 target: str, ok) -> Check:
    label = f"{num} / {den} {what}"
    missing = [n for n in (num, den) if n not in summaries]
    if missing:
        return Check(label, None, target, None, "not measured: " + ", ".join(missing))
    a, b = getattr(summaries[num], attr), getattr(summaries[den], attr)
    value = a / b
    detail = f"{a:,.0f} / {b:,.0f} rows/s" if attr == "rows_per_s" else f"{a:.1f} / {b:.1f} ms"
    return Check(label, value, target, bool(ok(value)), detail)


def work_check(summaries: dict[str, Summary], num: str, den: str) -> Check:
    """`num` / `den` step time against their counted work ratio (GFLOP per step): at or below it,
    `num` runs its arithmetic at least as fast per FLOP as `den`."""
    label = f"{num} / {den} step time vs work"
    missing = [n for n in (num, den) if n not in summaries or not summaries[n].gflop_per_step]
    if missing:
        return Check(label, None, "<= GFLOP ratio", None, "not measured: " + ", ".join(missing))
    a, b = summaries[num], summaries[den]
    value, work = a.step_ms / b.step_ms, a.gflop_per_step / b.gflop_per_step
    return Check(label, value, f"<= {work:.2f} (GFLOP ratio)", bool(value <= work),
                 f"{a.step_ms:.1f} / {b.step_ms:.1f} ms; {a.gflop_per_step:.2f} / {b.gflop_per_step:.2f} GFLOP")


def auc_check(ours: Summary | None, peers: list[Summary]) -> Check:
    """ours - best peer, per task; the check holds when every task is within the tolerance."""
    label, target = "mmoe test AUC - best peer's", f">= -{AUC_TOLERANCE}"
    if ours is None or not peers:
        return Check(label, None, target, None, "not measured: " + ("mmoe" if ours is None else "no peer"))
    diffs, parts = {}, []
    for task, auc in ours.test_auc.items():
        best = max(peers, key=lambda p: p.test_auc.get(task, -math.inf))
        diffs[task] = auc - best.test_auc[task]
        parts.append(f"{task}: {auc:.4f} vs {best.test_auc[task]:.4f} ({best.name})")
    worst = min(diffs.values())
    return Check(label, worst, target, bool(worst >= -AUC_TOLERANCE), "; ".join(parts))


def checks(summaries: dict[str, Summary]) -> list[Check]:
    peers = [v for v in summaries.values() if v.kind == "peer"]
    return [
        _ratio_check(summaries, "dephn+vg", "dephn", "step_ms", "step time",
                     f"<= {VG_OVERHEAD_MAX:.2f}", lambda v: v <= VG_OVERHEAD_MAX),
        _ratio_check(summaries, "dephn+vg", "mmoe", "step_ms", "step time",
                     f"< {DEPHN_OVER_MMOE_MAX:g}", lambda v: v < DEPHN_OVER_MMOE_MAX),
        work_check(summaries, "dephn+vg", "mmoe"),
        _ratio_check(summaries, "mmoe", "rechub-mmoe", "rows_per_s", "rows/s",
                     f">= {OVER_RECHUB_MIN:g}", lambda v: v >= OVER_RECHUB_MIN),
        _ratio_check(summaries, "mmoe", "deepctr-mmoe", "rows_per_s", "rows/s",
                     f">= {OVER_DEEPCTR_MIN:g}", lambda v: v >= OVER_DEEPCTR_MIN),
        auc_check(summaries.get("mmoe"), peers),
    ]


# -- markdown ------------------------------------------------------------------------

def _fmt(v, spec: str, none: str = "–") -> str:
    return none if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def results_table(summaries: list[Summary], tasks: list[str]) -> str:
    gpu = any(s.peak_gpu_mib is not None for s in summaries)
    head = (["model", "library", "rows/s (best epoch)", "rows/s (all epochs)", "step ms", "GFLOP/step",
             "peak RSS MiB"] +
            (["peak GPU MiB"] if gpu else []) + [f"test AUC {t}" for t in tasks])
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|"]
    for s in summaries:
        row = [s.name, s.library, _fmt(s.rows_per_s, ",.0f"), _fmt(s.rows_per_s_mean, ",.0f"),
               _fmt(s.step_ms, ".1f"), _fmt(s.gflop_per_step, ".2f"), _fmt(s.peak_rss_mib, ",.0f")]
        if gpu:
            row.append(_fmt(s.peak_gpu_mib, ",.0f"))
        row += [_fmt(s.test_auc.get(t), ".4f") for t in tasks]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def work_note(summaries: dict[str, Summary], num: str = "dephn+vg", den: str = "mmoe") -> str | None:
    """How much more matrix-product work `num` does per step than `den`, beside its time ratio.

    The work ratio is the time ratio to expect if both ran their products at the same speed;
    a time ratio below it means `num` runs its arithmetic faster than `den` does."""
    a, b = summaries.get(num), summaries.get(den)
    if a is None or b is None or not a.gflop_per_step or not b.gflop_per_step:
        return None
    work, time = a.gflop_per_step / b.gflop_per_step, a.step_ms / b.step_ms
    speed = lambda s: s.gflop_per_step / s.step_ms  # noqa: E731  GFLOP/ms = TFLOP/s
    return (f"Work per step: `{num}` does {a.gflop_per_step:.2f} GFLOP of matrix products per training step "
            f"(forward + backward, counted by `torch.utils.flop_counter`), `{den}` {b.gflop_per_step:.2f}: "
            f"{work:.2f}x the work, against {time:.2f}x the step time. Matrix-product throughput: "
            f"`{num}` {1000 * speed(a):.0f} GFLOP/s, `{den}` {1000 * speed(b):.0f} GFLOP/s (time spent "
            "outside products, e.g. embeddings and the optimizer, included).")


def checks_table(items: list[Check]) -> str:
    lines = ["| check | measured | target | result | detail |", "|---|---:|---|---|---|"]
    for c in items:
        value = "–" if c.value is None else (f"{c.value:+.4f}" if "AUC" in c.label else f"{c.value:.2f}x")
        lines.append(f"| {c.label} | {value} | {c.target} | **{c.verdict}** | {c.detail} |")
    return "\n".join(lines)


def section_heading(device: str) -> str:
    """CPU and CUDA figures live in separate sections, so a GPU run does not overwrite the CPU one."""
    return CUDA_SECTION if device.startswith("cuda") else SECTION


def render_section(context: dict, summaries: list[Summary], items: list[Check]) -> str:
    """The "## Training" (or "## Training on CUDA") section of benchmarks/README.md."""
    m, d, cfg = context["machine"], context["data"], context["config"]
    load = context["load_average"]
    rows = d["rows"]
    base = [s.baseline_rss_mib for s in summaries if s.baseline_rss_mib is not None]
    baseline = (f"; a worker holds {min(base):,.0f} MiB before it loads anything (Python, torch, dephn)"
                if base else "")
    out = [
        section_heading(cfg["device"]), "",
        f"Measured {context['date']} with:", "", "```", context["command"], "```", "",
        f"- Machine: {m['cores']} cores ({m['processor']}, {m['platform']}), torch {m['torch']} "
        f"({m['torch_threads']} threads), Python {m['python']}"
        + (f", GPU {m['cuda_device']}" if m.get("cuda_device") else "") + ".",
        f"- Load average (1/5/15 min) before: {load['before']}; after: {load['after']} — the machine is "
        "shared, so timings carry the neighbours' load.",
        f"- Data: `{d['name']}` ({d['description']}): {rows['train']:,} train / {rows['valid']:,} valid / "
        f"{rows['test']:,} test rows, tasks {', '.join(d['tasks'])}, {d['sparse_fields']} sparse + "
        f"{d['dense_fields']} dense fields.",
        f"- Hyper-parameters (every entry): batch {cfg['batch_size']}, {cfg['epochs']} epochs, embedding 16, "
        f"4 experts x 64, towers (32,), Adam lr {cfg['lr']:g}, seed {cfg['seed']}; device {cfg['device']}, "
        f"precision {context['precision']} (peers: fp32).",
        f"- Method: every entry trains in a fresh subprocess: peak RSS is its VmHWM at the end, data "
        f"included{baseline}. {cfg['repeats']} interleaved round(s) over all entries. rows/s (best epoch) is the "
        "fastest training epoch over all rounds (evaluation and data conversion untimed), step ms that "
        "epoch's time per step; rows/s (all epochs) is all rows over all training time, first epochs "
        "included. Test AUC is taken at the epoch of best mean valid AUC (what `dephn.train.fit` "
        "restores; the peer adapters apply the same rule), averaged over rounds.",
        "",
        results_table(summaries, d["tasks"]), "",
        checks_table(items), "",
        *([note, ""] if (note := work_note({s.name: s for s in summaries})) else []),
        READING, "",
    ]
    if context.get("remarks"):
        out += ["Remarks on this run:", ""] + [f"- {r}" for r in context["remarks"]] + [""]
    if context.get("skipped"):
        out += [f"Not measured: {'; '.join(f'{k}: {v}' for k, v in context['skipped'].items())}.", ""]
    out += ["How each entry trains:", ""]
    out += [f"- `{s.name}` ({s.library}): {' '.join(s.notes)}" for s in summaries]
    out += ["", "Raw per-epoch timings of every round: `train_results.json` beside this file.", ""]
    return "\n".join(out)


READING = (
    "Reading the numbers: on this shared 2-core machine a neighbour's job slows torch's two threads "
    "several-fold while it runs, so an entry's slow epochs say more about the neighbours than about the "
    "entry. The best epoch over all rounds is the figure compared; the all-epochs column shows how much "
    "load the run met (a large gap between the two columns means loaded epochs). A ratio within about "
    "20-35% of its target, or a virtual-gradient ratio below 1, is inside that noise. The peers differ "
    "from ours where their libraries fix the architecture: both feed the dense values raw into the "
    "experts (ours multiplies each by a learned vector that starts at unit norm), and torch-rechub puts "
    "BatchNorm after every hidden layer, gate and tower layer (ours: `batch_norm=True` in hidden layers, "
    "`gate_norm=\"batch\"` in gates). Which of these differences moves the AUC: section \"MMoE against "
    "torch-rechub, one difference at a time\".")


def rerender(out_dir: Path, device: str = "cpu", remarks: list[str] | None = None) -> None:
    """Rewrite the section and the JSON from the measurements already in the JSON (no training):
    for a changed notes template, or to add remarks about that run."""
    out_dir = Path(out_dir)
    path = out_dir / results_json(device)
    payload = json.loads(path.read_text())
    runs = [Measurement.from_dict(m) for m in payload["measurements"]]
    names = list(dict.fromkeys(m.name for m in runs))
    summaries = [summarize([m for m in runs if m.name == n]) for n in names]
    items = checks({s.name: s for s in summaries})
    context = {k: v for k, v in payload.items() if k not in ("summaries", "checks", "measurements")}
    if remarks is not None:
        context["remarks"] = list(remarks)
    update_readme(out_dir / README, render_section(context, summaries, items))
    write_json(path, context, summaries, items, runs)


def update_readme(path: Path, section: str) -> None:
    """Replace the section whose heading is `section`'s first line (up to the next "## "
    heading), append it if absent, create the file with its title if it does not exist.
    Other sections are left as they are."""
    path = Path(path)
    body = section.rstrip("\n").split("\n")
    heading = body[0].strip()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join([README_TITLE, "", *body]) + "\n")
        return
    lines = path.read_text().split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    if start is None:
        while lines and lines[-1] == "":
            lines.pop()
        new = lines + ["", *body]
    else:
        end = next((j for j in range(start + 1, len(lines)) if lines[j].startswith("## ")), len(lines))
        tail = lines[end:]
        new = lines[:start] + body + ([""] + tail if tail else [])
    path.write_text("\n".join(new).rstrip("\n") + "\n")


def write_json(path: Path, context: dict, summaries: list[Summary], items: list[Check],
               runs: list[Measurement]) -> None:
    payload = {**context, "summaries": [asdict(s) for s in summaries],
               "checks": [{**asdict(c), "result": c.verdict} for c in items],
               "measurements": [r.to_dict() for r in runs]}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, default=json_default) + "\n")

"""Criteo-R and Criteo-UR (paper §IV-A, docs/decisions.md#criteo-r-and-criteo-ur): two tasks from one base confidence.

A teacher (`dephn.data.teacher`) learns Criteo's click; its logit, standardised and scaled, is
the base confidence c of each row. Then
    Criteo-R   y_r  = sign(c) * 2 ln(|c| + 1) + 0.1 e^|c| + eps      (related task)
    Criteo-UR  y_ur = sign(c) * (2 sin|c| + 0.1 cos|c|)             (unrelated task)
Task 1's label is 1[c > t1], task 2's is 1[y > t2]. Decisions (the paper leaves them open):
- c = scale * (logit - mean) / std. The scale sets how far c reaches into the non-linear part of
  the relation, hence the correlation of c and y; scale="auto" finds the scale at which
  Pearson(c, y) equals the paper's 0.9877 (R) or 0.5288 (UR). Pearson(c, y) first rises with
  the scale (near 0 the noise, or the 0.1 sign(c) step, dominates), then falls as the relation
  bends; the search takes the first crossing past the peak, the non-linear side.
- eps ~ N(0, noise^2), only in y_r, as the paper writes it. Default noise 0.02: with 0.1,
  Pearson(c, y_r) peaks at 0.983 (50k normal draws) and the paper's 0.9877 is out of reach.
- Thresholds t1, t2 are quantiles giving each task the source's click rate (Criteo's balance).
- The label correlation (phi) is reported beside the continuous one.
- With a `teacher_source` the teacher learns on its rows, disjoint from the students' (the
  embedded default: other rows of the generator's world), and with an `eval_source` the same
  teacher, standardisation and thresholds label fresh evaluation rows that every run is scored on
  (docs/decisions.md#fresh-evaluation-rows). Without them (a user's Criteo file) the teacher
  learns on the source itself.
Output: a directory with `table.parquet` (the 39 source fields, the source click, the teacher
logit, confidence = c, target1 = c, target2 = y, the labels task1, task2), `eval.parquet` (the
same columns for the fresh rows, when built with them) and `summary.json`.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import DephnError
from . import cache
from . import teacher as teachers
from .encode import encode_stream, limit_rows
from .prefetch import prefetched
from .readers.base import Reader
from .readers.criteo import CRITEO_DENSE, CRITEO_SCHEMA, CRITEO_SPARSE, CriteoReader
from .schema import Schema

BUILDER_VERSION = 2   # 2: a teacher on its own rows, fresh evaluation rows
KINDS = ("r", "ur")
PAPER_CORRELATION = {"r": 0.9877, "ur": 0.5288}
TASKS = ("task1", "task2")
EXTRAS = ("confidence", "target1", "target2")
TABLE_FILE = "table.parquet"
EVAL_FILE = "eval.parquet"
SUMMARY_FILE = "summary.json"
_SEARCH_ROWS = 200_000


@dataclass
class BuildConfig:
    kind: str                                   # "r" (Criteo-R) or "ur" (Criteo-UR)
    scale: float | str = "auto"                 # c = scale * standardised teacher logit; "auto" hits target_corr
    target_corr: float | None = None            # Pearson(c, y) aimed at by "auto"; None = the paper's value
    noise: float = 0.02                         # std of eps in y_r (y_ur has none, as in the paper)
    min_count: int = 2                          # vocabulary threshold of the teacher's encoding
    teacher_epochs: int = 3                     # teacher training passes
    teacher_embed_dim: int = 8                  # teacher field embedding size
    teacher_hidden: tuple[int, ...] = (64, 32)  # teacher MLP widths
    teacher_lr: float = 2e-3                    # teacher learning rate
    teacher_max_rows: int | None = 2_000_000    # cap on the teacher's training rows
    seed: int = 0                               # teacher, holdout and noise

    def __post_init__(self):
        if self.kind not in KINDS:
            raise DephnError(f"kind must be one of {list(KINDS)}, got {self.kind!r}")
        if isinstance(self.scale, str) and self.scale != "auto":
            try:
                self.scale = float(self.scale)
            except ValueError:
                raise DephnError(f"scale must be 'auto' or a number, got {self.scale!r}") from None
        if not isinstance(self.scale, str) and not self.scale > 0:
            raise DephnError(f"scale must be > 0, got {self.scale}")
        if self.target_corr is None:
            self.target_corr = PAPER_CORRELATION[self.kind]
        if not 0.0 < self.target_corr < 1.0:
            raise DephnError(f"target_corr must be in (0, 1), got {self.target_corr}")
        if self.noise < 0:
            raise DephnError(f"noise must be >= 0, got {self.noise}")
        self.teacher_hidden = tuple(int(h) for h in self.teacher_hidden)

    def teacher_config(self):
        return teachers.TeacherConfig(embed_dim=self.teacher_embed_dim, hidden=self.teacher_hidden,
                                      epochs=self.teacher_epochs, lr=self.teacher_lr,
                                      max_train_rows=self.teacher_max_rows, seed=self.seed)


def relation_r(c: np.ndarray, eps: np.ndarray | float = 0.0) -> np.ndarray:
    """y_r = sign(c) * 2 ln(|c| + 1) + 0.1 e^|c| + eps (paper §IV-A)."""
    a = np.abs(c)
    return np.sign(c) * 2.0 * np.log1p(a) + 0.1 * np.exp(a) + eps


def relation_ur(c: np.ndarray) -> np.ndarray:
    """y_ur = sign(c) * (2 sin|c| + 0.1 cos|c|) (paper §IV-A)."""
    a = np.abs(c)
    return np.sign(c) * (2.0 * np.sin(a) + 0.1 * np.cos(a))


def targets(kind: str, c: np.ndarray, eps: np.ndarray | float = 0.0) -> np.ndarray:
    """Task 2's continuous target for confidence c ("r" or "ur")."""
    return relation_r(c, eps) if kind == "r" else relation_ur(c)


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    a = np.asarray(a, dtype=np.float64) - np.mean(a)
    b = np.asarray(b, dtype=np.float64) - np.mean(b)
    denom = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denom) if denom > 0 else 0.0


def find_scale(kind: str, z: np.ndarray, eps: np.ndarray, target: float) -> float:
    """Scale s with Pearson(s z, y(s z)) = target, on the falling side of the correlation's peak."""
    grid = np.geomspace(1e-3, 50.0, 400)
    corr = np.array([pearson(s * z, targets(kind, s * z, eps)) for s in grid])
    peak = int(np.argmax(corr))
    if corr[peak] < target:
        raise DephnError(f"Pearson(c, y) peaks at {corr[peak]:.4f} (scale {grid[peak]:.3g}), below the "
                         f"target {target}; lower the noise or the target correlation")
    below = np.flatnonzero(corr[peak:] <= target)
    if not len(below):
        raise DephnError(f"Pearson(c, y) never falls to {target} for scales up to {grid[-1]}")
    lo, hi = grid[peak + below[0] - 1], grid[peak + below[0]]
    for _ in range(60):  # bisection: corr(lo) > target >= corr(hi)
        mid = np.sqrt(lo * hi)
        if pearson(mid * z, targets(kind, mid * z, eps)) > target:
            lo = mid
        else:
            hi = mid
    return float(np.sqrt(lo * hi))


def base_confidence(source, config: BuildConfig, *, rows: int | None = None, on_bad_lines: str = "error",
                    cache_dir=None, teacher_source=None, eval_source=None) -> dict:
    """Train the teacher on the click of `teacher_source` (default: the source itself); return the
    logit and click of every source row (and of every `eval_source` row: `eval_logits`,
    `eval_click`) with the teacher's stats. With `cache_dir` the result is kept there (keyed by the
    sources' content and the teacher's settings): Criteo-R and Criteo-UR from one source share one
    teacher ("constant input characteristics")."""
    settings = {k: v for k, v in _jsonable_config(config).items() if k == "min_count" or k.startswith("teacher_")}
    settings.update(seed=config.seed, rows=rows, on_bad_lines=on_bad_lines, builder_version=BUILDER_VERSION)
    path = None
    if cache_dir is not None:
        key = cache.cache_key({"teacher": settings, "source": cache.content_hash(source),
                               **{k: cache.content_hash(v) for k, v in (("teacher_source", teacher_source),
                                                                        ("eval_source", eval_source)) if v}})
        path = Path(cache_dir) / "teachers" / f"teacher-{key[:20]}.npz"
        if path.is_file():
            with np.load(path) as f:
                return {k: f[k] if f[k].ndim else f[k].item() for k in f.files}
    reader = CriteoReader(teacher_source or source, on_bad_lines=on_bad_lines)
    encoder, splits = encode_stream(prefetched(reader.iter_tables()), CRITEO_SCHEMA, min_count=config.min_count,
                                    max_rows=None if teacher_source else rows)
    data = splits["train"]            # every row: the teacher keeps its own holdout
    click = np.asarray(data.labels[:, 0], dtype=np.float64)
    teacher = teachers.train_teacher(data.sparse, data.dense, click, encoder.vocab_sizes, config.teacher_config())
    base = {"logits": teacher.logits, "click": click, "auc": teacher.holdout_auc,
            "train_rows": teacher.train_rows, "holdout_rows": teacher.holdout_rows,
            "skipped_lines": reader.skipped_lines}
    if teacher_source is not None:    # the students' rows, which the teacher did not learn on
        base["logits"], base["click"], base["skipped_lines"] = _scored(teacher, encoder, source, rows, on_bad_lines)
    if eval_source is not None:
        base["eval_logits"], base["eval_click"], _ = _scored(teacher, encoder, eval_source, None, on_bad_lines)
    if path is not None:
        with cache.atomic_file(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, **base)
    return base


def _scored(teacher, encoder, path, rows: int | None, on_bad_lines: str):
    """(logits, click, skipped lines) of the first `rows` rows of a Criteo file the teacher did
    not learn on, encoded with the teacher's encoder."""
    reader = CriteoReader(path, on_bad_lines=on_bad_lines)
    parts = [encoder.transform(t) for t in limit_rows(reader.iter_tables(), rows)]
    logits = teacher.logits_of(np.concatenate([p.sparse for p in parts]), np.concatenate([p.dense for p in parts]))
    return logits, np.concatenate([p.labels[:, 0] for p in parts]).astype(np.float64), reader.skipped_lines


def build(source, out_dir, config: BuildConfig, *, rows: int | None = None, on_bad_lines: str = "error",
          teacher_cache=None, teacher_source=None, eval_source=None) -> dict:
    """Build Criteo-R/UR from a Criteo TSV into `out_dir` (atomically); return the summary.
    `teacher_cache`: where the teacher's logits are kept for reuse; `teacher_source`,
    `eval_source`: the teacher's own rows and fresh evaluation rows (see `base_confidence`)."""
    t0 = time.perf_counter()
    base = base_confidence(source, config, rows=rows, on_bad_lines=on_bad_lines, cache_dir=teacher_cache,
                           teacher_source=teacher_source, eval_source=eval_source)
    click, logit = base["click"], base["logits"]
    t_teacher = time.perf_counter() - t0
    std = float(logit.std())
    if not std > 0:
        raise DephnError("the teacher's logit is constant: no confidence to build tasks from")
    z = (logit - logit.mean()) / std                                     # (N,) standardised
    rng = np.random.default_rng([config.seed, 11])
    eps = config.noise * rng.standard_normal(len(z)) if config.kind == "r" else np.zeros(len(z))
    if config.scale == "auto":
        sub = rng.permutation(len(z))[:_SEARCH_ROWS]                    # the search runs on a sample
        scale = find_scale(config.kind, z[sub], eps[sub], config.target_corr)
    else:
        scale = float(config.scale)
    c = scale * z                                                        # (N,) base confidence
    y = targets(config.kind, c, eps)                                     # (N,) task 2 target
    rate = float(click.mean())
    t1, t2 = float(np.quantile(c, 1.0 - rate)), float(np.quantile(y, 1.0 - rate))
    task1, task2 = (c > t1).astype(np.int8), (y > t2).astype(np.int8)
    fresh = None
    if eval_source is not None:         # the same c, relation and thresholds on rows no one trained on
        c_e = scale * (base["eval_logits"] - logit.mean()) / std
        eps_e = (config.noise * np.random.default_rng([config.seed, 13]).standard_normal(len(c_e))
                 if config.kind == "r" else 0.0)
        y_e = targets(config.kind, c_e, eps_e)
        fresh = {"teacher_logit": base["eval_logits"], "confidence": c_e, "target1": c_e, "target2": y_e,
                 "task1": (c_e > t1).astype(np.int8), "task2": (y_e > t2).astype(np.int8)}

    summary = {
        "dataset": f"criteo-{config.kind}", "builder_version": BUILDER_VERSION, "rows": int(len(c)),
        "source": cache.fingerprint(source), "source_skipped_lines": int(base["skipped_lines"]),
        "positive_rate": {"source_click": round(rate, 6), "task1": round(float(task1.mean()), 6),
                          "task2": round(float(task2.mean()), 6)},
        "pearson_continuous": round(pearson(c, y), 6), "pearson_labels": round(pearson(task1, task2), 6),
        "target_corr": config.target_corr, "scale": scale, "scale_search": config.scale == "auto",
        "thresholds": {"task1": t1, "task2": t2}, "noise": config.noise if config.kind == "r" else 0.0,
        "teacher_auc": round(float(base["auc"]), 6),
        "teacher_rows": {"train": int(base["train_rows"]), "holdout": int(base["holdout_rows"]),
                         "own_rows": teacher_source is not None},
        "seconds": {"teacher": round(t_teacher, 2)}, "config": _jsonable_config(config),
    }
    added = {"teacher_logit": logit, "confidence": c, "target1": c, "target2": y,
             "task1": task1, "task2": task2}
    if fresh is not None:
        summary["eval"] = {"rows": len(c_e), "source": cache.fingerprint(eval_source),
                           "positive_rate": {t: round(float(fresh[t].mean()), 6) for t in TASKS},
                           "pearson_continuous": round(pearson(c_e, y_e), 6)}
    with cache.atomic_dir(out_dir) as tmp:
        _write_table(tmp / TABLE_FILE, CriteoReader(source, on_bad_lines=on_bad_lines), rows, added)
        if fresh is not None:
            _write_table(tmp / EVAL_FILE, CriteoReader(eval_source, on_bad_lines=on_bad_lines), None, fresh)
        summary["seconds"]["total"] = round(time.perf_counter() - t0, 2)
        (tmp / SUMMARY_FILE).write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return summary


def build_cached(source, cache_dir, config: BuildConfig, *, rows: int | None = None,
                 on_bad_lines: str = "error", teacher_source=None, eval_source=None) -> Path:
    """The built directory for (sources' content, config, rows), building it on first use."""
    extra = {k: cache.content_hash(v) for k, v in (("teacher_source", teacher_source), ("eval_source", eval_source))
             if v is not None}
    key = cache.cache_key({"builder_version": BUILDER_VERSION, "source": cache.content_hash(source),
                           "config": _jsonable_config(config), "rows": rows, "on_bad_lines": on_bad_lines, **extra})
    target = Path(cache_dir) / "built" / f"criteo-{config.kind}-{key[:20]}"
    if not (target / SUMMARY_FILE).is_file():
        if target.exists():
            cache.remove_entry(target)
        build(source, target, config, rows=rows, on_bad_lines=on_bad_lines, teacher_cache=cache_dir,
              teacher_source=teacher_source, eval_source=eval_source)
    return target


class SyntheticReader(Reader):
    """Reads a built Criteo-R/UR directory: tasks task1, task2; extras confidence, target1, target2.
    `fresh`: its fresh evaluation rows (`eval.parquet`) instead of the students' rows."""

    schema = Schema(tasks=TASKS, dense=CRITEO_DENSE, sparse=CRITEO_SPARSE)
    extras = EXTRAS

    def __init__(self, path, kind: str | None = None, fresh: bool = False):
        self.path = Path(path)
        summary_path, self.table_path = self.path / SUMMARY_FILE, self.path / (EVAL_FILE if fresh else TABLE_FILE)
        if not (summary_path.is_file() and self.table_path.is_file()):
            raise DephnError(f"{self.path} is not a built Criteo-R/UR directory "
                             f"(needs {SUMMARY_FILE} and {TABLE_FILE}; see `dephn data build`)")
        self.summary = json.loads(summary_path.read_text(encoding="utf-8"))
        built = self.summary.get("dataset")
        if kind is not None and built != f"criteo-{kind}":
            raise DephnError(f"{self.path} holds {built}, not criteo-{kind}")

    def sources(self) -> list[Path]:
        return [self.table_path, self.path / SUMMARY_FILE]

    def iter_tables(self, chunk_rows: int = 200_000) -> Iterator[pa.Table]:
        columns = [*TASKS, *CRITEO_DENSE, *CRITEO_SPARSE, *EXTRAS]
        for batch in pq.ParquetFile(self.table_path).iter_batches(batch_size=chunk_rows, columns=columns):
            yield pa.Table.from_batches([batch])

    def iter_chunks(self, chunk_rows: int = 200_000) -> Iterator[pd.DataFrame]:
        return (table.to_pandas() for table in self.iter_tables(chunk_rows))


def _write_table(path: Path, reader: CriteoReader, rows: int | None, added: dict[str, np.ndarray]):
    """Stream the source again and write it with the added per-row columns, in row order."""
    writer, offset = None, 0
    try:
        for table in limit_rows(reader.iter_tables(), rows):
            n = table.num_rows
            for name, values in added.items():
                table = table.append_column(name, pa.array(values[offset:offset + n]))
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
            offset += n
    finally:
        if writer is not None:
            writer.close()
    if offset != len(next(iter(added.values()))):  # the source changed between the two reads
        raise DephnError(f"{reader.path} changed while building: read {offset} rows the second time")


def _jsonable_config(config: BuildConfig) -> dict:
    d = asdict(config)
    d["teacher_hidden"] = list(config.teacher_hidden)
    return d

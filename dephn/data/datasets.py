"""Named data sets: `load_dataset` reads a source, encodes it, caches the arrays and returns them.

The names, their sources and the embedded default (a generated Criteo file) are tabled in
data/README.md; criteo-r/ur are built by `dephn.data.synthetic`. The first call writes a cache
entry (`dephn.data.cache`); later calls with the same sources and parameters memory-map it.
"""
from __future__ import annotations

import inspect
import time
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from ..errors import DephnError
from . import cache, generator, synthetic
from .encode import encode_stream, limit_rows
from .encoded import EncodedDataset, EncodedSplit
from .prefetch import prefetched
from .readers.aliccp import AliCCPReader
from .readers.aliexpress import AliExpressReader
from .readers.base import Reader
from .readers.convert import first_examples
from .readers.criteo import CriteoReader
from .readers.csv import CsvReader
from .readers.wechat import WeChatReader
from .split import (DEFAULT_FRACTIONS, SPLITS, SplitPlan, assign_splits, random_split, split_files,
                    split_plan)

DEFAULT_GENERATED_ROWS = 50_000
DEFAULT_MIN_COUNT = 2
EMBEDDED_SEED = 0          # the embedded default is one fixed data set; `seed` only moves the split
CHUNK_ROWS = 200_000
# Criteo-R/UR on the embedded default: the teacher's own rows and the fresh evaluation rows that
# replace the test split (docs/decisions.md#fresh-evaluation-rows); options of the same names set them
FRESH_ROWS = {"teacher_rows": 200_000, "eval_rows": 100_000}


@dataclass(frozen=True)
class _Entry:
    description: str
    reader: type[Reader] | None   # reader(path, **options); None for criteo-r/ur
    embedded: bool = False        # path=None means the generated Criteo default


_DATASETS: dict[str, _Entry] = {
    "criteo": _Entry("Criteo Kaggle TSV, task click", CriteoReader, embedded=True),
    "criteo-r": _Entry("Criteo-R: base confidence + related task (paper §IV-A)", None, embedded=True),
    "criteo-ur": _Entry("Criteo-UR: base confidence + unrelated task (paper §IV-A)", None, embedded=True),
    "aliccp": _Entry("Ali-CCP, tasks click and purchase", AliCCPReader),
    "aliexpress": _Entry("AliExpress, tasks click and conversion", AliExpressReader),
    "wechat": _Entry("WeChat Big Data Challenge 2021", WeChatReader),
    "csv": _Entry("any CSV with a declared schema", CsvReader),
}
_SYNTHETIC = {"criteo-r": "r", "criteo-ur": "ur"}


def dataset_names() -> list[str]:
    """Every name `load_dataset` accepts."""
    return list(_DATASETS)


def dataset_descriptions() -> dict[str, str]:
    """{name: one line about the data set}."""
    return {name: entry.description for name, entry in _DATASETS.items()}


def load_dataset(name: str, path=None, *, cache_dir=None, seed: int = 0, rows: int | None = None,
                 min_count: int = DEFAULT_MIN_COUNT, split=DEFAULT_FRACTIONS, split_method: str | None = None,
                 split_seed: int | None = None, on_bad_lines: str = "error", **reader_options) -> EncodedDataset:
    """Encode (or load from the cache) a named data set.

    path: a source file (or folder, per reader); a mapping {train, valid, test} of the user's own
        split files; None for the embedded default (criteo*).
    seed: the split's seed unless `split_seed` is given. rows: for the embedded default, rows
        generated (default 50,000); for a file, its first `rows` rows are read.
    split, split_method, split_seed: fractions and/or "hash" | "random" (see `dephn.data.split`).
    on_bad_lines: "error" or "skip"; skips are recorded in meta["skipped_lines"] and
        meta["skipped_examples"] (data/README.md, "Bad lines").
    reader_options: passed to the reader; for criteo-r/ur, `synthetic.BuildConfig` fields.
    """
    if name not in _DATASETS:
        raise DephnError(f"unknown data set {name!r}; known: {', '.join(dataset_names())}")
    cache_dir = Path(cache_dir or cache.default_cache_dir())
    plan = _split_plan(path, split, split_method, seed, split_seed)
    if rows is not None and rows < 1:
        raise DephnError(f"rows must be >= 1, got {rows}")
    if min_count < 1:
        raise DephnError(f"min_count must be >= 1, got {min_count}")
    files = split_files(path)
    readers, extra_meta, max_rows = _open_readers(name, path, files, cache_dir, rows, on_bad_lines, reader_options)

    first = next(iter(readers.values()))
    sources = [cache.fingerprint(p) for r in readers.values() for p in r.sources()]
    params = {  # with the sources' content, what the arrays depend on
        "dataset": name, "min_count": min_count, "dense_transform": first.dense_transform,
        "split": plan.describe() if files is None else "files", "rows": max_rows, "on_bad_lines": on_bad_lines,
        "reader_options": {k: _option_key(v) for k, v in sorted(reader_options.items())},
        "builder": extra_meta.pop("builder_config", None),
    }
    key = cache.cache_key({"sources": [s["blake2b"] for s in sources], "params": params})
    target = cache_dir / f"{name}-{key[:20]}"
    hit = cache.load_cached(target)
    if hit is not None:
        return hit[0]
    if target.exists():  # damaged or from an older format: rebuild it
        cache.remove_entry(target)

    t0 = time.perf_counter()
    # the arrays are built straight into the entry's memory-mapped files: never held twice in
    # memory; a failure leaves no entry behind
    with cache.atomic_dir(target) as tmp:
        encoder, splits, skipped = _encode(readers, min_count, plan, max_rows, allocate=cache.array_allocator(tmp))
        meta = {
            "dataset": name, "rows": {s: len(splits[s]) for s in SPLITS},
            "positive_rate": {s: _positive_rates(splits[s], first.schema.tasks) for s in SPLITS},
            "sources": sources, "fingerprint_parts": params,
            "split": ({"files": {s: str(files[s]) for s in SPLITS}} if files is not None else plan.describe()),
            "encoding": {"min_count": min_count, "dense_transform": first.dense_transform,
                         "oov_id": 0, "missing": "sparse -> id 0 (OOV); dense -> 0.0", "vocab_fitted_on": "train",
                         "vocab_sizes": dict(zip(first.schema.sparse, encoder.vocab_sizes))},
            "skipped_lines": skipped["count"], "skipped_examples": skipped["examples"],
            "encode_seconds": round(time.perf_counter() - t0, 3), **extra_meta,
        }
        dataset = EncodedDataset(name=name, schema=first.schema, vocab_sizes=encoder.vocab_sizes,
                                 train=splits["train"], valid=splits["valid"], test=splits["test"],
                                 fingerprint=key, meta=meta)
        cache.write_entry(tmp, dataset, encoder)
        del dataset, splits   # from here on the memory-mapped copy under the entry's final name serves
    loaded = cache.load_cached(target)
    if loaded is None:  # only if the disk is failing under us
        raise DephnError(f"cache entry {target} could not be read back after writing")
    return loaded[0]


def load_encoder(dataset: EncodedDataset, cache_dir=None):
    """The fitted `Encoder` saved with `dataset` (to encode new data for inference)."""
    cache_dir = Path(cache_dir or cache.default_cache_dir())
    hit = cache.load_cached(cache_dir / f"{dataset.name}-{dataset.fingerprint[:20]}")
    if hit is None:
        raise DephnError(f"no cache entry for {dataset.name} {dataset.fingerprint[:20]} in {cache_dir}")
    return hit[1]


def embedded_criteo(cache_dir, rows: int | None = None, stream: int = 0) -> tuple[Path, dict]:
    """The generated default Criteo file (written once, atomically) and a meta note about it;
    `stream` > 0: other rows of the same generated world (`generator.generate_criteo`)."""
    rows = DEFAULT_GENERATED_ROWS if rows is None else rows
    drawn = f"-stream{stream}" if stream else ""
    name = f"criteo-{rows}rows-seed{EMBEDDED_SEED}{drawn}-v{generator.GENERATOR_VERSION}.txt"
    path = Path(cache_dir) / "generated" / name
    if not path.is_file():
        with cache.atomic_file(path) as tmp:
            generator.write_criteo(tmp, rows, EMBEDDED_SEED, stream)
    return path, {"embedded_default": {"generator_version": generator.GENERATOR_VERSION, "rows": rows,
                                       "seed": EMBEDDED_SEED, "path": str(path)}}


def _split_plan(path, split, method, seed, split_seed) -> SplitPlan:
    """The split of one source; for split files, a check that nothing asks for another split."""
    if split_files(path) is None:
        return split_plan(split, method, seed, split_seed)
    if "random" in (split, method) or split_seed is not None:
        raise DephnError("the train/valid/test files are the split: split='random' and split_seed are for "
                         "one source file")
    return split_plan(split, method, 0)   # validates the fractions; unused


def _construct(cls, path, on_bad_lines: str, options: dict):
    """cls(path, on_bad_lines=..., **options), with unknown options as a DephnError."""
    params = inspect.signature(cls).parameters
    unknown = sorted(k for k in options if k not in params)
    if unknown:
        accepted = sorted(k for k, p in params.items() if p.kind is p.KEYWORD_ONLY or
                          (p.kind is p.POSITIONAL_OR_KEYWORD and k != "path"))
        raise DephnError(f"{cls.__name__} does not take option(s) {unknown}; it takes {accepted}")
    return cls(path, on_bad_lines=on_bad_lines, **options)


def _open_readers(name, path, files, cache_dir, rows, on_bad_lines, options) -> tuple[dict, dict, int | None]:
    """({"all": reader} or {split: reader}, meta about the source, rows still to cap while encoding)."""
    if name in _SYNTHETIC:
        return _synthetic_readers(name, path, files, cache_dir, rows, on_bad_lines, options)
    entry = _DATASETS[name]
    if path is None:
        if not entry.embedded:
            raise DephnError(f"{name} needs a path to its data (see data/README.md)")
        source, meta = embedded_criteo(cache_dir, rows)   # `rows` chose the generated file
        return {"all": _construct(entry.reader, source, on_bad_lines, options)}, meta, None
    if files is not None:
        return {s: _construct(entry.reader, files[s], on_bad_lines, options) for s in SPLITS}, {}, rows
    return {"all": _construct(entry.reader, Path(path), on_bad_lines, options)}, {}, rows


def _option_key(value) -> str:
    """How a reader option enters the cache key: a file (e.g. a CSV spec) by its content."""
    if isinstance(value, (str, Path)) and len(str(value)) < 4096 and Path(value).is_file():
        return f"file:{cache.content_hash(value)}"
    return repr(value)


def _synthetic_readers(name, path, files, cache_dir, rows, on_bad_lines, options):
    """({"all": reader of the built table}, meta, rows still to cap) for criteo-r / criteo-ur."""
    kind = _SYNTHETIC[name]
    if files is not None:
        raise DephnError(f"{name} is built from one Criteo file; its split is by fractions, not split files")
    meta: dict = {}
    if path is not None and (Path(path) / "summary.json").is_file():   # a table built earlier
        if options:
            raise DephnError(f"{path} is already built; builder options {sorted(options)} apply to a Criteo file")
        built, max_rows = Path(path), rows
    else:
        if path is not None and set(FRESH_ROWS) & set(options):
            raise DephnError(f"{name}: {', '.join(FRESH_ROWS)} are rows of the embedded generator, not of {path}")
        options = dict(options)
        own = {k: int(options.pop(k, default)) for k, default in FRESH_ROWS.items()}
        try:
            config = synthetic.BuildConfig(kind=kind, **options)
        except TypeError as e:
            raise DephnError(f"bad {name} builder option: {e}") from None
        if min(own.values()) < 1:
            raise DephnError(f"{name}: teacher_rows and eval_rows must be >= 1, got {own}")
        fresh = {}
        if path is None:  # `rows` chooses the generated file; the teacher and the evaluation get their own rows
            source, meta = embedded_criteo(cache_dir, rows)
            fresh = {"teacher_source": embedded_criteo(cache_dir, own["teacher_rows"], stream=1)[0],
                     "eval_source": embedded_criteo(cache_dir, own["eval_rows"], stream=2)[0]}
            build_rows = None
        else:             # `rows` caps the source rows the build reads
            source, build_rows = Path(path), rows
            if not source.is_file():
                raise DephnError(f"{name}: Criteo file not found: {source}"
                                 + (" (a folder, but no built table: its summary.json is missing)"
                                    if source.is_dir() else ""))
        built = synthetic.build_cached(source, cache_dir, config, rows=build_rows, on_bad_lines=on_bad_lines,
                                       **fresh)
        max_rows = None
    reader = synthetic.SyntheticReader(built, kind=kind)
    meta["builder"] = reader.summary
    meta["builder_config"] = reader.summary.get("config")
    readers = {"all": reader}
    if "eval" in reader.summary:      # every run is scored on the fresh rows: they replace the test split
        readers["eval"] = synthetic.SyntheticReader(built, kind=kind, fresh=True)
    return readers, meta, max_rows


def stream_chunks(reader: Reader, chunk_rows: int = CHUNK_ROWS):
    """A reader's chunks, read ahead in a background thread (`dephn.data.prefetch`); as pyarrow
    Tables when the reader streams them (`iter_tables`), skipping the pandas round trip."""
    chunks = reader.iter_tables(chunk_rows) if hasattr(reader, "iter_tables") else reader.iter_chunks(chunk_rows)
    return prefetched(chunks)


def _encode(readers: dict, min_count: int, plan: SplitPlan, max_rows, allocate=None):
    first = next(iter(readers.values()))
    common = dict(extras=tuple(first.extras), dense_transform=first.dense_transform, min_count=min_count,
                  allocate=allocate)
    if "all" in readers:
        if plan.method == "random":  # needs the row count: the ids are drawn once every row is read
            split = {"split_rows": partial(random_split, plan.seed, fractions=plan.fractions)}
        else:
            split = {"split_of": partial(assign_splits, plan.seed, fractions=plan.fractions)}
        encoder, splits = encode_stream(stream_chunks(first), first.schema, max_rows=max_rows, **split, **common)
        if "eval" in readers:
            splits["test"] = _transform_all(encoder, readers["eval"], None)
    else:  # the user's own files: fit on train, then apply to valid and test
        encoder, fitted = encode_stream(stream_chunks(readers["train"]), first.schema, max_rows=max_rows, **common)
        splits = {"train": fitted["train"]}
        for s in ("valid", "test"):
            splits[s] = _transform_all(encoder, readers[s], max_rows)
    skipped = {"count": sum(int(getattr(r, "skipped_lines", 0)) for r in readers.values()),
               "examples": first_examples(getattr(r, "skipped_examples", []) for r in readers.values())}
    return encoder, splits, skipped


def _transform_all(encoder, reader: Reader, max_rows) -> EncodedSplit:
    with closing(stream_chunks(reader)) as chunks:
        parts = [encoder.transform(chunk) for chunk in limit_rows(chunks, max_rows)]
    if not parts:
        raise DephnError(f"{reader.sources()[0]}: no rows")
    joined = {a: np.concatenate([getattr(p, a) for p in parts]) for a in ("sparse", "dense", "labels")}
    return EncodedSplit(**joined, extras={k: np.concatenate([p.extras[k] for p in parts]) for k in parts[0].extras})


def _positive_rates(part: EncodedSplit, tasks) -> dict[str, float | None]:
    if len(part) == 0:
        return {t: None for t in tasks}
    rates = np.asarray(part.labels, dtype=np.float64).mean(axis=0)
    return {t: round(float(r), 6) for t, r in zip(tasks, rates)}

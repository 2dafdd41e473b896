"""The processed-data cache: encoded arrays as .npy (memory-mapped on load) plus JSON (data/README.md).

An entry is a directory named by a key: a hash of the sources' content fingerprints (blake2b of every
byte, never size + mtime), the encoding parameters and `DATA_FORMAT_VERSION` (bump it whenever the
arrays a given input produces change). Entries are written atomically (`dephn.fileio.atomic_dir`):
built beside their final place and renamed in when complete, so a half entry is never trusted.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import DephnError
from ..fileio import atomic_dir, atomic_file  # noqa: F401  (the cache's writers, used as cache.atomic_*)
from .encode import Encoder
from .encoded import EncodedDataset, EncodedSplit
from .split import SPLITS

DATA_FORMAT_VERSION = 1
CACHE_ENV = "DEPHN_CACHE"
META_FILE = "meta.json"
ENCODER_FILE = "encoder.json"
_HASH_BLOCK = 8 << 20


def default_cache_dir() -> Path:
    """$DEPHN_CACHE; else data/cache of the checkout the package runs from (notebooks share the
    command line's cache); else ~/.cache/dephn for an installed package."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "dephn").is_dir():
        return root / "data" / "cache"
    return Path.home() / ".cache" / "dephn"


def content_hash(path) -> str:
    """blake2b hex digest of a file's bytes."""
    h = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as f:
        while block := f.read(_HASH_BLOCK):
            h.update(block)
    return h.hexdigest()


def fingerprint(path) -> dict:
    """What identifies a source file: its content hash and size (the path is for people only)."""
    p = Path(path)
    if p.is_dir():  # a directory source (e.g. a built table): every file in it, by relative name
        files = sorted(q for q in p.rglob("*") if q.is_file())
        parts = {str(q.relative_to(p)): content_hash(q) for q in files}
        digest = hashlib.blake2b(json.dumps(parts, sort_keys=True).encode(), digest_size=20).hexdigest()
        return {"path": str(p), "bytes": sum(q.stat().st_size for q in files), "blake2b": digest}
    return {"path": str(p), "bytes": p.stat().st_size, "blake2b": content_hash(p)}


def cache_key(parts: dict) -> str:
    """Hex key of everything that determines a cache entry (JSON-serialisable `parts`)."""
    payload = json.dumps({"data_format_version": DATA_FORMAT_VERSION, **parts}, sort_keys=True, default=str)
    return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()


def _array_file(split: str, key: str) -> str:
    """File name of one array of an entry: key is "sparse", "dense", "labels" or "extra:<name>"."""
    return f"{split}.extra.{key[6:]}.npy" if key.startswith("extra:") else f"{split}.{key}.npy"


def _array_keys(extras) -> list[str]:
    return ["sparse", "dense", "labels"] + [f"extra:{e}" for e in extras]


def array_allocator(folder) -> Callable[[str, str, tuple, type], np.ndarray]:
    """`allocate(split, key, shape, dtype)`: a writable array that is already the entry's .npy file in
    `folder` (memory-mapped), so the encoder's rows go to disk through the page cache. Empty arrays
    stay in memory (a zero-length file cannot be mapped); `write_entry` saves them."""
    folder = Path(folder)

    def allocate(split: str, key: str, shape: tuple, dtype) -> np.ndarray:
        if int(np.prod(shape)) == 0:
            return np.empty(shape, dtype=dtype)
        return np.lib.format.open_memmap(folder / _array_file(split, key), mode="w+", dtype=dtype, shape=shape)

    return allocate


def write_entry(folder, dataset: EncodedDataset, encoder: Encoder) -> None:
    """Write `dataset` (+ its encoder) as a cache entry's files into `folder` (arrays already there
    from `array_allocator(folder)` are flushed, not copied)."""
    folder = Path(folder)
    extras = sorted(dataset.train.extras)
    for split in SPLITS:
        part = dataset.split(split)
        for key in _array_keys(extras):
            name = _array_file(split, key)
            arr = part.extras[key[6:]] if key.startswith("extra:") else getattr(part, key)
            if isinstance(arr, np.memmap) and arr.filename and Path(arr.filename) == (folder / name).resolve():
                arr.flush()
            else:
                np.save(folder / name, np.ascontiguousarray(arr))
    encoder.save(folder / ENCODER_FILE)
    meta = {"data_format_version": DATA_FORMAT_VERSION, "name": dataset.name, "fingerprint": dataset.fingerprint,
            "extras": extras, "meta": dataset.meta}
    # written last: a directory without it is incomplete (belt and braces with the rename)
    (folder / META_FILE).write_text(json.dumps(meta, indent=1, default=_plain), encoding="utf-8")


def save_dataset(target, dataset: EncodedDataset, encoder: Encoder) -> Path:
    """Write `dataset` (+ its encoder) as a cache entry at `target`, atomically."""
    target = Path(target)
    with atomic_dir(target) as tmp:
        write_entry(tmp, dataset, encoder)
    return target


def load_cached(target) -> tuple[EncodedDataset, Encoder] | None:
    """The cache entry at `target` (arrays memory-mapped), or None if absent or unusable."""
    target = Path(target)
    meta_path = target / META_FILE
    if not meta_path.is_file():
        return None
    try:
        info = json.loads(meta_path.read_text(encoding="utf-8"))
        if info.get("data_format_version") != DATA_FORMAT_VERSION:
            return None
        encoder = Encoder.load(target / ENCODER_FILE)
        splits = {}
        for split in SPLITS:
            arrays = {key: _load_array(target / _array_file(split, key)) for key in _array_keys(info["extras"])}
            splits[split] = EncodedSplit(
                sparse=arrays["sparse"], dense=arrays["dense"], labels=arrays["labels"],
                extras={k[6:]: v for k, v in arrays.items() if k.startswith("extra:")})
    except (OSError, ValueError, KeyError, DephnError):
        return None  # damaged entry: the caller rebuilds it
    dataset = EncodedDataset(name=info["name"], schema=encoder.schema, vocab_sizes=encoder.vocab_sizes,
                             train=splits["train"], valid=splits["valid"], test=splits["test"],
                             fingerprint=info["fingerprint"], meta=info["meta"])
    return dataset, encoder


def remove_entry(target) -> None:
    """Delete a (damaged) cache entry."""
    shutil.rmtree(target, ignore_errors=True)


def _load_array(path: Path) -> np.ndarray:
    arr = np.load(path, mmap_mode="r")
    if arr.size == 0:  # nothing to map; an ordinary empty array reads the same
        arr = np.load(path)
    return arr


def _plain(x):
    """numpy scalars/arrays and paths as JSON values (`json.dumps(default=...)`)."""
    if isinstance(x, (np.generic, np.ndarray)):
        return x.tolist()
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"{type(x).__name__} is not JSON serialisable")

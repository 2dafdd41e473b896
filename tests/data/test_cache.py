"""Cache: content fingerprints, atomic writes, round trip through memory-mapped .npy."""
from __future__ import annotations

import os

import numpy as np
import pytest

from dephn.data import cache
from dephn.data.encode import encode_stream
from dephn.data.encoded import EncodedDataset
from dephn.data.readers.criteo import CRITEO_SCHEMA, CriteoReader


def test_fingerprint_follows_content_not_size_and_mtime(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("0\t1\n")
    b.write_text("1\t1\n")                      # same size
    os.utime(b, (a.stat().st_atime, a.stat().st_mtime))
    assert cache.fingerprint(a)["blake2b"] != cache.fingerprint(b)["blake2b"]
    copy = tmp_path / "copy.txt"
    copy.write_bytes(a.read_bytes())
    assert cache.fingerprint(copy)["blake2b"] == cache.fingerprint(a)["blake2b"]


def test_cache_key_depends_on_every_part():
    base = {"sources": ["x"], "params": {"min_count": 2}}
    assert cache.cache_key(base) == cache.cache_key(dict(base))
    assert cache.cache_key(base) != cache.cache_key({"sources": ["x"], "params": {"min_count": 3}})


def test_atomic_dir_leaves_nothing_when_interrupted(tmp_path):
    target = tmp_path / "entry"
    with pytest.raises(RuntimeError):
        with cache.atomic_dir(target) as tmp:
            (tmp / "half.npy").write_bytes(b"...")
            raise RuntimeError("killed halfway")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_dir_keeps_an_entry_built_meanwhile(tmp_path):
    target = tmp_path / "entry"
    with cache.atomic_dir(target) as tmp:
        (tmp / "ours").write_text("ours")
        target.mkdir()
        (target / "theirs").write_text("theirs")
    assert [p.name for p in target.iterdir()] == ["theirs"]


def test_leftovers_of_killed_writers_go_once_a_day_old(tmp_path):
    target = tmp_path / "entry"
    old_dir, old_file = tmp_path / ".entry.tmp-killed", tmp_path / ".entry.tmp-file"
    fresh, other = tmp_path / ".entry.tmp-building", tmp_path / ".other.tmp-old"
    for d in (old_dir, fresh, other):
        d.mkdir()
    (old_dir / "half.npy").write_bytes(b"...")
    old_file.write_text("{")
    day_ago = cache.time.time() - cache.STALE_TEMP_SECONDS - 60
    for p in (old_dir, old_file, other):
        os.utime(p, (day_ago, day_ago))
    with cache.atomic_dir(target) as tmp:
        (tmp / "done").write_text("ok")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [".entry.tmp-building", ".other.tmp-old", "entry"]   # a live build and another entry's stay
    with cache.atomic_file(tmp_path / "other") as f:                     # files clean their own leftovers
        f.write_text("x")
    assert not other.exists()


def test_save_and_load_round_trip_memory_mapped(generated_criteo, tmp_path):
    encoder, splits = encode_stream(CriteoReader(generated_criteo(3000)).iter_tables(), CRITEO_SCHEMA,
                                    split_of=lambda start, n: (np.arange(start, start + n) % 10 == 0).astype(np.int8))
    ds = EncodedDataset(name="criteo", schema=CRITEO_SCHEMA, vocab_sizes=encoder.vocab_sizes, fingerprint="f" * 32,
                        meta={"rows": {"train": len(splits["train"])}, "x": np.float32(0.5)}, **splits)
    cache.save_dataset(tmp_path / "entry", ds, encoder)
    loaded, enc2 = cache.load_cached(tmp_path / "entry")
    assert isinstance(loaded.train.sparse, np.memmap)
    np.testing.assert_array_equal(loaded.train.sparse, splits["train"].sparse)
    np.testing.assert_array_equal(loaded.valid.labels, splits["valid"].labels)
    assert len(loaded.test) == 0 and loaded.test.sparse.shape == (0, 26)
    assert loaded.meta["x"] == 0.5 and loaded.fingerprint == "f" * 32
    assert enc2.vocabs == encoder.vocabs and loaded.vocab_sizes == encoder.vocab_sizes


def test_damaged_entries_are_not_trusted(generated_criteo, tmp_path):
    encoder, splits = encode_stream(CriteoReader(generated_criteo(3000)).iter_tables(), CRITEO_SCHEMA)
    ds = EncodedDataset(name="criteo", schema=CRITEO_SCHEMA, vocab_sizes=encoder.vocab_sizes,
                        fingerprint="f", meta={}, **splits)
    cache.save_dataset(tmp_path / "entry", ds, encoder)
    (tmp_path / "entry" / "valid.sparse.npy").unlink()
    assert cache.load_cached(tmp_path / "entry") is None
    assert cache.load_cached(tmp_path / "absent") is None

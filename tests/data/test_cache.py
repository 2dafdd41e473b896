"""Cache: content fingerprints, atomic writes, round trip through memory-mapped .npy."""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from dephn import fileio
from dephn.data import cache
from dephn.data.encode import encode_stream
from dephn.data.encoded import EncodedDataset
from dephn.data.readers.criteo import CRITEO_SCHEMA, CriteoReader
from tests.conftest import REPO


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


KILLED_WRITER = """
import os, signal, sys
from dephn.data import cache
with cache.atomic_{kind}(sys.argv[1]) as tmp:
    if "{kind}" == "dir":
        (tmp / "train.sparse.npy").write_bytes(b"half")
    else:
        tmp.write_text("half")
    os.kill(os.getpid(), signal.SIGKILL)      # e.g. SIGBUS when the disk fills under a memory map
"""


@pytest.mark.parametrize("kind", ["dir", "file"])
def test_a_killed_writers_temporary_goes_with_the_next_write_in_its_folder(tmp_path, kind):
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER.format(kind=kind), str(tmp_path / "entry-a")],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    left = sorted(p.name for p in tmp_path.iterdir())
    assert len(left) == 2 and left[0].startswith(".entry-a.") and left[1] == left[0] + ".lock"
    with cache.atomic_dir(tmp_path / "entry-b") as tmp:        # another entry: a later run, other options
        (tmp / "done").write_text("ok")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry-b"]


def test_a_live_writers_temporary_stays(tmp_path):
    with cache.atomic_dir(tmp_path / "entry-a") as building:
        (building / "half.npy").write_bytes(b"...")
        with cache.atomic_file(tmp_path / "other") as f:
            f.write_text("x")
        assert building.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry-a", "other"]


def test_an_older_versions_leftovers_go_once_a_day_old(tmp_path):
    old_dir, old_file = tmp_path / ".entry.tmp-killed01", tmp_path / ".x.json.abcdefgh.tmp"
    fresh, other = tmp_path / ".entry.tmp-building", tmp_path / ".notes.txt"
    for d in (old_dir, fresh):
        d.mkdir()
    (old_dir / "half.npy").write_bytes(b"...")
    old_file.write_text("{")
    other.write_text("not ours")
    day_ago = time.time() - fileio.STALE_TEMP_SECONDS - 60
    for p in (old_dir, old_file, fresh, other):
        os.utime(p, (day_ago, day_ago))
    os.utime(fresh, None)
    with cache.atomic_dir(tmp_path / "entry") as tmp:
        (tmp / "done").write_text("ok")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".entry.tmp-building", ".notes.txt", "entry"]


def test_a_full_disk_leaves_no_temporary(tmp_path):
    with pytest.raises(OSError, match="No space left"):
        with cache.atomic_dir(tmp_path / "entry") as tmp:
            (tmp / "train.sparse.npy").write_bytes(b"...")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    with pytest.raises(OSError, match="No space left"):
        with cache.atomic_file(tmp_path / "file") as tmp:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert list(tmp_path.iterdir()) == []


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

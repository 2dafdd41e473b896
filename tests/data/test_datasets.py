"""load_dataset: names, embedded default, splits, cache hits and interrupted builds."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dephn.data import cache, datasets, encode
from dephn.data.datasets import dataset_names, load_dataset, load_encoder
from dephn.data.readers.criteo import CriteoReader
from dephn.errors import DephnError


def test_names_and_unknown_name():
    assert {"criteo", "criteo-r", "criteo-ur", "aliccp", "aliexpress", "wechat", "csv"} <= set(dataset_names())
    with pytest.raises(DephnError, match=r"unknown data set 'imagenet'; known: criteo, criteo-r"):
        load_dataset("imagenet")


def test_criteo_file_meta(generated_criteo, tmp_path):
    path = generated_criteo(3000)
    ds = load_dataset("criteo", path, cache_dir=tmp_path)
    rows = ds.meta["rows"]
    assert sum(rows.values()) == 3000 and 2250 < rows["train"] < 2550
    assert ds.schema.tasks == ("click",) and ds.feature_spec.n_fields == 39
    rate = ds.meta["positive_rate"]["train"]["click"]
    assert rate == pytest.approx(float(np.mean(ds.train.labels)), abs=1e-6)
    assert ds.meta["sources"][0]["blake2b"] == cache.content_hash(path)
    assert ds.meta["encoding"]["min_count"] == 2 and ds.meta["skipped_lines"] == 0
    assert ds.train.sparse.dtype == np.int64 and ds.train.dense.dtype == np.float32
    assert int(ds.train.sparse.max(axis=0).max()) < max(ds.vocab_sizes)
    assert load_encoder(ds, tmp_path).vocab_sizes == ds.vocab_sizes


def test_second_load_does_not_read_the_source(generated_criteo, tmp_path, monkeypatch):
    path = generated_criteo(3000)
    first = load_dataset("criteo", path, cache_dir=tmp_path, seed=1)

    def boom(*args, **kwargs):
        raise AssertionError("the source was read again")

    monkeypatch.setattr(CriteoReader, "iter_tables", boom)
    monkeypatch.setattr(datasets, "encode_stream", boom)
    again = load_dataset("criteo", path, cache_dir=tmp_path, seed=1)
    assert isinstance(again.train.sparse, np.memmap)
    np.testing.assert_array_equal(again.train.sparse, first.train.sparse)
    assert again.fingerprint == first.fingerprint
    with pytest.raises(AssertionError, match="read again"):  # other parameters: another entry
        load_dataset("criteo", path, cache_dir=tmp_path, seed=2)


@pytest.mark.parametrize("where", ["array", "encoder"])
def test_interrupted_write_leaves_nothing_trusted(generated_criteo, tmp_path, monkeypatch, where):
    path = generated_criteo(3000)
    calls = {"n": 0}
    real_open, real_save = np.lib.format.open_memmap, cache.Encoder.save

    def dying_open(*args, **kwargs):       # the arrays are files of the entry from the start
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # the user pressing ^C in the middle of the write
        return real_open(*args, **kwargs)

    def dying_save(self, *args, **kwargs):  # every array written, the entry not yet complete
        raise KeyboardInterrupt

    if where == "array":
        monkeypatch.setattr(cache.np.lib.format, "open_memmap", dying_open)
    else:
        monkeypatch.setattr(cache.Encoder, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        load_dataset("criteo", path, cache_dir=tmp_path)
    monkeypatch.setattr(cache.np.lib.format, "open_memmap", real_open)
    monkeypatch.setattr(cache.Encoder, "save", real_save)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(("criteo", ".criteo"))]   # no entry, no temp
    ds = load_dataset("criteo", path, cache_dir=tmp_path)
    assert sum(ds.meta["rows"].values()) == 3000


def test_encoded_arrays_are_written_into_the_entry_not_copied(generated_criteo, tmp_path):
    """The arrays are memory-mapped files of the entry while the encoder fills them: the
    in-memory encoding and the cached one are the same numbers."""
    from dephn.data.encode import encode_stream
    from dephn.data.readers.criteo import CRITEO_SCHEMA, CriteoReader
    from dephn.data.split import assign_splits

    path = generated_criteo(2000)

    def encode(**kw):
        return encode_stream(CriteoReader(path).iter_chunks(500), CRITEO_SCHEMA,
                             split_of=lambda s, n: assign_splits(0, s, n), **kw)

    _, in_memory = encode()
    folder = tmp_path / "entry"
    folder.mkdir()
    _, mapped = encode(allocate=cache.array_allocator(folder))
    for split, part in mapped.items():
        assert isinstance(part.sparse, np.memmap) and (folder / f"{split}.sparse.npy").is_file()
        np.testing.assert_array_equal(part.sparse, in_memory[split].sparse)
        np.testing.assert_array_equal(part.dense, in_memory[split].dense)
        np.testing.assert_array_equal(part.labels, in_memory[split].labels)
    assert cache.array_allocator(folder)("test", "dense", (0, 13), np.float32).shape == (0, 13)  # empty: in memory


def test_damaged_entry_is_rebuilt(generated_criteo, tmp_path):
    path = generated_criteo(3000)
    ds = load_dataset("criteo", path, cache_dir=tmp_path)
    entry = tmp_path / f"criteo-{ds.fingerprint[:20]}"
    (entry / "train.sparse.npy").write_bytes(b"garbage")
    again = load_dataset("criteo", path, cache_dir=tmp_path)
    assert again.train.sparse.shape == ds.train.sparse.shape


def test_seed_moves_the_split_deterministically(generated_criteo, tmp_path):
    path = generated_criteo(3000)
    a = load_dataset("criteo", path, cache_dir=tmp_path, seed=0)
    b = load_dataset("criteo", path, cache_dir=tmp_path / "other", seed=0)
    c = load_dataset("criteo", path, cache_dir=tmp_path, seed=5)
    np.testing.assert_array_equal(a.valid.dense, b.valid.dense)
    assert a.meta["rows"] != c.meta["rows"] or not np.array_equal(a.valid.dense, c.valid.dense)


def test_user_split_files_fit_the_vocabulary_on_train(criteo_sample, tmp_path):
    files = {"train": criteo_sample / "train.txt", "valid": criteo_sample / "dev.txt",
             "test": criteo_sample / "test.txt"}
    ds = load_dataset("criteo", files, cache_dir=tmp_path, min_count=1)
    assert ds.meta["rows"] == {"train": 7200, "valid": 409, "test": 391}
    assert ds.meta["split"] == {"files": {s: str(p) for s, p in files.items()}}
    train_c3 = {line.split("\t")[16] for line in files["train"].read_text().splitlines()}
    dev_c3 = [line.split("\t")[16] for line in files["valid"].read_text().splitlines()]
    unseen = [i for i, v in enumerate(dev_c3) if v and v not in train_c3]
    assert unseen, "the sample's dev split has C3 values absent from train"
    assert (ds.valid.sparse[unseen, 2] == 0).all()          # C3 is sparse column 2
    seen = [i for i, v in enumerate(dev_c3) if v and v in train_c3]
    assert (ds.valid.sparse[seen, 2] > 0).all()


def test_rows_reads_only_the_head_of_a_file(generated_criteo, tmp_path):
    ds = load_dataset("criteo", generated_criteo(3000), cache_dir=tmp_path, rows=1000)
    assert sum(ds.meta["rows"].values()) == 1000


def test_skipped_lines_reach_the_meta(criteo_lines, write_text, tmp_path):
    lines = criteo_lines[:500]
    lines[10] = "oops"
    path = write_text("bad.txt", lines)
    with pytest.raises(DephnError, match="line 11"):
        load_dataset("criteo", path, cache_dir=tmp_path)
    ds = load_dataset("criteo", path, cache_dir=tmp_path, on_bad_lines="skip")
    assert ds.meta["skipped_lines"] == 1
    assert ds.meta["skipped_examples"] == [f"{path}, line 11: expected 40 tab-separated fields "
                                           "(label, I1..I13, C1..C26), got 1"]
    assert sum(ds.meta["rows"].values()) == 499


def test_embedded_default_is_generated_once(tmp_path, monkeypatch):
    ds = load_dataset("criteo", cache_dir=tmp_path, rows=2000)
    generated = list((tmp_path / "generated").iterdir())
    assert len(generated) == 1 and sum(ds.meta["rows"].values()) == 2000
    assert ds.meta["embedded_default"]["rows"] == 2000
    monkeypatch.setattr("dephn.data.generator.write_criteo", lambda *a, **k: pytest.fail("regenerated"))
    again = load_dataset("criteo", cache_dir=tmp_path, rows=2000, min_count=3)
    assert again.fingerprint != ds.fingerprint


def test_default_cache_dir_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DEPHN_CACHE", str(tmp_path / "c"))
    assert cache.default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("DEPHN_CACHE")
    repo = Path(cache.__file__).resolve().parents[2]
    assert cache.default_cache_dir() == repo / "data" / "cache"   # the checkout's, whatever the cwd


def test_reader_options_are_checked(generated_criteo, tmp_path):
    with pytest.raises(DephnError, match=r"CriteoReader does not take option\(s\) \['colour'\]"):
        load_dataset("criteo", generated_criteo(3000), cache_dir=tmp_path, colour="red")
    with pytest.raises(DephnError, match="needs a path"):
        load_dataset("aliccp", cache_dir=tmp_path)


def test_encode_stream_is_used_once_per_build(generated_criteo, tmp_path, monkeypatch):
    calls = []
    real = encode.encode_stream
    monkeypatch.setattr(datasets, "encode_stream", lambda *a, **k: calls.append(1) or real(*a, **k))
    load_dataset("criteo", generated_criteo(3000), cache_dir=tmp_path)
    load_dataset("criteo", generated_criteo(3000), cache_dir=tmp_path)
    assert calls == [1]


def test_a_spec_file_option_enters_the_key_by_content(tmp_path):
    data = tmp_path / "rows.csv"
    data.write_text("y,x,a\n" + "".join(f"{i % 2},{i},k{i % 3}\n" for i in range(60)))
    spec = tmp_path / "spec.json"
    spec.write_text('{"sep": ",", "header": true, "tasks": ["y"], "dense": ["x"], "sparse": ["a"]}')
    first = load_dataset("csv", data, cache_dir=tmp_path / "cache", spec=str(spec))
    assert first.schema.sparse == ("a",) and sum(first.meta["rows"].values()) == 60
    spec.write_text('{"sep": ",", "header": true, "tasks": ["y"], "dense": ["x"], "sparse": ["a"], '
                    '"dense_transform": "none"}')
    second = load_dataset("csv", data, cache_dir=tmp_path / "cache", spec=str(spec))
    assert second.fingerprint != first.fingerprint
    assert float(np.max(second.train.dense)) > float(np.max(first.train.dense))   # 59 vs log1p(59)


def test_a_failing_load_leaves_no_read_ahead_thread(criteo_lines, write_text, tmp_path):
    import threading

    lines = criteo_lines * 40                      # 288,000 lines: more than one chunk
    lines[250_000] = "broken"
    path = write_text("late.txt", lines)
    with pytest.raises(DephnError, match="line 250001"):       # the reader thread fails
        load_dataset("criteo", path, cache_dir=tmp_path)
    assert not any(t.name == "dephn-prefetch" for t in threading.enumerate())
    ds = load_dataset("criteo", path, cache_dir=tmp_path, rows=1000)   # the consumer stops early
    assert sum(ds.meta["rows"].values()) == 1000
    assert not any(t.name == "dephn-prefetch" for t in threading.enumerate())

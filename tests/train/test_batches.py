import numpy as np
import torch

from dephn.train.batches import BatchSource, split_nbytes


def _rows(batches):
    return sorted(int(x) for b in batches for x in b.sparse[:, 0])


def test_resident_and_streamed_sources_cover_every_row_once(tiny_data):
    split = tiny_data.train
    split.sparse[:, 0] = np.arange(len(split))          # row ids to follow rows
    g = torch.Generator().manual_seed(0)
    resident = BatchSource(split, torch.device("cpu"))
    streamed = BatchSource(split, torch.device("cpu"), chunk_rows=317)
    assert streamed.chunk_rows == 317 and resident.chunk_rows is None
    assert _rows(resident.batches(128, generator=g)) == list(range(len(split)))
    assert _rows(streamed.batches(128, generator=g)) == list(range(len(split)))
    assert streamed.steps_per_epoch(128) == len(list(streamed.batches(128)))
    assert resident.steps_per_epoch(128) == len(list(resident.batches(128)))


def test_for_split_streams_when_over_budget(tiny_data):
    split = tiny_data.train
    src = BatchSource.for_split(split, torch.device("cpu"), max_bytes=split_nbytes(split) / 10)
    assert src.chunk_rows is not None and src.chunk_rows < len(split)


def test_ranks_partition_each_global_batch(tiny_data):
    split = tiny_data.train
    split.sparse[:, 0] = np.arange(len(split))
    src = BatchSource(split, torch.device("cpu"))
    per_rank = [list(src.batches(100, generator=torch.Generator().manual_seed(3), rank=r, world=2))
                for r in range(2)]
    assert len(per_rank[0]) == len(per_rank[1])
    for b0, b1 in zip(*per_rank):
        assert abs(len(b0) - len(b1)) <= 1
    assert sorted(_rows(per_rank[0]) + _rows(per_rank[1])) == list(range(len(split)))

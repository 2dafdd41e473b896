"""Helpers for the reader tests: the shared real samples, reading a reader whole, writing small files."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import shared_data_dir


def sample(relative: str) -> Path:
    """A file of the shared real samples, or skip the test saying where it was looked for."""
    path = shared_data_dir() / relative
    if not path.is_file():
        pytest.skip(f"shared data sample {relative} not found under {shared_data_dir()} "
                    "(set DEPHN_SHARED_DATA to the folder holding the samples)")
    return path


def read_all(reader, chunk_rows: int = 200_000) -> pd.DataFrame:
    """Every chunk of a reader, concatenated (and checks each chunk respects chunk_rows)."""
    chunks = list(reader.iter_chunks(chunk_rows))
    assert all(0 < len(c) <= chunk_rows for c in chunks)
    return pd.concat(chunks, ignore_index=True)


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write `text` (exactly, "\\n" line endings) to tmp_path/name and return the path."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return path

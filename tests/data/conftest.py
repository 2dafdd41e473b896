"""Fixtures of the data tests: the real Criteo sample, small generated Criteo files, file writers.

- `criteo_sample`: the shared/data/criteo folder (train.txt, dev.txt, test.txt), skipped when absent.
- `criteo_lines`: the real sample's train.txt as a list of lines (skipped when absent).
- `generated_criteo`: factory `generated_criteo(rows=3000, seed=0) -> Path`, written once per
  (rows, seed) for the session.
- `write_text`: factory `write_text(name, lines_or_text) -> Path` into tmp_path.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from dephn.data.generator import write_criteo
from tests.conftest import shared_data_dir


@pytest.fixture(scope="session")
def criteo_sample() -> Path:
    folder = shared_data_dir() / "criteo"
    if not (folder / "train.txt").is_file():
        pytest.skip(f"the public Criteo sample is absent ({folder}; set DEPHN_SHARED_DATA)")
    return folder


@pytest.fixture(scope="session")
def criteo_lines(criteo_sample) -> list[str]:
    return (criteo_sample / "train.txt").read_text().splitlines()


@pytest.fixture(scope="session")
def generated_criteo(tmp_path_factory):
    made: dict[tuple[int, int], Path] = {}

    def make(rows: int = 3000, seed: int = 0) -> Path:
        if (rows, seed) not in made:
            path = tmp_path_factory.mktemp("generated") / f"criteo-{rows}-{seed}.txt"
            write_criteo(path, rows, seed)
            made[(rows, seed)] = path
        return made[(rows, seed)]

    return make


@pytest.fixture
def write_text(tmp_path):
    def write(name: str, content) -> Path:
        path = tmp_path / name
        text = content if isinstance(content, str) else "".join(line + "\n" for line in content)
        path.write_text(text)
        return path

    return write


@pytest.fixture
def one_torch_thread():
    """Run torch on one thread: on a busy 2-core machine two OpenMP threads can be 10x slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

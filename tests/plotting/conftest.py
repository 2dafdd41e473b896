"""Fixtures for the plotting tests: small synthetic inputs, no files but tmp_path."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def figure_values(trace, attr: str) -> np.ndarray:
    """A trace attribute as a numpy array (plotly may hold tuples, lists or arrays)."""
    return np.asarray(getattr(trace, attr), dtype=float)

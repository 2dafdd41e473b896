"""Fixtures for block tests: every test runs with one torch thread (restored afterwards)."""
import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    # tiny tensors gain nothing from intra-op threads; on a busy 2-core machine two
    # spinning threads per process cost several times the CPU time
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

"""Fixtures for block tests: every test runs with one torch thread (see tests/conftest.py)."""
import pytest


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    yield

"""prefetched: same items in order, producer errors re-raised, early exit stops the producer."""
from __future__ import annotations

import threading
import time

import pytest

from dephn.data.prefetch import prefetched


def test_items_arrive_in_order():
    assert list(prefetched(iter(range(100)), depth=3)) == list(range(100))
    assert list(prefetched([])) == []


def test_producer_error_is_raised_where_its_item_would_arrive():
    def items():
        yield 1
        yield 2
        raise ValueError("line 3: bad")

    got = []
    with pytest.raises(ValueError, match="line 3: bad"):
        for x in prefetched(items()):
            got.append(x)
    assert got == [1, 2]


def test_work_runs_ahead_in_another_thread():
    seen = []

    def items():
        for i in range(3):
            seen.append(threading.current_thread().name)
            yield i

    it = prefetched(items(), depth=2)
    assert next(it) == 0
    deadline = time.monotonic() + 2.0
    while len(seen) < 3 and time.monotonic() < deadline:  # items 1 and 2 are produced meanwhile
        time.sleep(0.01)
    assert len(seen) == 3 and set(seen) == {"dephn-prefetch"}
    assert list(it) == [1, 2]


def test_closing_early_stops_the_producer():
    produced = []

    def endless():
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1

    it = prefetched(endless(), depth=2)
    assert [next(it) for _ in range(3)] == [0, 1, 2]
    it.close()
    n = len(produced)
    time.sleep(0.3)
    assert len(produced) == n and n <= 3 + 2 + 1      # no more than what was buffered
    assert not any(t.name == "dephn-prefetch" for t in threading.enumerate())

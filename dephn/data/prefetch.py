"""Read ahead: the next chunk is produced in a background thread while the caller encodes this one
(parsing and encoding mostly run outside the GIL; see benchmarks/README.md for the gain).
"""
from __future__ import annotations

import queue
import threading
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")
_DONE = object()


def prefetched(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Iterate `items` with up to `depth` produced ahead in a thread; a producer's exception is raised
    where its item would have arrived, and closing the generator early stops the producer."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry) -> None:
        while not stop.is_set():
            try:
                buffer.put(entry, timeout=0.1)
                return
            except queue.Full:
                continue

    def produce():
        try:
            for item in items:
                if stop.is_set():
                    return
                put((item, None))
        except BaseException as e:  # handed to the consumer, raised there
            put((_DONE, e))
        else:
            put((_DONE, None))

    thread = threading.Thread(target=produce, name="dephn-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, error = buffer.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue, then let it end
            try:
                buffer.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)

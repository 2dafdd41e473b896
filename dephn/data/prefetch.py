"""Read ahead: produce the next chunk in a background thread while the caller encodes this one.

Parsing (pyarrow) and encoding (pyarrow kernels, numpy) both spend most of their time outside
the GIL, so on two cores a reader thread and the encoding thread overlap: a first load of 1M
Criteo rows took 3.4-3.5 s without and 2.7 s with read-ahead (benchmarks/README.md).
"""
from __future__ import annotations

import queue
import threading
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")
_DONE = object()


def prefetched(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Iterate `items` with up to `depth` of them produced ahead in a background thread.

    An exception in the producer is re-raised here, where the failing item would have arrived.
    Closing the returned generator early (break, error) stops the producer at its next item.
    """
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

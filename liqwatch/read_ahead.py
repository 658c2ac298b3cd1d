"""An iterator run on a thread of its own, a few items ahead of its consumer.

For work that spends its time outside Python's lock (reading a file, inflating gzip: zlib lets go
of the lock while it inflates), so that it runs beside the consumer's Python instead of between
its steps. The consumer sees the same items in the same order, and an exception the iterator
raises is raised to the consumer in its place in the sequence (after the items before it).
Closing the consumer's iterator early (a `break`, an error) stops the thread at its next item.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from queue import Full, Queue
from typing import TypeVar

T = TypeVar("T")

_POLL_S = 0.1  # how often a blocked producer looks whether its consumer has gone away


class _End:
    """The producer's last word: its exception, or None when it ran out of items."""

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


def read_ahead(items: Iterator[T], depth: int = 2, name: str = "liqwatch-read-ahead") -> Iterator[T]:
    """`items`, produced on a thread at most `depth` items ahead of the caller."""
    queue: Queue[T | _End] = Queue(maxsize=depth)
    gone = threading.Event()

    def offer(item: T | _End) -> bool:
        while not gone.is_set():
            try:
                queue.put(item, timeout=_POLL_S)
            except Full:
                continue
            return True
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return  # the consumer has gone
        except BaseException as exc:  # handed to the consumer, raised there
            offer(_End(exc))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator's own `finally` (its open file) runs now, on this thread
        offer(_End(None))

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = queue.get()  # the producer's every path ends with an _End while we are here
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        gone.set()
        thread.join()

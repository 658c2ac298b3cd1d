"""The store writer on a full disk (issue 16 item 3): retries back off exponentially whatever the
backlog (no longer ~100 attempts a second once 5,000 events wait); a shutdown flush tries once and
says it failed instead of waiting out the retries; writes resume when the store does."""

from __future__ import annotations

import time

from liqwatch.pipeline import StoreSink
from tests.feed.helpers import MemoryStore, event


def test_retries_back_off_at_any_backlog_and_resume() -> None:
    store = MemoryStore()
    store.fail_next = 10**9  # a full disk
    sink = StoreSink(store, interval=0.01, max_batch=100, retry_delay=0.05, max_retry_delay=0.2)
    started = time.monotonic()
    try:
        for i in range(60):  # 6,000 events waiting, well past max_batch: every write used to wake the retry
            sink.write([event(f"e{i}-{j}", ts=1_700_000_000_000 + j) for j in range(100)])
            time.sleep(0.01)
        time.sleep(0.4)
        attempts = sink.attempts
        elapsed = time.monotonic() - started
        # Failing at delays 0.05, 0.1, 0.2, 0.2, …: about one attempt per 0.2 s, not ~100 a second.
        assert 3 <= attempts <= 4 + elapsed / 0.2, (attempts, elapsed)
        assert sink.pending == 6_000 and sink.errors == attempts
        store.fail_next = 0  # room again
        assert sink.flush(timeout=10)
        assert store.count() == 6_000
    finally:
        sink.close()


def test_a_shutdown_flush_on_a_failing_store_tries_once_and_returns() -> None:
    store = MemoryStore()
    store.fail_next = 10**9
    sink = StoreSink(store, interval=0.01, retry_delay=30.0)  # the next retry would be far away
    try:
        sink.write([event("a", ts=1_700_000_000_000)])
        time.sleep(0.1)  # the first attempt failed; the next is 30 s away
        before = sink.errors
        assert sink.flush(timeout=20, until_error=True) is False
        assert sink.errors == before + 1  # tried at once, not after the 30 s backoff
        assert sink.last_error is not None and "database is locked" in sink.last_error
    finally:
        store.fail_next = 0
        sink.close()
    assert store.count() == 1  # close wrote it once the store took writes again

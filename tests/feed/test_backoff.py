from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liqwatch.feed.backoff import Backoff
from tests.feed.helpers import MaxJitter


def test_ceiling_doubles_from_one_second_up_to_a_minute() -> None:
    backoff = Backoff(rng=MaxJitter())
    assert [backoff.next_delay() for _ in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_reset_starts_over() -> None:
    backoff = Backoff(rng=MaxJitter())
    for _ in range(5):
        backoff.next_delay()
    backoff.reset()
    assert backoff.failures == 0
    assert backoff.next_delay() == 1


def test_seeded_jitter_is_reproducible() -> None:
    a, b = Backoff(seed=7), Backoff(seed=7)
    assert [a.next_delay() for _ in range(20)] == [b.next_delay() for _ in range(20)]


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=2**32))
def test_full_jitter_stays_within_zero_and_the_ceiling(failures: int, seed: int) -> None:
    backoff = Backoff(seed=seed)
    backoff.failures = failures
    ceiling = backoff.ceiling()
    assert ceiling == min(60.0, 2.0 ** min(failures, 64))
    assert 0.0 <= backoff.next_delay() <= ceiling


def test_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Backoff(initial=0)
    with pytest.raises(ValueError):
        Backoff(initial=10, cap=5)

"""Events as Arrow tables (liqwatch.store.event_arrow), the way an import's workers hand them to
DuckDB, hold the same rows and values as the events written one batch at a time."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liqwatch.model import LONG, SHORT, Liquidation
from liqwatch.store.event_arrow import distinct_sorted, event_table, usd_units
from liqwatch.store.shared import batch_rows

NOW = 1_795_000_000_000


def event(i: int, ts: int, key: int, usd: float | None = None) -> Liquidation:
    usd = 900.005 * i if usd is None else usd
    side = LONG if i % 2 else SHORT
    return Liquidation(
        "okx", "BTC-USDT-SWAP", "BTC", side, 90_000.5, 0.01 * i, usd, ts, ts + 1, "complete", f"okx:{key}"
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 40), st.integers(0, 30)), min_size=0, max_size=60))
def test_distinct_sorted_is_batch_rows_for_a_table(pairs: list[tuple[int, int]]) -> None:
    events = [event(i, NOW + t, key) for i, (t, key) in enumerate(pairs, start=1)]
    as_table: Any = distinct_sorted(event_table(events))
    assert as_table.equals(event_table(batch_rows(events)))


halves = st.integers(-(10**12), 10**12).map(lambda n: (n + 0.5) / 1e8)  # x.5 units: round half to even
usd_values = st.one_of(st.none(), st.floats(-1e10, 1e10), halves)


@settings(max_examples=80, deadline=None)
@given(st.lists(usd_values, min_size=1, max_size=40))
def test_the_table_s_units_are_the_rows_units(values: list[float | None]) -> None:
    events = [msgspec.structs.replace(event(i, NOW + i, i), usd=usd) for i, usd in enumerate(values, start=1)]
    assert event_table(events).column("usd_units").to_pylist() == usd_units(events)[1]


@pytest.mark.parametrize(
    ("usd", "says"), [(float("nan"), "not finite"), (float("inf"), "not finite"), (1e11, "out of range")]
)
def test_a_usd_no_store_holds_is_refused_by_name(usd: float, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        event_table([event(1, NOW, 1), event(2, NOW, 2, usd)])

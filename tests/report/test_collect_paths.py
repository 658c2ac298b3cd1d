"""The report reads a window's events once when they fit in memory, and by SQL when they do not:
both paths must give the same figures."""

from __future__ import annotations

import random
from pathlib import Path

from liqwatch.report import collect
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore
from tests.analytics.factories import ev

H = 3_600_000
AT = 1_767_225_600_000  # 2026-01-01T00:00Z


def test_the_sql_path_gives_the_figures_the_in_memory_path_gives(tmp_path: Path) -> None:
    rng = random.Random(7)
    events = [
        ev(
            AT - rng.randrange(0, 30 * H),
            round(rng.uniform(100, 2e6), 2),
            venue=rng.choice(["bybit", "okx", "binance_usdm"]),
            coin=rng.choice(["BTC", "ETH", "SOL"]),
            side=rng.choice(["long", "short"]),
            id=f"e{k}",
        )
        for k in range(400)
    ]
    with DuckDBStore(tmp_path / "c.duckdb") as store:
        store.write_events(events)
        in_memory = collect.window_view(list(store.events(EventFilter())), AT, ("24h", 24 * H))
        by_sql = collect._window_by_sql(store, AT, ("24h", 24 * H))
    assert in_memory.events is not None and len(in_memory.events) < len(events) and by_sql.events is None
    assert in_memory.summary.windows[-1].count > 100
    for name in ("summary", "current", "coin_current", "slices", "chart"):
        assert getattr(by_sql, name) == getattr(in_memory, name), name

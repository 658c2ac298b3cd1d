"""build_engine + seed_from_store against a real DuckDB store."""

from __future__ import annotations

from pathlib import Path

from liqwatch.alerts.wiring import build_engine, seed_from_store
from liqwatch.store.duckdb import DuckDBStore
from tests.analytics.factories import AT, ev

CONFIG = """
[alerts.sinks.console]
type = "stdout"

[[alerts.rules]]
kind = "window"
window = "1h"
above_usd = 3_000_000
"""


def test_a_restart_seeds_window_rules_from_the_store_without_alerting(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    assert build_engine(None) is None
    engine = build_engine(path, clock=lambda: AT)
    assert engine is not None
    with DuckDBStore(str(tmp_path / "s.duckdb")) as store:
        store.write_events([ev(AT - 2 * 3_600_000, 9e6, id="too-old"), ev(AT - 60_000, 3.5e6, id="recent")])
        assert seed_from_store(engine, store) == 1
    engine.write([ev(AT, 100.0, id="next")])
    assert engine.stats().raised == 0  # the breach was on before the restart

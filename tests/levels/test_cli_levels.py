"""`liqwatch levels map` over a store and `liqwatch levels backtest --tape generated`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from liqwatch.cli import app
from liqwatch.store.duckdb import DuckDBStore
from tests.levels.build import T0, H, bar, oi


def test_levels_map_from_the_store(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    store = DuckDBStore(db)
    store.write_candles([bar(i, 100_000 + 100 * i) for i in range(24)])
    store.write_stats(oi([1e6 + 1e5 * i for i in range(24)]))
    store.close()
    result = CliRunner().invoke(app, ["levels", "map", "--coin", "btc", "--at", str(T0 + 24 * H), "--json", "--db", db])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["coin"] == "BTC" and doc["model_version"] and doc["venues"] == ["binance_usdm"]
    assert doc["longs"]["total_usd"] > 0 and doc["shorts"]["total_usd"] > 0
    text = CliRunner().invoke(app, ["levels", "map", "--at", str(T0 + 24 * H), "--db", db])
    assert text.exit_code == 0 and "shorts above" in text.output
    # nothing to draw exits 1 (as `wallets pnl` does) with the real cause, not "run liqwatch run"
    early = CliRunner().invoke(app, ["levels", "map", "--at", str(T0), "--db", db])
    assert early.exit_code == 1 and "no hourly candles of BTC closed by" in early.output
    assert "the first stored one closes at" in early.output
    later = CliRunner().invoke(app, ["levels", "map", "--at", str(T0 + 90 * 24 * H), "--db", db])
    assert later.exit_code == 1 and "in the 30 days before" in later.output and "the newest stored one" in later.output
    other = CliRunner().invoke(app, ["levels", "map", "--coin", "XYZ", "--db", db])
    assert other.exit_code == 1 and "add XYZ there (config file or LIQWATCH_MARKET_COINS)" in other.output
    stale = CliRunner().invoke(app, ["levels", "map", "--at", str(T0 + 47 * H), "--db", db])
    assert stale.exit_code == 0 and "closed 23 h earlier" in stale.output


def test_levels_backtest_generated_prints_score_and_version() -> None:
    result = CliRunner().invoke(app, ["levels", "backtest", "--tape", "generated", "--seed", "7", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["model_version"] == "levels-1" and doc["source"] == "generated tape seed 7"
    assert doc["capture_share"] > doc["coverage_share"]
    wrong = CliRunner().invoke(app, ["levels", "backtest", "--tape", "nope"])
    assert wrong.exit_code == 2

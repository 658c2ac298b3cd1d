"""Price context uses the whole stored record: a window high below an older stored high is not
"the highest price in liqwatch's record" (the issue's report claimed it from 31 days of candles)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from liqwatch.cli import app
from liqwatch.model import Candle
from liqwatch.store.duckdb import DuckDBStore
from tests.analytics.factories import ev

runner = CliRunner()
H = 3_600_000
D = 24 * H
AT = 1_735_689_600_000 + 200 * D  # 2025-07-20 00:00 UTC


def hourly(open_ts: int, close: float, high: float) -> Candle:
    return Candle("binance_usdm", "BTCUSDT", "BTC", H, open_ts, close, high, close * 0.99, close)


def prices_paragraph(db: Path) -> str:
    result = runner.invoke(app, ["report", "--db", str(db), "--at", str(AT), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    return next(s for s in doc["sections"] if s["key"] == "prices")["paragraphs"][0]


def test_an_older_stored_high_is_named_not_a_record(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    candles = []
    for k in range(120 * 24):  # 120 days of hourly candles, rising from 90,000 towards 100,000 …
        ts = AT - (120 * 24 - k) * H
        close = 90_000 + k * (10_000 / (120 * 24))
        high = close * 1.002
        if k == 24:  # … except one hour, 119 days ago, that reached 130,000
            high = 130_000.0
        if ts >= AT - 3 * H:  # the window's last hours spike over 101,500 (a "briefly touching")
            high = 101_500.0
        candles.append(hourly(ts, close, high))
    with DuckDBStore(db) as store:
        store.write_candles(candles)
        # more orders than a sample (report/common.py SMALL_*), so the article has its price section
        store.write_events([ev(AT - H + k, 1e6, venue="bybit", id=f"one-{k}") for k in range(10)])
    text = prices_paragraph(db)
    assert "highest price in liqwatch's price record" not in text, text
    assert "its highest since 23 March 2025" in text, text

"""The break-throughs table names the next level beyond every break-through, in the browser.

Positions pile up at 100,000 (open interest rises for a day, flat bars), then one bar runs to
110,000 through every short tier up to 10x; the 5x shorts (~119,500) lie beyond the ±10 % window
the level itself is judged in, and the table showed "—" for them. A later bar runs to 125,000
through the 5x shorts too: nothing is left above, and the row says so in words.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from liqwatch.model import Candle, MarketStat
from liqwatch.store.duckdb import DuckDBStore
from tests.web.dashboard_helpers import LiveServer
from tests.web.test_dashboard import open_page, wait_for_panels

H = 3_600_000


def squeeze(end: int) -> tuple[list[Candle], list[MarketStat]]:
    """Hourly BTC bars ending at `end` (30 of them) and the USD open interest at each bar's end."""
    first = end - 30 * H
    closes = [100_000.0] * 24 + [109_800.0] * 4 + [124_000.0, 124_000.0]
    candles, stats = [], []
    for i, close in enumerate(closes):
        open_ = closes[i - 1] if i else close
        high = {24: 110_000.0, 28: 125_000.0}.get(i, max(open_, close))
        candles.append(
            Candle("binance_usdm", "BTCUSDT", "BTC", H, first + i * H, open_, high, min(open_, close), close)
        )
        oi = 1e9 * (min(i, 23) + 1)  # rises for a day, then stays: no new positions after the run
        stats.append(MarketStat("binance_usdm", "BTCUSDT", "BTC", "open_interest_usd", first + (i + 1) * H, oi))
    return candles, stats


def test_every_break_through_row_names_its_next_level_or_says_why_none(browser: Any, tmp_path: Path) -> None:
    now = int(time.time() * 1000)
    candles, stats = squeeze(now // H * H - H)
    with DuckDBStore(tmp_path / "squeeze.duckdb") as store:
        store.write_candles(candles)
        store.write_stats(stats)
        with LiveServer(store) as server:
            events = server.get("/api/levels/events?coin=BTC")["events"]
            assert [(e["side"], e["bar_end"]) for e in events] == [("short", c.open_ts + H) for c in candles[24::4]]
            run, blowout = events
            assert run["next_level_price"] is not None and 119_000 <= run["next_level_price"] <= 120_000
            assert (run["extreme_price"], blowout["extreme_price"]) == (110_000, 125_000)
            assert blowout["next_level_price"] is None  # every short level is below 125,000 now

            context, page, console = open_page(browser, server, 1600, 1000)
            try:
                wait_for_panels(page)
                rows = page.locator("#levels-events tbody tr[data-ts]")
                assert rows.count() == 2
                cells = [rows.nth(k).locator("td").last for k in range(2)]  # newest first
                assert float(cells[1].get_attribute("data-next") or "nan") == run["next_level_price"]
                assert (cells[1].text_content() or "").replace(",", "").startswith(str(int(run["next_level_price"])))
                assert cells[0].text_content() == "none above 125,000 in the map"
                assert "no short positions' liquidation levels above" in (cells[0].get_attribute("title") or "")
                assert not [c for c in (cells[0], cells[1]) if c.text_content() in ("—", "", "-")]
                assert console.errors == []
            finally:
                context.close()

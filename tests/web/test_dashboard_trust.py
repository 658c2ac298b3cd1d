"""What makes a trader trust the dashboard at a glance, in real headless Chromium against the real app:
every control does what it says (6h range, the coin picker moves the bars, feed filters backfill from
the store), the page fits 1600 px and a phone without cutting a table, times say their zone, the
status dot is green only while a venue is collected, and an empty or old store reads as empty or old.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from liqwatch.aggregates import ALL, AggregateRow
from liqwatch.model import Liquidation
from liqwatch.store.duckdb import DuckDBStore
from tests.web.dashboard_helpers import LiveServer
from tests.web.test_dashboard import open_page, save, value, wait_for_panels

pytestmark = pytest.mark.timeout(120)


def chart_usd(page: Any) -> float:
    return float(page.get_attribute("#chart", "data-usd") or "nan")


def history_usd(server: LiveServer, page: Any, coin: str | None) -> float:
    start = int(page.get_attribute("#chart", "data-start") or 0)
    query = f"/api/history?interval=5m&since={start}&until={start + 24 * 3_600_000}"
    points = server.get(query + (f"&coin={coin}" if coin else ""))["points"]
    return sum(p["long_usd"] + p["short_usd"] for p in points)


def test_range_and_coin_picker_change_the_chart(browser: Any, server: LiveServer) -> None:
    context, page, _ = open_page(browser, server, 1280, 800)
    try:
        assert int(page.get_attribute("#chart", "data-points") or 0) == 288
        page.click('#range button[data-range="6h"]')
        page.wait_for_function("document.querySelector('#chart').dataset.points === '72'", timeout=5_000)
        page.click('#range button[data-range="24h"]')
        page.wait_for_function("document.querySelector('#chart').dataset.points === '288'", timeout=5_000)

        # all coins by default, and the page says so; the bars are every coin's
        assert page.get_attribute("#chart", "data-coin") == "all"
        assert page.text_content('[data-testid="chart-scope"]') == "· all coins"
        everything = chart_usd(page)
        assert everything == pytest.approx(history_usd(server, page, None), rel=1e-9)

        page.select_option('[data-testid="coin-select"]', "ETH")
        page.wait_for_function("document.querySelector('#chart').dataset.coin === 'ETH'", timeout=5_000)
        eth = chart_usd(page)
        assert eth == pytest.approx(history_usd(server, page, "ETH"), rel=1e-9)
        assert 0 < eth < everything  # the bars moved with the picker, not only the price line
        assert page.text_content('[data-testid="chart-scope"]') == "· ETH"
        assert page.text_content("#price-label") == "ETH price"

        # the daily chart: a day without one stored liquidation is blank, not a zero bar
        page.select_option('[data-testid="coin-select"]', "all")
        page.wait_for_function("document.querySelector('#daily-chart').dataset.days === '30'", timeout=5_000)
        now = int(page.evaluate("window.liqwatch.serverNow()"))
        end = now // 86_400_000 * 86_400_000 + 86_400_000
        days = server.get(f"/api/history?interval=1d&since={end - 30 * 86_400_000}&until={end}")["points"]
        seen = sum(1 for p in days if p["long_count"] + p["short_count"] > 0)
        assert 0 < seen < 30
        page.wait_for_function(
            "(n) => document.querySelector('#daily-chart').dataset.covered === String(n)", arg=seen, timeout=5_000
        )
        assert f"{seen} of 30 days hold stored liquidations" in (page.text_content('[data-testid="daily-basis"]') or "")
    finally:
        context.close()


def test_feed_filters_backfill_from_the_store(browser: Any, server: LiveServer) -> None:
    context, page, _ = open_page(browser, server, 1280, 800)
    try:
        items = page.locator('[data-testid="feed-item"]')
        row = items.first
        assert row.locator('[data-field="side"]').text_content() in ("LONG", "SHORT")
        assert "@" in (row.locator('[data-field="qty"]').text_content() or "")

        # ≥ $10M: the newest 100 stored events hold few such orders; the feed asks the store for them
        page.select_option('[data-testid="feed-min"]', "10000000")
        expected = [e["id"] for e in server.get("/api/events?order=desc&limit=100&min_usd=10000000")["events"]]
        assert len(expected) >= 5
        page.wait_for_function(
            "(n) => document.querySelectorAll('[data-testid=feed-item]').length >= n", arg=len(expected), timeout=5_000
        )
        assert items.evaluate_all("els => els.map(e => e.dataset.id)")[: len(expected)] == expected

        # an exchange and a coin filter, together
        page.select_option('[data-testid="feed-min"]', "0")
        page.select_option('[data-testid="feed-venue"]', "bybit")
        page.select_option('[data-testid="feed-coin"]', "BTC")
        stored = server.get("/api/events?order=desc&limit=100&venue=bybit&coin=BTC")["events"]
        assert stored
        page.wait_for_function(
            "(n) => document.querySelectorAll('[data-testid=feed-item]').length >= n", arg=len(stored), timeout=5_000
        )
        shown = items.evaluate_all("els => els.map(e => [e.dataset.venue, e.dataset.coin])")
        assert shown and all(v == "bybit" and c == "BTC" for v, c in shown)

        # a filter nothing matches says so instead of showing an empty box
        page.select_option('[data-testid="feed-venue"]', "lighter")
        page.wait_for_function(
            "document.querySelector('[data-testid=feed-empty]').textContent.includes('no stored liquidation matches')",
            timeout=5_000,
        )
        assert items.count() == 0
        assert "on Lighter" in (page.text_content('[data-testid="feed-empty"]') or "")
    finally:
        context.close()


@pytest.mark.parametrize("width,height", [(1600, 1000), (390, 844)])
def test_no_table_is_cut_off(browser: Any, server: LiveServer, width: int, height: int) -> None:
    context, page, console = open_page(browser, server, width, height, scale=2 if width < 800 else 1)
    try:
        wait_for_panels(page)
        page.wait_for_timeout(300)
        save(page, f"dashboard-{width}.png")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        cut = page.evaluate(
            """() => [...document.querySelectorAll('.scroll')]
                .filter(e => e.scrollWidth > e.clientWidth + 1 && e.getBoundingClientRect().height > 0)
                .map(e => e.closest('.panel').id)"""
        )
        assert cut == [], f"tables wider than their panel at {width} px: {cut}"
        clipped = page.evaluate(
            """() => [...document.querySelectorAll('.card .big')]
                .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"""
        )
        assert clipped == []
        # every feed row shows its whole quantity @ price and USD (a narrow row wraps, never cuts)
        cut_rows = page.evaluate(
            """() => [...document.querySelectorAll('[data-testid=feed-item]')].flatMap(li => {
                const row = li.getBoundingClientRect();
                return [...li.querySelectorAll('.q, .u, .v, b')].filter(e => {
                    const r = e.getBoundingClientRect();
                    return r.width > 0 && (r.right > row.right + 1 || e.scrollWidth > e.clientWidth + 1);
                }).map(e => e.textContent);
            })"""
        )
        assert page.locator('[data-testid="feed-item"] [data-field="qty"]').count() > 0
        assert cut_rows == [], f"feed figures cut off at {width} px: {cut_rows[:5]}"
        assert console.errors == []
    finally:
        context.close()


def test_times_say_their_zone(browser: Any, server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, timezone_id="Asia/Tokyo")
    page = context.new_page()
    try:
        page.goto(server.url + "/")
        page.wait_for_selector("body[data-ready]", timeout=15_000)
        assert (page.text_content('[data-testid="clock"]') or "").endswith(" UTC")
        first = page.locator('[data-testid="feed-item"] .t').first
        utc_time = first.text_content() or ""
        page.click('[data-testid="tz-toggle"]')
        assert page.text_content('[data-testid="tz-toggle"]') == "Local UTC+09"
        assert (page.text_content('[data-testid="clock"]') or "").endswith(" UTC+09")
        local_time = first.text_content() or ""
        hours = lambda text: int(text.split(" ")[-1][:2])  # noqa: E731
        assert (hours(utc_time) + 9) % 24 == hours(local_time)
    finally:
        context.close()


def test_an_empty_or_old_store_reads_as_such(browser: Any, tmp_path: Path) -> None:
    old = Liquidation(
        "bybit",
        "BTCUSDT",
        "BTC",
        "long",
        47_000.0,
        2.0,
        94_000.0,
        1_650_000_000_000,
        1_650_000_000_050,
        "complete",
        "old-1",
    )  # 2022-04-15
    with DuckDBStore(tmp_path / "old.duckdb") as store, LiveServer(store) as bare:
        store.write_events([old])
        context, page, console = open_page(browser, bare, 1280, 800)
        try:
            # nothing in any window: no $0 split drawn as 50/50, the card says there is nothing
            for w in ("1h", "24h"):
                card = page.locator(f'.card[data-window="{w}"]')
                assert "none" in (card.locator(".split").get_attribute("class") or "")
                assert card.locator('[data-field="largest"]').text_content() == "no liquidation recorded in this window"
            assert value(page, '.card[data-window="24h"] [data-field="count"]') == 0
            assert page.is_visible('[data-testid="chart-empty"]')
            labels = page.evaluate("[...document.querySelectorAll('#chart .u-axis')].map(a => a.textContent)")
            assert not any("$1" in text for text in labels)  # no "$1 $1 $1 $0" axis on an empty chart
            # a 2022 liquidation is stamped with its date, never as if it were today's
            item = page.locator('[data-testid="feed-item"][data-id="old-1"]')
            assert "2022" in (item.locator(".t").text_content() or "")
            # the stream is up but no venue is collected here: not a green "live"
            conn = page.locator('[data-testid="connection"]')
            page.wait_for_selector('#conn[data-state="idle"]', timeout=5_000)
            assert conn.text_content() == "no venue connected"
            assert console.errors == []
        finally:
            context.close()


def test_the_daily_chart_shows_imported_history_by_its_basis(browser: Any, tmp_path: Path) -> None:
    """A store holding only imported aggregate history (a new install after `liqwatch import` of
    CoinGlass): the daily chart says which coin has it, and with that coin picked draws its days,
    naming the source; never adds it to liqwatch's own events."""
    day = 86_400_000
    today = int(time.time() * 1000) // day * day
    rows = [AggregateRow("coinglass", ALL, "BTC", day, today - k * day, 1e6 * k, 2e6 * k) for k in range(1, 11)]
    with DuckDBStore(tmp_path / "agg.duckdb") as store, LiveServer(store) as bare:
        store.write_aggregates(rows)
        context, page, console = open_page(browser, bare, 1280, 800)
        try:
            basis = page.locator('[data-testid="daily-basis"]')
            page.wait_for_function("() => document.querySelector('#daily-chart').dataset.imported === '0'")
            assert "imported daily history of BTC: pick the coin" in (basis.text_content() or "")
            page.select_option("#coin", "BTC")
            page.wait_for_function("() => document.querySelector('#daily-chart').dataset.imported === '10'")
            text = basis.text_content() or ""
            assert "10 days liqwatch did not record, from imported history (CoinGlass" in text
            assert document_covered(page) == "0"  # liqwatch's own events: none
            assert console.errors == []
        finally:
            context.close()


def document_covered(page: Any) -> str:
    return str(page.evaluate("document.querySelector('#daily-chart').dataset.covered"))

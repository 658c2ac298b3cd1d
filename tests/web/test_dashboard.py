"""The dashboard in real headless Chromium (Debian's, driven by Playwright) against the real web app.

The app serves a DuckDB store with known events, the generated levels tape and watched-wallet polls;
the page must load without console errors, show the same numbers as the API (window cards, tables,
the liquidation-levels and smart-money panels), show new liquidations published into the app's live
pipeline, keep working when one panel's endpoint fails, and fit a phone. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from liqwatch import money
from tests.web.dashboard_helpers import (
    ARTIFACTS,
    LiveServer,
    event,
)

pytestmark = pytest.mark.timeout(90)

WINDOWS = ("1h", "4h", "12h", "24h")
CARD_FIELDS = ("total_usd", "long_usd", "short_usd", "count", "long_count", "short_count")


class Console:
    """Console errors and uncaught exceptions of a page."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))


def open_page(browser: Any, server: LiveServer, width: int, height: int, scale: float = 1) -> tuple[Any, Any, Console]:
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale)
    page = context.new_page()
    console = Console(page)
    page.goto(server.url + "/")
    page.wait_for_selector("body[data-ready]", timeout=15_000)
    page.wait_for_selector('#conn[data-stream="up"]', timeout=10_000)
    return context, page, console


def value(page: Any, selector: str) -> float:
    raw = page.get_attribute(selector, "data-value")
    assert raw not in (None, ""), f"{selector} has no data-value"
    return float(raw)


def wait_for_panels(page: Any) -> None:
    """The levels and wallets panels load on their own, after the rest of the page."""
    page.wait_for_selector("#panel-levels[data-loaded]", timeout=15_000)
    page.wait_for_selector("#panel-wallets[data-loaded]", timeout=15_000)


def save(page: Any, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 10_000
    return path


def test_numbers_equal_the_api_and_live_events_appear(browser: Any, server: LiveServer) -> None:
    context, page, console = open_page(browser, server, 1280, 800)
    try:
        # window cards = /api/summary (the known events sit away from every window edge)
        summary = server.get("/api/summary")
        for w in WINDOWS:
            expected = summary["windows"][w]
            assert expected["count"] > 0
            for field in CARD_FIELDS:
                got = value(page, f'.card[data-window="{w}"] [data-field="{field}"]')
                assert got == pytest.approx(expected[field], rel=1e-9), (w, field)
        assert page.text_content('.card[data-window="24h"] [data-field="total_usd"]') == fmt_usd(
            summary["windows"]["24h"]["total_usd"]
        )

        # tables = /api/coins, /api/exchanges, /api/largest
        coins = server.get("/api/coins?window=24h&limit=30")["coins"]
        rows = page.locator("#coins-table tbody tr[data-coin]")
        assert rows.count() == len(coins)
        for i, coin in enumerate(coins):
            row = rows.nth(i)
            assert row.get_attribute("data-coin") == coin["coin"]
            for field in ("total_usd", "long_usd", "short_usd", "count"):
                cell = row.locator(f'[data-field="{field}"]')
                assert float(cell.get_attribute("data-value") or "nan") == pytest.approx(coin[field], rel=1e-9)
        venues = server.get("/api/exchanges?window=24h")["exchanges"]
        shown = page.locator("#exchanges-table tbody tr[data-venue]")
        assert [shown.nth(i).get_attribute("data-venue") for i in range(shown.count())] == [v["venue"] for v in venues]
        for v in venues:
            got = value(page, f'#exchanges-table tr[data-venue="{v["venue"]}"] [data-field="total_usd"]')
            assert got == pytest.approx(v["total_usd"], rel=1e-9)
        largest = page.locator('#largest-table tbody [data-field="usd"]')
        top = max(e["usd"] for e in server.get("/api/largest?n=1")["events"])
        assert float(largest.first.get_attribute("data-value") or "nan") == pytest.approx(top, rel=1e-9)
        assert page.locator("#venues-table tbody tr[data-venue]").count() > 0

        # the chart has its 5-minute buckets and the BTC price line
        assert int(page.get_attribute("#chart", "data-points") or 0) == 288
        assert int(page.get_attribute("#chart", "data-priced") or 0) > 200
        assert page.is_hidden('[data-testid="price-note"]')

        # the initial feed is the store's newest events at the default filter (≥ $10k), asked of the API
        feed_ids = page.locator('[data-testid="feed-item"]').evaluate_all("els => els.map(e => e.dataset.id)")
        newest = [e["id"] for e in server.get("/api/events?order=desc&limit=100&min_usd=10000")["events"]]
        assert feed_ids == newest and feed_ids

        # live: events published into the app's pipeline appear at the top of the feed, tiered
        now = int(time.time() * 1000)
        fresh = [
            event(1, now - 900, usd=14_200_000.0, side="long", coin="BTC", tag="live"),
            event(2, now - 600, usd=2_300_000.0, side="short", coin="ETH", tag="live"),
            event(3, now - 300, usd=48_000.0, side="long", coin="SOL", tag="live"),
            event(4, now, usd=120.0, side="short", coin="DOGE", tag="live"),  # below the feed's $10k default
        ]
        before = server.get("/api/summary")["windows"]["1h"]
        server.publish(fresh)
        page.wait_for_selector('[data-testid="feed-item"][data-id="test-live-3"]', timeout=10_000)
        items = page.locator('[data-testid="feed-item"]')
        assert [items.nth(i).get_attribute("data-id") for i in range(3)] == [
            "test-live-3",
            "test-live-2",
            "test-live-1",
        ]
        big = page.locator('[data-testid="feed-item"][data-id="test-live-1"]')
        assert "t4" in (big.get_attribute("class") or "") and "long" in (big.get_attribute("class") or "")
        assert big.locator(".u").text_content() == "$14.2M"
        assert "t3" in (page.get_attribute('[data-id="test-live-2"]', "class") or "")
        assert page.locator('[data-id="test-live-4"]').count() == 0

        # …and the cards follow the live summaries to the API's new totals
        added = sum(e.usd or 0 for e in fresh)
        deadline = time.monotonic() + 10
        while True:
            after = server.get("/api/summary")["windows"]["1h"]
            if after["count"] == before["count"] + len(fresh) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert after["count"] == before["count"] + len(fresh)
        assert after["total_usd"] == pytest.approx(before["total_usd"] + added, rel=1e-9)
        page.wait_for_function(
            """(n) => Number(document.querySelector('.card[data-window="1h"] [data-field="count"]').dataset.value) === n""",
            arg=after["count"],
            timeout=10_000,
        )
        assert value(page, '.card[data-window="1h"] [data-field="total_usd"]') == pytest.approx(
            after["total_usd"], rel=1e-9
        )

        # the feed's size filter re-renders from what it holds
        page.select_option('[data-testid="feed-min"]', "1000000")
        assert all(float(u) >= 1_000_000 for u in items.evaluate_all("els => els.map(e => e.dataset.usd)"))
        page.select_option('[data-testid="feed-min"]', "10000")

        wait_for_panels(page)
        page.wait_for_timeout(400)  # let the newest rows finish their entry animation
        path = save(page, "dashboard-desktop.png")
        shutil.copyfile(path, "/tmp/dashboard-desktop.png")
        save(page, "dashboard-desktop-fold.png", full_page=False)
        assert console.errors == []
    finally:
        context.close()


def test_phone_has_no_horizontal_overflow(browser: Any, server: LiveServer) -> None:
    context, page, console = open_page(browser, server, 390, 844, scale=2)
    try:
        wait_for_panels(page)
        page.wait_for_timeout(300)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than a phone"
        wide = page.evaluate(
            """() => [...document.querySelectorAll('.panel, .card, header, footer')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                .map(e => e.id || e.className)"""
        )
        assert wide == []
        cards = page.locator(".card")
        assert cards.count() == 4
        assert cards.nth(0).bounding_box()["width"] > 150  # two cards a row, not squeezed
        save(page, "dashboard-phone.png")
        assert console.errors == []
    finally:
        context.close()


def test_a_failing_panel_keeps_the_rest_alive(browser: Any, server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    uncaught: list[str] = []
    page.on("pageerror", lambda e: uncaught.append(str(e)))
    page.route(
        "**/api/coins?*",
        lambda route: route.fulfill(status=503, content_type="application/json", body='{"detail": "store busy"}'),
    )
    try:
        page.goto(server.url + "/")
        page.wait_for_selector("body[data-ready]", timeout=15_000)
        wait_for_panels(page)
        error = page.locator('[data-testid="error-coins"]')
        assert error.is_visible()
        assert "503" in (error.text_content() or "") and "store busy" in (error.text_content() or "")
        for other in ("windows", "exchanges", "largest", "venues", "history", "feed", "levels", "wallets"):
            assert page.locator(f'[data-testid="error-{other}"]').is_hidden(), other
        assert page.locator("#exchanges-table tbody tr[data-venue]").count() > 0
        assert value(page, '.card[data-window="24h"] [data-field="total_usd"]') > 0
        assert uncaught == []
    finally:
        context.close()


def test_levels_and_wallets_panels_show_the_api(browser: Any, server: LiveServer) -> None:
    context, page, console = open_page(browser, server, 1280, 900)
    try:
        wait_for_panels(page)
        # smart-money wallets = /api/wallets/pnl, /worst, /liquidations
        pnl = server.get("/api/wallets/pnl?by=group")
        assert pnl["rows"] and pnl["wallets"] > 15
        wallets = page.locator("#panel-wallets")
        for field in ("long_pnl", "short_pnl"):
            assert value(page, f'#panel-wallets .pnl[data-field="{field}"]') == pytest.approx(pnl[field], rel=1e-12)
            shown = wallets.locator(f'.pnl[data-field="{field}"]').text_content() or ""
            assert shown.lstrip("+") == fmt_usd(pnl[field])
        groups = page.locator("#wallets-groups tbody tr[data-group]")
        assert sorted(groups.evaluate_all("rs => rs.map(r => r.dataset.group)")) == sorted(
            r["key"] for r in pnl["rows"]
        )
        for row in pnl["rows"]:
            for field in ("long_pnl", "short_pnl"):
                got = value(page, f'#wallets-groups tr[data-group="{row["key"]}"] [data-field="{field}"]')
                assert got == pytest.approx(row[field], rel=1e-12)
        assert page.get_attribute('#wallets-set [data-field="set_hash"]', "data-value") == pnl["set_hash"]
        assert pnl["set_hash"][:12] in (page.text_content("#wallets-set") or "")
        assert pnl["rule"] in (page.text_content("#wallets-set") or "")
        assert page.get_attribute("#wallets-polled", "data-value") == str(pnl["polled_at"])
        worst = server.get("/api/wallets/worst?n=8")["positions"]
        shown_worst = page.locator("#wallets-worst tbody tr[data-wallet]")
        assert shown_worst.count() == len(worst) > 0
        for i, p in enumerate(worst):
            row = shown_worst.nth(i)
            assert (row.get_attribute("data-wallet"), row.get_attribute("data-coin")) == (p["wallet"], p["coin"])
            got = float(row.locator('[data-field="unrealized_pnl"]').get_attribute("data-value") or "nan")
            assert got == pytest.approx(p["unrealized_pnl"], rel=1e-12)
        liquidated = server.get("/api/wallets/liquidations?limit=8")["liquidations"]
        assert page.locator("#wallets-liqs tbody tr[data-tid]").count() == len(liquidated) > 0
        assert page.is_hidden('[data-testid="wallets-empty"]')

        # liquidation levels = /api/levels/map, /heatmap, /events
        levels = server.get("/api/levels/map?coin=BTC")
        mapped = levels["map"]
        for side, testid in (("shorts", "levels-short-peak"), ("longs", "levels-long-peak")):
            peak = mapped[side]["peak"]
            assert float(page.get_attribute(f'[data-testid="{testid}"]', "data-value") or "nan") == peak["price"]
            assert (
                page.text_content(f'[data-testid="{testid}"]') == f"{fmt_price(peak['price'])} · {fmt_usd(peak['usd'])}"
            )
        assert page.text_content('[data-testid="levels-version"]') == levels["model_version"] == "levels-1"
        panel_text = page.text_content("#panel-levels") or ""
        assert "modelled" in panel_text and "measured (watched Hyperliquid wallets)" in panel_text
        measured = mapped["measured"]
        assert measured["positions"] > 0
        assert f"{measured['positions']} positions" in (page.text_content("#levels-measured-text") or "")
        heat = server.get("/api/levels/heatmap?coin=BTC")["heatmap"]
        assert int(page.get_attribute("#levels-heatmap", "data-columns") or 0) == len(heat["times"])
        pixels = page.evaluate(
            """() => {
                const c = document.querySelector('#levels-heatmap');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let red = 0, green = 0, yellow = 0;
                for (let i = 0; i < d.length; i += 4) {
                    const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
                    if (r > 90 && g < 0.6 * r && b < 0.7 * r) red++;
                    else if (g > 90 && r < 0.6 * g) green++;
                    if (r > 200 && g > 150 && b < 120) yellow++;
                }
                return { red, green, yellow, total: d.length / 4 };
            }"""
        )
        # long fuel (red), short fuel (green) and the price line (yellow) are all drawn
        assert pixels["red"] > 0.01 * pixels["total"], pixels
        assert pixels["green"] > 0.01 * pixels["total"], pixels
        assert pixels["yellow"] > 100, pixels
        events = server.get("/api/levels/events?coin=BTC")["events"]
        assert page.locator("#levels-events tbody tr[data-ts]").count() == min(8, len(events)) > 0
        newest = page.locator("#levels-events tbody tr[data-ts]").first
        assert newest.get_attribute("data-ts") == str(events[-1]["bar_end"])
        assert console.errors == []
    finally:
        context.close()


def test_panels_without_data_say_so(browser: Any, tmp_path: Path) -> None:
    from liqwatch.store.duckdb import DuckDBStore

    with DuckDBStore(tmp_path / "empty.duckdb") as empty, LiveServer(empty) as bare:
        context, page, console = open_page(browser, bare, 1280, 800)
        try:
            wait_for_panels(page)
            note = page.locator('[data-testid="wallets-empty"]')
            assert note.is_visible()
            assert note.text_content() == "no wallets configured — see README: Smart-money wallets"
            assert page.is_hidden("#wallets-body")
            levels = page.locator('[data-testid="levels-empty"]')
            assert levels.is_visible() and "no hourly candles of BTC" in (levels.text_content() or "")
            assert page.is_hidden('[data-testid="error-levels"]') and page.is_hidden('[data-testid="error-wallets"]')
            assert console.errors == []
        finally:
            context.close()


def test_a_failing_wallets_endpoint_stays_in_its_panel(browser: Any, server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.route(
        "**/api/wallets/pnl?*",
        lambda route: route.fulfill(status=500, content_type="application/json", body='{"detail": "boom"}'),
    )
    try:
        page.goto(server.url + "/")
        wait_for_panels(page)
        error = page.locator('[data-testid="error-wallets"]')
        assert error.is_visible() and "500" in (error.text_content() or "")
        assert page.is_hidden('[data-testid="error-levels"]')
        assert page.locator("#wallets-worst tbody tr[data-wallet]").count() > 0  # the other reads still show
        assert page.get_attribute('[data-testid="levels-short-peak"]', "data-value")
    finally:
        context.close()


def fmt_price(p: float) -> str:
    """The page's price format for prices of $1,000 and more ("87,250")."""
    assert p >= 1000
    return f"{p:,.0f}"


def fmt_usd(n: float) -> str:
    """The page's money format ("$748.3M"): the house style, liqwatch.money.table."""
    return money.table(n)

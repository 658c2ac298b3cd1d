"""The dashboard in real headless Chromium (Debian's, driven by Playwright) against the real web app.

The app serves a DuckDB store with known events; the page must load without console errors, show
the same numbers as the API, show new liquidations published into the app's live pipeline, keep
working when one panel's endpoint fails, and fit a phone. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.dashboard_helpers import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    LiveServer,
    event,
    require_chromium,
    served_store,
)

pytestmark = pytest.mark.timeout(90)

WINDOWS = ("1h", "4h", "12h", "24h")
CARD_FIELDS = ("total_usd", "long_usd", "short_usd", "count", "long_count", "short_count")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    require_chromium()
    path = tmp_path_factory.mktemp("dashboard") / "dash.duckdb"
    with served_store(path, int(time.time() * 1000)) as found:
        yield found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        found = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            yield found
        finally:
            found.close()


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
    page.wait_for_selector('#conn[data-state="live"]', timeout=10_000)
    return context, page, console


def value(page: Any, selector: str) -> float:
    raw = page.get_attribute(selector, "data-value")
    assert raw not in (None, ""), f"{selector} has no data-value"
    return float(raw)


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

        # the initial feed is /api/events?order=desc, filtered at ≥ $10k by default
        feed_ids = page.locator('[data-testid="feed-item"]').evaluate_all("els => els.map(e => e.dataset.id)")
        newest = [e["id"] for e in server.get("/api/events?order=desc&limit=100")["events"] if e["usd"] >= 10_000]
        assert feed_ids == newest[: len(feed_ids)] and feed_ids

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
        error = page.locator('[data-testid="error-coins"]')
        assert error.is_visible()
        assert "503" in (error.text_content() or "") and "store busy" in (error.text_content() or "")
        for other in ("windows", "exchanges", "largest", "venues", "history", "feed"):
            assert page.locator(f'[data-testid="error-{other}"]').is_hidden(), other
        assert page.locator("#exchanges-table tbody tr[data-venue]").count() > 0
        assert value(page, '.card[data-window="24h"] [data-field="total_usd"]') > 0
        assert uncaught == []
    finally:
        context.close()


def fmt_usd(n: float) -> str:
    """The page's money format ("$748.3M")."""
    for div, unit, digits in ((1e9, "B", 2), (1e6, "M", 1), (1e3, "k", 1)):
        if abs(n) >= div:
            return f"${n / div:.{digits}f}{unit}"
    return f"${n:.0f}"

"""A real DuckDB store filled with known events, and the app over it (clock fixed at AT)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from liqwatch.analytics.summary import parse_windows
from liqwatch.model import Candle, Gap, Liquidation
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.web.app import create_app
from liqwatch.web.context import WebContext
from tests.web.dashboard_helpers import CHROMIUM_ARGS, LiveServer, require_chromium, served_store

AT = 1_795_000_000_000  # 2026-11-18T…Z
HOUR = 3_600_000
VENUES = ("binance_usdm", "bybit", "okx", "bitmex")
COINS = ("BTC", "ETH", "SOL", "PEPE")


def known_events(n: int = 600, seed: int = 5) -> list[Liquidation]:
    """Events over the 30 hours before AT; some share a ts (pagination ties), some are unpriced."""
    rng = random.Random(seed)
    events = []
    for i in range(n):
        venue, coin = rng.choice(VENUES), rng.choice(COINS)
        ts = AT - rng.randrange(30 * HOUR) if i % 10 else AT - (i // 10) * 60_000  # ties on whole minutes
        price = {"BTC": 90_000.0, "ETH": 3_000.0, "SOL": 150.0, "PEPE": 0.00001}[coin]
        qty = round(rng.uniform(0.001, 20.0), 3) if coin != "PEPE" else float(rng.randrange(1, 10**9))
        usd = None if i % 97 == 0 else round(price * qty, 6)
        events.append(
            Liquidation(
                venue=venue,
                symbol=f"{coin}USDT",
                coin=coin,
                side=rng.choice(("long", "short")),
                price=price,
                qty=qty if usd is not None else None,
                usd=usd,
                ts=ts,
                recv_ts=ts + 5,
                coverage="sampled" if venue in ("binance_usdm", "okx") else "complete",
                id=f"{venue}:{coin}:{i}",
            )
        )
    return events


@pytest.fixture(scope="session")
def events() -> list[Liquidation]:
    return known_events()


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory, events: list[Liquidation]) -> Iterator[DuckDBStore]:
    path: Path = tmp_path_factory.mktemp("web") / "known.duckdb"
    with DuckDBStore(path) as opened:
        opened.write_events(events)
        opened.write_gaps(
            [
                Gap("okx", AT - 5 * HOUR, AT - 5 * HOUR + 30_000, "reconnect"),
                Gap("bybit", AT - HOUR, AT - HOUR + 1, "x"),
            ]
        )
        opened.write_candles(
            [Candle("binance_usdm", "BTCUSDT", "BTC", HOUR, AT - k * HOUR, 1.0, 2.0, 0.5, 1.5) for k in range(1, 6)]
        )
        yield opened


@pytest.fixture(scope="session")
def context(store: DuckDBStore) -> WebContext:
    return WebContext(store=store, store_kind="duckdb", windows=parse_windows("1h,4h,12h,24h"), clock=lambda: AT)


@pytest.fixture(scope="session")
def client(context: WebContext) -> Iterator[TestClient]:
    with TestClient(create_app(context)) as running:
        yield running


# ── the fixtures every dashboard test module uses (one served store and one browser per module) ──


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The seeded store served live (`served_store`), for one test module."""
    require_chromium()
    path = tmp_path_factory.mktemp("dashboard") / "dash.duckdb"
    with served_store(path, int(time.time() * 1000)) as found:
        yield found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, driven by Playwright, for one test module."""
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        found = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            yield found
        finally:
            found.close()

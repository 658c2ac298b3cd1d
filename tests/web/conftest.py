"""A real DuckDB store filled with known events, and the app over it (clock fixed at AT)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from liqwatch.analytics.summary import parse_windows
from liqwatch.model import Candle, Gap, Liquidation
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.web.app import create_app
from liqwatch.web.context import WebContext

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

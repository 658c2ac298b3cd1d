"""Shared by the dashboard tests: the real liqwatch web app on a free 127.0.0.1 port over a DuckDB
store with known events, the generated liquidation-levels tape and watched-wallet polls, its live
pipeline (store + hub), and Debian's Chromium driven by Playwright.

No browser is ever downloaded: the tests drive /usr/bin/chromium (or $LIQWATCH_CHROMIUM). Without
it they skip with a message, except under CI (env CI set), where a missing browser is a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import threading
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from liqwatch.analytics.summary import parse_windows
from liqwatch.model import Liquidation
from liqwatch.pipeline import Pipeline, StoreSink
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.web.context import WebContext
from liqwatch.web.serve import address_of, bind, serve_app
from tests.web.levels_wallets_data import hourly, levels_tape, write_wallets

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path(os.environ.get("LIQWATCH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MIN = 60_000
HOUR = 60 * MIN
FIVE_MIN = 5 * MIN


def require_chromium() -> Path:
    """Debian's Chromium, or a skip (a failure under CI) saying what is missing."""
    problems = []
    if not CHROMIUM.exists():
        problems.append(f"{CHROMIUM} is absent (apt-get install chromium, or set LIQWATCH_CHROMIUM)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright Python package is not installed (pip install -e '.[dev]')")
    if problems:
        message = "dashboard tests need a browser: " + "; ".join(problems)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


# ── known data ────────────────────────────────────────────────────────────────────────────────

VENUES = [
    ("binance_usdm", "sampled"),
    ("bybit", "complete"),
    ("okx", "sampled"),
    ("bitmex", "complete"),
    ("deribit", "complete"),
    ("hyperliquid", "complete"),
    ("gate", "complete"),
]
COINS = {"BTC": 95_000.0, "ETH": 3_400.0, "SOL": 180.0, "XRP": 2.2, "DOGE": 0.31, "SUI": 3.9, "PEPE": 0.000018}
COIN_WEIGHTS = [36, 24, 14, 9, 8, 5, 4]
# sizes cycle through every feed tier: < $10k, ≥ $10k, ≥ $100k, ≥ $1M, ≥ $10M
SIZES = [2_500.0, 18_000.0, 240_000.0, 1_750_000.0, 6_400.0, 56_000.0, 12_500_000.0, 410_000.0, 9_100.0, 33_000.0]


def event(
    i: int, ts: int, *, usd: float | None = None, side: str | None = None, coin: str | None = None, tag: str = "seed"
) -> Liquidation:
    """A deterministic, plausible liquidation: the i-th of the series `tag`."""
    rng = random.Random(f"{tag}-{i}")
    venue, coverage = rng.choice(VENUES)
    name = coin or rng.choices(list(COINS), COIN_WEIGHTS)[0]
    price = COINS[name] * rng.uniform(0.98, 1.02)
    size = SIZES[i % len(SIZES)] * rng.uniform(0.85, 1.6) if usd is None else usd
    return Liquidation(
        venue=venue,
        symbol=f"{name}USDT",
        coin=name,
        side=side or ("long" if rng.random() < 0.62 else "short"),  # type: ignore[arg-type]
        price=price,
        qty=size / price,
        usd=size,
        ts=ts,
        recv_ts=ts + 40,
        coverage=coverage,  # type: ignore[arg-type]
        id=f"test-{tag}-{i}",
    )


def seed_events(now: int, n: int = 240) -> list[Liquidation]:
    """`n` events spread over the 24 h before `now`, none within 3 minutes of a window edge
    (1h/4h/12h/24h before now) so that the windows hold the same events for the whole test."""
    found = []
    edges = [now - h * HOUR for h in (1, 4, 12, 24)]
    step = (24 * HOUR - 10 * MIN) // n
    for i in range(n):
        ts = now - 5 * MIN - i * step
        if any(abs(ts - edge) < 3 * MIN for edge in edges):
            ts -= 6 * MIN
        if ts <= now - 24 * HOUR + 3 * MIN:
            continue
        found.append(event(i, ts))
    return found


def away_from_window_edges(events: Sequence[Liquidation], now: int) -> list[Liquidation]:
    """The events not within 3 minutes of a window edge (1h/4h/12h/24h before now) nor in the last
    5 minutes, so that the windows hold the same events for the whole test (as seed_events does)."""
    edges = [now - h * HOUR for h in (1, 4, 12, 24)]
    return [e for e in events if e.ts < now - 5 * MIN and all(abs(e.ts - edge) >= 3 * MIN for edge in edges)]


# ── the app, served for real ────────────────────────────────────────────────────────────────


class LiveServer:
    """`liqwatch.web`'s app served by uvicorn on a free 127.0.0.1 port, in a thread of its own,
    with a live pipeline (StoreSink + the app's hub) that `publish` feeds, as the collector does."""

    def __init__(self, store: DuckDBStore, windows: str = "1h,4h,12h,24h", summary_interval_s: float = 0.5) -> None:
        self.store = store
        self.ctx = WebContext(
            store=store,
            store_kind="duckdb",
            windows=parse_windows(windows),
            summary_interval_s=summary_interval_s,
            venues_interval_s=1.0,
        )
        self.sink = StoreSink(store, interval=0.05)
        self.pipeline = Pipeline([self.sink, self.ctx.hub])
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="dashboard-test-server", daemon=True)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        sock = bind("127.0.0.1", 0)
        self.url = address_of(sock)
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(serve_app(self.ctx, sock))
        await asyncio.sleep(0)
        self._ready.set()
        await self._task

    def __enter__(self) -> LiveServer:
        self._thread.start()
        assert self._ready.wait(15), "the web app did not start"
        if self._error is not None:
            raise self._error
        for _ in range(200):  # until uvicorn answers
            with contextlib.suppress(OSError):
                self.get("/api/health")
                return self
            threading.Event().wait(0.05)
        raise AssertionError(f"{self.url} does not answer")

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(15)
        self.pipeline.close()

    def publish(self, events: Sequence[Liquidation]) -> None:
        """Hand events to the live pipeline on the app's event loop (as the collector does)."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self.pipeline.publish, list(events))

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as reply:
            return json.loads(reply.read())


@contextlib.contextmanager
def served_store(path: Path, now: int) -> Iterator[LiveServer]:
    """A DuckDB store at `path` with the seed events, the generated levels tape of BTC ending this hour
    (5-minute and hourly candles, open interest, its liquidations) and two polls of the generated
    Hyperliquid wallets (the newest two minutes ago), served live."""
    store = DuckDBStore(path)
    try:
        store.write_events(seed_events(now))
        tape = levels_tape(now, days=4)
        store.write_candles(tape.candles)
        store.write_candles(hourly(tape.candles))
        store.write_stats(tape.open_interest)
        store.write_events(away_from_window_edges(tape.liquidations, now))
        write_wallets(store, now - 2 * MIN, tape.candles[-1].close)
        with LiveServer(store) as server:
            yield server
    finally:
        store.close()

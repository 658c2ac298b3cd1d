"""`liqwatch backfill SOURCE …`: history from public sources, one command per source.

Every command is idempotent (events by id, aggregates and candles by key) and resumable (a mark
per task in the store: a killed run starts again where it stopped). Beside a running collector:
a PostgreSQL store takes both writers; a DuckDB file has one writer, so stop `liqwatch run`
first (it fills its own downtime from OKX and Deribit REST when it starts).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from liqwatch.backfill import sources as src

backfill_app = typer.Typer(
    help="History from public sources: Tardis datasets, OKX/Deribit REST, Coinalyze, CoinGlass, venue klines.",
    no_args_is_help=True,
)

DAY_MS = src.DAY_MS
DbOption = Annotated[
    str | None,
    typer.Option("--db", help="DuckDB file or postgresql:// URL (default ./liqwatch.duckdb, or LIQWATCH_DB)."),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
SinceOption = Annotated[str | None, typer.Option("--since", help="TIME to start from.")]
UrlOption = Annotated[str | None, typer.Option("--url", help="Base URL (default: the source's real one).")]

IN_USE = (
    "{where}: a running `liqwatch run` holds this DuckDB file (one writer at a time): stop it, backfill, and "
    "start it again (it fills its own downtime from OKX and Deribit when it starts), or use a PostgreSQL store, "
    "where backfill runs beside collectors"
)


def _now() -> int:
    return int(time.time() * 1000)


@contextmanager
def _store(db: str | None) -> Iterator[tuple[Any, Any]]:
    """(store, settings): a DuckDB file held by a collector is one line saying what to do."""
    from liqwatch.cli.common import fail, settings_from
    from liqwatch.store.base import StoreError
    from liqwatch.store.open import open_store

    settings = settings_from(db)
    try:
        store = open_store(settings.db, must_exist=False)
    except StoreError as exc:
        text = str(exc)
        if "in use by another process" in text:
            text = IN_USE.format(where=settings.db)
        raise fail(text) from None
    try:
        yield store, settings
    finally:
        store.close()


def _run(work: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    from liqwatch.backfill.common import BackfillError
    from liqwatch.cli.common import err, fail

    try:
        report = asyncio.run(work())
    except BackfillError as exc:
        raise fail(f"{exc} (what was done is kept: run the same command again to resume)") from None
    err.print(report.describe(), highlight=False, soft_wrap=True)
    return report


def _run_with_client(fetch: Callable[[Any], Coroutine[Any, Any, Any]]) -> Any:
    """`_run` of `fetch(client)` with one REST client open for the whole backfill."""
    from liqwatch.feed.rest import RestClient

    async def work() -> Any:
        async with RestClient() as client:
            return await fetch(client)

    return _run(work)


def _since(value: str | None, default: int) -> int:
    from liqwatch.cli.common import time_option

    found = time_option(value, "--since")
    return default if found is None else found


def _key(value: str | None, env: str, source: str) -> str:
    from liqwatch.cli.common import fail

    key = value or os.environ.get(env)
    if not key:
        raise fail(f"{source} needs an API key: --api-key KEY or {env}")
    return key


def _catalogue(store: Any, settings: Any) -> Any:
    """The bundled snapshot, then what the store and the collector's cache (next to the store) hold."""
    from liqwatch.feed.instruments import read_cache
    from liqwatch.instruments import bundled

    catalogue = bundled()
    catalogue.update(store.instruments())
    cached = read_cache(settings.instruments_cache)
    if cached is not None:
        catalogue.update(cached.instruments())
    return catalogue


def _progress(quiet: bool) -> bool:
    from liqwatch.cli.common import err

    return not quiet and err.is_terminal


@backfill_app.command("tardis")
def tardis_(
    since: SinceOption = None,
    until: Annotated[str | None, typer.Option("--until", help="TIME to end at (default: today 00:00 UTC).")] = None,
    exchange: Annotated[
        str | None,
        typer.Option("--exchange", help="Tardis exchange ids, comma-separated (default: all liqwatch reads)."),
    ] = None,
    symbol: Annotated[
        str, typer.Option("--symbol", help="Symbols or grouped files, comma-separated (PERPETUALS, FUTURES, BTCUSDT…).")
    ] = "PERPETUALS",
    api_key: Annotated[str | None, typer.Option("--api-key", help="Tardis key (or TARDIS_API_KEY).")] = None,
    url: UrlOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Tardis liquidation datasets into the store, a day imported while the next downloads (the first day of
    each month is free)."""
    from liqwatch import tardis
    from liqwatch.backfill.tardis_days import tardis_backfill
    from liqwatch.cli.common import csv_list, time_option

    today = _now() // DAY_MS * DAY_MS
    end = time_option(until, "--until") or today
    start = _since(since, end - 365 * DAY_MS)
    key = api_key or os.environ.get("TARDIS_API_KEY")
    with _store(db) as (store, settings):
        catalogue = _catalogue(store, settings)
        _run(
            lambda: tardis_backfill(
                store,
                catalogue,
                exchanges=csv_list(exchange) or tuple(tardis.VENUES),
                symbols=csv_list(symbol),
                since=start,
                until=end,
                api_key=key,
                base=url or src.TARDIS_URL,
                progress=_progress(quiet),
                dead_letters=settings.dead_letters,
            )
        )


@backfill_app.command("okx")
def okx_(
    since: SinceOption = None,
    coins: Annotated[str | None, typer.Option("--coins", help="Coins, comma-separated (default: all listed).")] = None,
    url: UrlOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """OKX liquidation orders over REST (it keeps about the last day)."""
    from liqwatch.backfill.events import okx_backfill, okx_families
    from liqwatch.cli.common import csv_list, fail
    from liqwatch.venues import okx

    now = _now()
    with _store(db) as (store, settings):
        catalogue = _catalogue(store, settings)
        families = okx_families(catalogue, [c.upper() for c in csv_list(coins)])
        if not families:
            raise fail("no OKX perpetual of those coins in the instrument catalogue (run `liqwatch run` once)")

        _run_with_client(
            lambda client: okx_backfill(
                store,
                store.write_events,
                client,
                catalogue,
                since=_since(since, now - DAY_MS),
                now=now,
                families=families,
                base=url or settings.rest_urls.get("okx") or okx.REST,
                progress=_progress(quiet),
            )
        )


@backfill_app.command("deribit")
def deribit_(
    since: SinceOption = None,
    currency: Annotated[str, typer.Option("--currency", help="Currencies, comma-separated.")] = "BTC,ETH",
    url: UrlOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Deribit futures trades flagged as liquidations, over REST (long history)."""
    from liqwatch.backfill.events import deribit_backfill
    from liqwatch.cli.common import csv_list
    from liqwatch.venues import deribit

    now = _now()
    with _store(db) as (store, settings):
        catalogue = _catalogue(store, settings)

        _run_with_client(
            lambda client: deribit_backfill(
                store,
                store.write_events,
                client,
                catalogue,
                since=_since(since, now - DAY_MS),
                now=now,
                currencies=[c.upper() for c in csv_list(currency)],
                base=url or settings.rest_urls.get("deribit") or deribit.REST,
                progress=_progress(quiet),
            )
        )


@backfill_app.command("coinalyze")
def coinalyze_(
    coin: Annotated[str, typer.Option("--coin", help="Coin, e.g. BTC.")] = "BTC",
    interval: Annotated[str, typer.Option("--interval", help="daily or 1hour.")] = "daily",
    since: SinceOption = None,
    exchanges: Annotated[
        str | None, typer.Option("--exchanges", help="Coinalyze exchange codes, comma-separated (A Binance, 6 Bybit…).")
    ] = None,
    api_key: Annotated[str | None, typer.Option("--api-key", help="Coinalyze key (or COINALYZE_API_KEY).")] = None,
    pace: Annotated[float, typer.Option("--pace", help="Seconds between calls (its limit: 40 a minute).")] = 1.5,
    url: UrlOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Coinalyze liquidation history per exchange into aggregate history (kept apart from events)."""
    from liqwatch.backfill.aggregate import coinalyze
    from liqwatch.cli.common import csv_list, fail

    if interval not in src.COINALYZE_INTERVALS:
        raise fail(f"--interval: {interval!r} is not one of {', '.join(src.COINALYZE_INTERVALS)}")
    key = _key(api_key, "COINALYZE_API_KEY", "Coinalyze")
    now = _now()
    with _store(db) as (store, _settings):
        _run_with_client(
            lambda client: coinalyze(
                store,
                client,
                key=key,
                coin=coin.upper(),
                interval=interval,
                since=_since(since, now - 5 * 365 * DAY_MS),
                now=now,
                base=url or src.COINALYZE_URL,
                exchanges=csv_list(exchanges),
                pace=pace,
                progress=_progress(quiet),
            )
        )


@backfill_app.command("coinglass")
def coinglass_(
    coin: Annotated[str, typer.Option("--coin", help="Coin, e.g. BTC.")] = "BTC",
    interval: Annotated[str, typer.Option("--interval", help="1h, 4h, 12h or 1d (plans limit the shortest).")] = "1d",
    since: SinceOption = None,
    exchanges: Annotated[str, typer.Option("--exchanges", help="CoinGlass exchange list.")] = src.COINGLASS_EXCHANGES,
    api_key: Annotated[str | None, typer.Option("--api-key", help="CoinGlass key (or COINGLASS_API_KEY).")] = None,
    url: UrlOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """CoinGlass aggregated liquidation history into aggregate history (kept apart from events)."""
    from liqwatch.backfill.aggregate import coinglass
    from liqwatch.cli.common import fail

    if interval not in src.COINGLASS_INTERVALS:
        raise fail(f"--interval: {interval!r} is not one of {', '.join(src.COINGLASS_INTERVALS)}")
    key = _key(api_key, "COINGLASS_API_KEY", "CoinGlass")
    now = _now()
    with _store(db) as (store, _settings):
        _run_with_client(
            lambda client: coinglass(
                store,
                client,
                key=key,
                coin=coin.upper(),
                interval=interval,
                since=_since(since, now - 2 * 365 * DAY_MS),
                now=now,
                base=url or src.COINGLASS_URL,
                exchanges=exchanges,
                progress=_progress(quiet),
            )
        )


@backfill_app.command("prices")
def prices_(
    coins: Annotated[str, typer.Option("--coins", help="Coins, comma-separated.")] = "BTC,ETH",
    since: Annotated[str | None, typer.Option("--since", help="TIME for daily candles (default: 5 years).")] = None,
    hourly_since: Annotated[
        str | None, typer.Option("--hourly-since", help="TIME for hourly candles (default: 90 days).")
    ] = None,
    rest_url: Annotated[
        list[str] | None, typer.Option("--rest-url", help="Override a venue's REST base: VENUE=URL (repeatable).")
    ] = None,
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Daily and hourly candles from the venues' REST klines (Binance, then Bybit, then OKX)."""
    from liqwatch import config
    from liqwatch.backfill.prices import prices_backfill
    from liqwatch.cli.common import csv_list, fail, time_option

    try:
        urls = config.parse_overrides(rest_url or [], "--rest-url")
    except config.ConfigError as exc:
        raise fail(str(exc)) from None
    now = _now()
    daily = _since(since, now - 5 * 365 * DAY_MS)
    hourly = time_option(hourly_since, "--hourly-since") or now - 90 * DAY_MS
    with _store(db) as (store, settings):
        _run_with_client(
            lambda client: prices_backfill(
                store,
                client,
                coins=[c.upper() for c in csv_list(coins)],
                since_daily=daily,
                since_hourly=hourly,
                now=now,
                rest_urls=dict(settings.rest_urls) | urls,
                progress=_progress(quiet),
            )
        )

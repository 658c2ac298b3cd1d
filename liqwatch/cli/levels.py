"""`liqwatch levels …`: the liquidation levels map and the model's published backtest score."""

from __future__ import annotations

import time
from typing import Annotated

import msgspec
import typer

from liqwatch import money as house

levels_app = typer.Typer(
    help="Liquidation levels: modelled long/short 'fuel' by price, and how well the model scores.",
    no_args_is_help=True,
)

CoinOption = Annotated[str, typer.Option("--coin", help="Coin, e.g. BTC.")]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON output.")]
DbOption = Annotated[str | None, typer.Option("--db", help="DuckDB file (default ./liqwatch.duckdb, or LIQWATCH_DB).")]


def _usd(value: float) -> str:
    """Modelled amounts (levels are estimates): the house style's "~$960K" (liqwatch.money)."""
    return house.estimate_table(value)


HOUR_MS = 3_600_000


def no_map_cause(coin: str, moment: int, opens: list[int]) -> str:
    """Why no map of `coin` can be drawn at `moment`, and what to do, in one line."""
    from liqwatch.queries import LEVELS_LOOKBACK_MS
    from liqwatch.timeparse import iso

    if not opens:
        return (
            f"no hourly candles of {coin} stored: `liqwatch run` polls the coins in market_coins "
            f"(default BTC, ETH, SOL); add {coin} there (config file or LIQWATCH_MARKET_COINS) and let it run"
        )
    first, last = min(opens), max(opens)
    if moment < first + HOUR_MS:
        first_close = iso(first + HOUR_MS)
        return f"no hourly candles of {coin} closed by {iso(moment)}: the first stored one closes at {first_close}"
    return (
        f"no hourly candles of {coin} in the {LEVELS_LOOKBACK_MS // 86_400_000} days before {iso(moment)}: "
        f"the newest stored one opens at {iso(last)} (pass --at {iso(last + HOUR_MS)})"
    )


@levels_app.command("map")
def map_(
    coin: CoinOption = "BTC",
    at: Annotated[str | None, typer.Option("--at", help="TIME (ISO 8601 or epoch ms); default now.")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The current liquidation map from stored hourly candles and open interest."""
    from liqwatch import queries
    from liqwatch.cli.common import err, open_store, out, settings_from, time_option
    from liqwatch.timeparse import iso

    moment = time_option(at, "--at") or int(time.time() * 1000)
    name = coin.upper()
    with open_store(settings_from(db), read_only=True) as store:
        levels = queries.levels_map(store, name, moment)
        bars = queries.candles(store, name, HOUR_MS)
    if levels is None:
        err.print(f"{no_map_cause(name, moment, [b.open_ts for b in bars])}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    stale = moment - (max(b.open_ts for b in bars if b.open_ts <= moment) + HOUR_MS)
    if stale > 2 * HOUR_MS:
        err.print(
            f"note: the newest hourly candle of {name} before {iso(moment)} closed {stale // HOUR_MS} h earlier: "
            "the map is as of then",
            highlight=False,
            soft_wrap=True,
        )
    if as_json:
        out.print_json(msgspec.json.encode(levels).decode())
        return
    if not levels.venues:
        err.print(f"note: no open interest of {levels.coin} stored: the map is empty", highlight=False)
    out.print(
        f"{levels.coin} at {iso(levels.at)}: price {levels.price:,.6g} ({levels.source}); "
        f"model {levels.model_version}, bins of {levels.bin_size:g}, "
        f"open interest from {', '.join(levels.venues) or '—'}",
        highlight=False,
    )
    for name, side in (("shorts above", levels.shorts), ("longs below", levels.longs)):
        peak = f"peak {_usd(side.peak.usd)} at {side.peak.price:,.6g}" if side.peak else "no peak"
        half = f", half of it by {side.half_price:,.6g}" if side.half_price is not None else ""
        out.print(f"  {name}: {_usd(side.total_usd)} within ±{levels.range_pct:.0%}; {peak}{half}", highlight=False)
    if levels.liq_ratio is not None:
        out.print(f"  liq ratio (short share): {levels.liq_ratio:.2f}", highlight=False)


@levels_app.command("events")
def events_(
    coin: CoinOption = "BTC",
    since: Annotated[str, typer.Option("--since", help="TIME: bars ending after it.")] = "",
    until: Annotated[
        str | None, typer.Option("--until", help="TIME: bars ending at or before it; default now.")
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """'Price broke through a major liquidation level' events of the modelled map (research §4.4)."""
    from liqwatch import queries
    from liqwatch.cli.common import fail, open_store, out, settings_from, time_option
    from liqwatch.timeparse import iso

    end = time_option(until, "--until") or int(time.time() * 1000)
    start = time_option(since, "--since") if since else end - 86_400_000
    if start is None or start >= end:
        raise fail("--since must be before --until")
    with open_store(settings_from(db), read_only=True) as store:
        found = queries.levels_events(store, coin.upper(), start, end)
    if as_json:
        out.print_json(msgspec.json.encode(found).decode())
        return
    for e in found:
        realized = "-" if e.realized_usd is None else house.table(e.realized_usd)
        out.print(
            f"{iso(e.ts)} {e.coin} {e.side} level {e.level_price:,.6g}: cleared {_usd(e.fuel_cleared_usd)} "
            f"({e.majors_cleared} major), realized {realized}; model {e.model_version}",
            highlight=False,
        )


@levels_app.command("backtest")
def backtest_(
    tape: Annotated[str | None, typer.Option("--tape", help="'generated': a seeded tape with known positions.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated tape.")] = 1,
    coin: CoinOption = "BTC",
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Score the model: share of realized liquidation USD inside its top bins vs the price-time they cover."""
    from liqwatch import queries
    from liqwatch.analytics.levels_backtest import backtest
    from liqwatch.cli.common import fail, open_store, out, settings_from

    if tape not in (None, "generated"):
        raise fail(f"--tape: unknown tape {tape!r} (known: generated)")
    if tape == "generated":
        from liqwatch.sim.levels_tape import generate

        generated = generate(seed, coin=coin.upper())
        score = backtest(
            generated.candles, generated.open_interest, generated.liquidations, source=f"generated tape seed {seed}"
        )
    else:
        settings = settings_from(db)
        with open_store(settings) as store:
            score = queries.levels_backtest(store, coin.upper(), source=f"store {settings.db}")
        if score.bars == 0:
            raise fail(f"no hourly candles of {coin.upper()} in {settings.db}: nothing to score")
    if as_json:
        out.print_json(msgspec.json.encode(score).decode())
    else:
        out.print(score.describe(), highlight=False, soft_wrap=True)

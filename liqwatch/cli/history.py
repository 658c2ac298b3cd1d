"""`liqwatch history …`: ranks of calendar periods with a named basis, and the stored history."""

from __future__ import annotations

import time
from typing import Annotated, cast, get_args

import msgspec
import typer

history_app = typer.Typer(
    help="History: rank a day, weekend, week or month against the same kind of period, on a named basis "
    "(`liqwatch history --period weekend` is `liqwatch history rank --period weekend`).",
)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="DuckDB file or postgresql:// URL (default ./liqwatch.duckdb, or LIQWATCH_DB)."),
]

PeriodOption = Annotated[str, typer.Option("--period", help="day, weekend, week or month.")]
OnOption = Annotated[str | None, typer.Option("--on", help="A TIME inside the period (e.g. 2024-08-05).")]
AtOption = Annotated[
    str | None, typer.Option("--at", help="TIME: rank the last whole period ended by then (default: now).")
]
CoinOption = Annotated[str | None, typer.Option("--coin", help="One coin, e.g. BTC (default: all coins).")]
SideOption = Annotated[str, typer.Option("--side", help="long, short or total.")]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON output.")]


@history_app.callback(invoke_without_command=True)
def history(
    ctx: typer.Context,
    period: PeriodOption = "day",
    on: OnOption = None,
    at: AtOption = None,
    coin: CoinOption = None,
    side: SideOption = "total",
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Without a command: `rank` with these options."""
    if ctx.invoked_subcommand is None:
        rank(period=period, on=on, at=at, coin=coin, side=side, as_json=as_json, db=db)


@history_app.command("rank")
def rank(
    period: PeriodOption = "day",
    on: OnOption = None,
    at: AtOption = None,
    coin: CoinOption = None,
    side: SideOption = "total",
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Where a period stands among earlier periods of its kind, on the longest comparable series:
    liqwatch's own events where they cover it, else an imported series of the same coin."""
    from liqwatch import queries
    from liqwatch.analytics.basis import KINDS, Metric, PeriodKind, last_complete, period_at
    from liqwatch.cli.common import err, fail, open_store, out, settings_from, time_option

    if period not in KINDS:
        raise fail(f"--period: {period!r} is not one of {', '.join(KINDS)}")
    if side not in get_args(Metric):
        raise fail(f"--side: {side!r} is not one of long, short, total")
    if on is not None and at is not None:
        raise fail("--on and --at: give one of them")
    kind: PeriodKind = period
    metric = cast(Metric, side)
    inside = time_option(on, "--on")
    try:
        span = (
            period_at(kind, inside)
            if inside is not None
            else last_complete(kind, time_option(at, "--at") or int(time.time() * 1000))
        )
    except (ValueError, OverflowError):  # a month past year 9999
        raise fail("--on/--at: out of range") from None
    if span[1] > int(time.time() * 1000):
        raise fail(f"--on: that {kind} has not ended yet: rank a whole one (--at, or an earlier --on)")
    with open_store(settings_from(db), read_only=True) as store:
        ranks = queries.history_ranks(store, kind, span, metric, coin.upper() if coin else None)
    if as_json:
        out.print_json(msgspec.json.encode(queries.history_ranks_json(ranks)).decode())
        return
    out.print(ranks.sentence, highlight=False, soft_wrap=True)
    for other in ranks.others[1:]:
        err.print(
            f"  also: {other.basis}: rank {other.rank} of {other.comparable + 1:,} ({other.comparable:,} comparable)",
            highlight=False,
        )


@history_app.command("series")
def series(db: DbOption = None) -> None:
    """The aggregate history series stored (imported or backfilled), with their spans."""
    from rich.table import Table

    from liqwatch.aggregates import SOURCE_NAMES
    from liqwatch.cli.common import open_store, out, settings_from
    from liqwatch.file_kinds import io_interval
    from liqwatch.timeparse import iso

    with open_store(settings_from(db), read_only=True) as store:
        found = store.aggregate_series()
    if not found:
        out.print("no aggregate history stored: `liqwatch import` a Coinalyze/CoinGlass file or `liqwatch backfill`")
        return
    table = Table("source", "coin", "exchanges", "interval", "from", "to", "buckets")
    for s in found:
        table.add_row(
            SOURCE_NAMES.get(s.source, s.source),
            s.coin,
            s.venues,
            io_interval(s.interval_ms),
            iso(s.first_ts)[:10],
            iso(s.last_ts + s.interval_ms - 1)[:16].replace("T", " "),
            f"{s.buckets:,}",
        )
    out.print(table)

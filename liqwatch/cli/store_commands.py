"""Commands over a store: import, reprice, events, summary, status, prune."""

from __future__ import annotations

import csv
import io
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.table import Table

from liqwatch import queries
from liqwatch.analytics.covers import covers_json
from liqwatch.analytics.summary import Summary, parse_windows, summary_to_json
from liqwatch.cli.common import (
    AheadOption,
    ConfigOption,
    DbOption,
    app,
    coin_total,
    err,
    fail,
    money,
    open_store,
    out,
    plain_number,
    settings_from,
    time_option,
)
from liqwatch.config import Settings
from liqwatch.model import Liquidation
from liqwatch.store.base import EventFilter, Store
from liqwatch.timeparse import iso
from liqwatch.web import params


@app.command("import")
def import_(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Capture journals (.jsonl[.gz]), Tardis liquidation CSVs (.csv[.gz]), Hyperliquid node fills "
            "files (…/hourly/YYYYMMDD/H, plain or .lz4), Coinalyze/CoinGlass liquidation history (CSV or saved "
            "API JSON), Binance public-data kline CSV/zip, or directories of them. Recognised by content.",
            show_default=False,
        ),
    ],
    db: DbOption = None,
    config_file: ConfigOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    coin: Annotated[
        str | None, typer.Option("--coin", help="The coin of a CoinGlass file whose name does not say it.")
    ] = None,
    max_event_ahead: AheadOption = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            help="Processes that decode and parse journals and node fills (default: one a core, for more than "
            "2 MB of them; 0: this process alone; Linux only, elsewhere always 0). Tardis CSVs into DuckDB are "
            "read as Arrow columns in this process.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Replay capture journals or Tardis CSV files by the venue parsers' rules into the store; load
    aggregate liquidation history and candles.

    Importing twice changes nothing (but for events stored unpriced that are now priced).

    Exits 1 when a file could not be read at all; 2 when a file is of no known kind (nothing imported);
    3 when it stopped part-way (the store failed, a worker process died): what was written stays.
    """
    from liqwatch.cli.importing import import_paths

    settings = settings_from(db, config_file, max_event_ahead_s=max_event_ahead)
    import_paths(settings, files, quiet=quiet, verb="import", coin=coin, workers=workers)


@app.command()
def reprice(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Journals or Tardis CSV files to read the events' sizes from (default: the store's own journal).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    config_file: ConfigOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Give events stored without a USD value (unknown contract size) their value, now that the
    catalogue knows the contract: reads their frames again from the journal; rollups follow."""
    from liqwatch.cli.importing import import_paths

    settings = settings_from(db, config_file)
    if not files:
        if not settings.journal_dir.is_dir():
            raise fail(
                f"no journal at {settings.journal_dir}: name the journals or Tardis files to read the sizes from"
            )
        files = [settings.journal_dir]
    import_paths(settings, files, quiet=quiet, verb="reprice")


@app.command()
def events(
    db: DbOption = None,
    since: Annotated[str | None, typer.Option(help="Only events after TIME (ISO 8601 or epoch ms).")] = None,
    until: Annotated[str | None, typer.Option(help="Only events at or before TIME.")] = None,
    venue: Annotated[str | None, typer.Option(help="Venue id(s), comma-separated.")] = None,
    coin: Annotated[str | None, typer.Option(help="Coin(s), comma-separated, e.g. BTC,ETH.")] = None,
    side: Annotated[str | None, typer.Option(help="long or short (the liquidated position).")] = None,
    min_usd: Annotated[str | None, typer.Option("--min-usd", help="Only events of at least this USD value.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many events.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl, csv or table.")] = "jsonl",
) -> None:
    """Print stored events, oldest first."""
    if fmt not in ("jsonl", "csv", "table"):
        raise fail(f"--format: {fmt!r} is not one of jsonl, csv, table")
    if side is not None and side not in ("long", "short"):
        raise fail(f"--side: {side!r} is not long or short")
    if limit is not None and limit < 0:
        raise fail("--limit must be ≥ 0")
    # the same checks and words as the API's 422s (web/params.py is pure)
    try:
        lo, hi = params.time_range(since, until)
        where = EventFilter(
            since=lo,
            until=hi,
            venues=params.venues_param("venue", venue),
            coins=params.coins_param("coin", coin),
            side=side,
            min_usd=params.usd_text_param("min_usd", min_usd),
        )
    except params.ParamError as exc:
        raise fail(f"--{exc.name.replace('_', '-')}: {exc.why.replace('before until', 'before --until')}") from None
    settings = settings_from(db)
    with open_store(settings, read_only=True) as store:
        rows = queries.events(store, where, limit)
        if fmt == "jsonl":
            write_jsonl(rows)
        elif fmt == "csv":
            write_csv(rows)
        else:
            out.print(events_table(list(rows)))


def write_jsonl(rows: Iterator[Liquidation]) -> None:
    encoder = msgspec.json.Encoder()
    stream = sys.stdout.buffer
    buffer = bytearray()
    for event in rows:
        encoder.encode_into(event, buffer, -1)
        buffer.extend(b"\n")
        if len(buffer) > 1 << 16:
            stream.write(buffer)
            buffer.clear()
    stream.write(buffer)
    stream.flush()


FIELDS = list(Liquidation.__struct_fields__)


def write_csv(rows: Iterator[Liquidation]) -> None:
    text = io.TextIOWrapper(sys.stdout.buffer, newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(FIELDS)
    for event in rows:
        writer.writerow(["" if v is None else v for v in (getattr(event, f) for f in FIELDS)])
    text.flush()
    text.detach()


def events_table(rows: list[Liquidation]) -> Table:
    table = Table(title=f"{len(rows)} liquidation{'' if len(rows) == 1 else 's'}", title_justify="left")
    for name in ("time (UTC)", "venue", "symbol", "side", "price", "qty", "usd"):
        figure = name in ("price", "qty", "usd", "time (UTC)")
        # figures are never cut; names wrap onto a second line on a narrow terminal instead
        table.add_column(
            name, justify="right" if figure and name != "time (UTC)" else "left", no_wrap=figure, overflow="fold"
        )
    for e in rows:
        colour = "green" if e.side == "short" else "red"
        table.add_row(
            iso(e.ts),
            e.venue,
            e.symbol,
            f"[{colour}]{e.side}[/]",
            plain_number(e.price),
            "—" if e.qty is None else plain_number(e.qty),
            money(e.usd),
        )
    return table


@app.command()
def summary(
    db: DbOption = None,
    at: Annotated[str | None, typer.Option(help="End of the windows, TIME (default: now).")] = None,
    windows: Annotated[str | None, typer.Option(help="Windows, e.g. 1h,4h,12h,24h.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
) -> None:
    """Totals per window: long/short USD, counts, largest order, by coin, by venue, coverage."""
    settings = settings_from(db, windows=windows)
    try:
        spans = parse_windows(settings.windows)
    except ValueError as exc:
        raise fail(f"--windows: {exc}") from None
    end = time_option(at, "--at")
    if end is None:
        end = int(time.time() * 1000)
    statuses = fresh_statuses(settings)
    with open_store(settings, read_only=True) as store:
        result = queries.summary(store, end, spans)
        if not as_json:
            note = empty_windows_note(store, result)
            if note:
                err.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    if as_json:
        doc = summary_to_json(result)
        doc["covers"] = covers_json(queries.summary_covers(result, statuses))
        sys.stdout.write(msgspec.json.encode(doc).decode() + "\n")
    else:
        print_summary(result)
        out.print(f"Covers: {queries.summary_covers(result, statuses).line}", highlight=False, soft_wrap=True)


def fresh_statuses(settings: Settings) -> list[Any]:
    """The status a `liqwatch run` beside this DuckDB file writes, if it is running (what it covers)."""
    from liqwatch.feed.collector import read_status

    if settings.db.startswith(("postgresql://", "postgres://")):
        return []
    found = read_status(settings.status_file)
    return [found] if found is not None and not found.is_stale(int(time.time() * 1000)) else []


def empty_windows_note(store: Store, result: Summary) -> str | None:
    """Why every window is empty, in one line, when they are: no events at all, or none that early or late."""
    if any(w.count for w in result.windows):
        return None
    spans = queries.venue_spans(store)
    if not spans:
        return "the store holds no events yet: `liqwatch run` collects, `liqwatch import FILE…` loads history"
    first = min(span.first_ts for span in spans)
    last = max(span.last_ts for span in spans)
    longest = max(w.end - w.start for w in result.windows)
    if result.at - longest >= last:
        return f"no events in these windows: the newest stored event is at {iso(last)} (pass --at to look there)"
    if result.at < first:
        return f"no events in these windows: the first stored event is at {iso(first)}"
    return "no events in these windows"


def print_summary(result: Summary) -> None:
    table = Table(title=f"Liquidations to {iso(result.at)}", title_justify="left")
    for name in ("window", "total", "longs", "shorts", "count", "largest", "top coins"):
        words = name in ("largest", "top coins")
        table.add_column(
            name, justify="left" if words or name == "window" else "right", no_wrap=not words, overflow="fold"
        )
    for w in result.windows:
        largest = "—"
        if w.largest is not None:
            e = w.largest
            # Lighter names its markets by number: "0" alone says nothing to a reader
            symbol = f"{e.coin} (market {e.symbol})" if e.symbol.isdigit() else e.symbol
            largest = f"{money(e.usd)} {symbol} {e.side} on {e.venue}"
        top = "\n".join(coin_total(coin, t) for coin, t in list(w.by_coin.items())[:3])
        table.add_row(
            w.label,
            money(w.total_usd),
            f"[red]{money(w.long_usd)}[/]",
            f"[green]{money(w.short_usd)}[/]",
            f"{w.count:,}",
            largest,
            top or "—",
        )
    out.print(table)
    sampled = sorted({v for w in result.windows for v, c in w.coverage.items() if c == "sampled"})
    if sampled:
        out.print(
            f"[dim]Sampled venues ({', '.join(sampled)}) publish only some liquidations: "
            "their totals are lower bounds.[/]"
        )


@app.command()
def status(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
) -> None:
    """Per venue: connected, last frame age, events today, gaps, dead letters (and, on PostgreSQL, per collector)."""
    from liqwatch.status import collect_shared_status, collect_status, collectors_table, status_table
    from liqwatch.store.base import StoreError
    from liqwatch.store.open import is_postgres
    from liqwatch.store.open import open_store as open_any

    settings = settings_from(db)
    now = int(time.time() * 1000)
    if is_postgres(settings.db):
        try:
            store = open_any(settings.db, read_only=True)
            try:
                collectors, venues = collect_shared_status(store, now)
            finally:
                store.close()
        except StoreError as exc:
            raise fail(str(exc)) from None
        if as_json:
            sys.stdout.write(msgspec.json.encode({"collectors": collectors, "venues": venues}).decode() + "\n")
        else:
            out.print(collectors_table(collectors))
            out.print(status_table(venues))
        return
    rows = collect_status(settings, now_ms=now)
    if as_json:
        sys.stdout.write(msgspec.json.encode(rows).decode() + "\n")
    else:
        out.print(status_table(rows))
        from liqwatch.feed.collector import read_status
        from liqwatch.status import writes_line

        line = writes_line(read_status(settings.status_file))
        if line:
            out.print(f"[red]{line}[/]", soft_wrap=True)


@app.command()
def prune(
    db: DbOption = None,
    before: Annotated[
        str | None, typer.Option(help="Remove everything at or before TIME (rounded down to a whole hour).")
    ] = None,
    keep: Annotated[str | None, typer.Option(help="Or keep this much history, e.g. 400d (cutoff: now − KEEP).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would be removed.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Allow a cutoff in the future or the last 24 h.")] = False,
) -> None:
    """Retention: remove events, their rollup hours, gaps, candles, market statistics and wallet
    snapshots at or before a cutoff (PostgreSQL drops whole monthly partitions)."""
    from liqwatch.analytics.summary import parse_window
    from liqwatch.store.base import StoreError
    from liqwatch.store.retention import check_cutoff

    if (before is None) == (keep is None):
        raise fail("give one of --before TIME or --keep DURATION (e.g. --keep 400d)")
    now = int(time.time() * 1000)
    if keep is not None:
        try:
            cutoff = now - parse_window(keep)[1]
        except ValueError as exc:
            raise fail(f"--keep: {exc}") from None
    else:
        cutoff = time_option(before, "--before") or 0
    try:
        cutoff = check_cutoff(cutoff, now, force=force)
    except ValueError as exc:
        raise fail(f"{'--keep' if keep else '--before'}: {exc}") from None
    settings = settings_from(db)
    with open_store(settings) as store:
        try:
            done = store.prune(cutoff, dry_run=dry_run)
        except StoreError as exc:
            raise fail(str(exc)) from None
    out.print(done.describe(), highlight=False, soft_wrap=True)

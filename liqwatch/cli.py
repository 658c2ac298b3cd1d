"""The command line: flags → Settings → objects → output. Thin on purpose."""

from __future__ import annotations

import csv
import io
import math
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from liqwatch import config, queries
from liqwatch import money as house
from liqwatch.analytics.covers import covers_json
from liqwatch.analytics.summary import Summary, Totals, parse_windows, summary_to_json
from liqwatch.cli_backfill import backfill_app
from liqwatch.cli_history import history_app
from liqwatch.cli_levels import levels_app
from liqwatch.cli_wallets import wallets_app
from liqwatch.config import ConfigError, Settings
from liqwatch.model import Liquidation
from liqwatch.store.base import EventFilter, Store
from liqwatch.timeparse import iso, parse_time
from liqwatch.venues import VENUE_IDS
from liqwatch.venues.lifecycle import LIVE_VENUE_IDS, refuse_closed
from liqwatch.web import params

app = typer.Typer(
    help="liqwatch: liquidations from the big derivatives venues, normalized, stored and summarized.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output is not cut to 80 columns: tables take their natural width (a terminal still wraps).
out = Console() if sys.stdout.isatty() else Console(width=240)
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="DuckDB file, or a postgresql://user@host/dbname URL (default ./liqwatch.duckdb, or LIQWATCH_DB)."
    ),
]
ConfigOption = Annotated[str | None, typer.Option("--config", help="TOML config file.")]
HostOption = Annotated[str, typer.Option(help="Address the API listens on (127.0.0.1: this machine only).")]
PortOption = Annotated[int, typer.Option(help="Port of the API and dashboard (0: a free one).", min=0, max=65535)]
AheadOption = Annotated[
    float | None,
    typer.Option(
        "--max-event-ahead",
        help="Refuse events stamped more than this many seconds after their receive time (default 300).",
        min=0.001,
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--api-token",
        help="Require this token for the API and live stream (Authorization: Bearer, or ?token=); "
        "also api_token in the config file or LIQWATCH_API_TOKEN.",
    ),
]


class UsageError(Exception):
    """A user mistake: printed as one line, exit status 2."""


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def settings_from(db: str | None, config_file: str | None = None, **flags: Any) -> Settings:
    try:
        return config.load(config_file, db=db, **flags)
    except ConfigError as exc:
        raise fail(str(exc)) from None


@contextmanager
def open_store(settings: Settings, *, must_exist: bool = True, read_only: bool = False) -> Iterator[Store]:
    """The store of `settings`, closed on the way out; a one-line error when it cannot be opened.

    read_only: for commands that only read, so they work beside a `liqwatch serve` holding the same
    DuckDB file (a file written by an older liqwatch is opened for writing once, to upgrade it)."""
    from liqwatch.store.base import StoreError, StoreNeedsUpgrade
    from liqwatch.store.open import open_store as open_any

    try:
        try:
            store = open_any(settings.db, must_exist=must_exist, read_only=read_only)
        except StoreNeedsUpgrade:
            store = open_any(settings.db, must_exist=must_exist)
    except StoreError as exc:
        raise fail(str(exc)) from None
    try:
        yield store
    finally:
        try:
            store.close()
        except StoreError as exc:  # e.g. a full disk at the closing checkpoint: say it, in one line
            err.print(f"liqwatch: warning: {exc}", highlight=False, markup=False)


def time_option(value: str | None, flag: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as exc:
        raise fail(f"{flag}: {exc}") from None


def csv_list(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else ()


def venue_list(value: str | None, flag: str = "--venue") -> tuple[str, ...]:
    venues = csv_list(value)
    unknown = [v for v in venues if v not in VENUE_IDS]
    if unknown:
        raise fail(f"{flag}: unknown venue {', '.join(unknown)} (known: {', '.join(VENUE_IDS)})")
    return venues


# ── import ────────────────────────────────────────────────────────────────────────────────────


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
) -> None:
    """Replay capture journals or Tardis CSV files through the venue parsers into the store; load
    aggregate liquidation history and candles.

    Importing twice changes nothing (but for events stored unpriced that are now priced).
    Exits 1 when a file could not be read at all, 2 when a file is of no known kind (nothing imported).
    """
    from liqwatch.cli_import import import_paths

    settings = settings_from(db, config_file, max_event_ahead_s=max_event_ahead)
    import_paths(settings, files, quiet=quiet, verb="import", coin=coin)


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
    from liqwatch.cli_import import import_paths

    settings = settings_from(db, config_file)
    if not files:
        if not settings.journal_dir.is_dir():
            raise fail(
                f"no journal at {settings.journal_dir}: name the journals or Tardis files to read the sizes from"
            )
        files = [settings.journal_dir]
    import_paths(settings, files, quiet=quiet, verb="reprice")


# ── events ────────────────────────────────────────────────────────────────────────────────────


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


def money(value: float | None) -> str:
    """Table cells in the house style (liqwatch.money): "$748.3M"; no USD value: "unpriced"."""
    return "unpriced" if value is None else house.table(value)


def coin_total(coin: str, totals: Totals) -> str:
    """ "BTC $364.4M"; a coin whose orders all lack a USD value: "SOL unpriced (3 orders)", never $0."""
    if totals.total_usd == 0 and totals.unpriced_count:
        return f"{coin} unpriced ({house.plural(totals.unpriced_count, 'order')})"
    return f"{coin} {money(totals.total_usd)}"


def plain_number(value: float, significant: int = 6) -> str:
    """`value` with thousands separators and up to `significant` digits, never in exponent form."""
    if not math.isfinite(value) or value == 0:
        return f"{value:,}"
    exponent = math.floor(math.log10(abs(value)))
    places = max(0, significant - 1 - exponent)
    text = f"{value:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


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


# ── summary ───────────────────────────────────────────────────────────────────────────────────


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
            largest = f"{money(w.largest.usd)} {w.largest.symbol} {w.largest.side} on {w.largest.venue}"
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


# ── status ────────────────────────────────────────────────────────────────────────────────────


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


# ── prune ─────────────────────────────────────────────────────────────────────────────────────


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


# ── run ───────────────────────────────────────────────────────────────────────────────────────


@app.command()
def run(
    db: DbOption = None,
    config_file: ConfigOption = None,
    venues: Annotated[str | None, typer.Option(help="Venue ids to collect, comma-separated (default: all).")] = None,
    venue_url: Annotated[
        list[str] | None,
        typer.Option("--venue-url", help="Override a WebSocket URL: VENUE=URL or VENUE.CONNECTION=URL (repeatable)."),
    ] = None,
    rest_url: Annotated[
        list[str] | None,
        typer.Option(
            "--rest-url",
            help="Override a REST base URL: VENUE=URL (repeatable); hyperliquid=URL: where the watched wallets' "
            "POST /info and leaderboard are (the simulator's).",
        ),
    ] = None,
    no_rest: Annotated[bool, typer.Option("--offline-catalogue", help="Do not fetch instruments over REST.")] = False,
    state_dir: Annotated[
        str | None,
        typer.Option(
            "--state-dir",
            help="With a postgresql:// --db: this collector's journal, dead letters and status "
            "(default ./liqwatch-state; one per collector on a machine).",
        ),
    ] = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Collect only: no API and dashboard in this process.")
    ] = False,
    hyperliquid_node_dir: Annotated[
        str | None,
        typer.Option(
            "--hyperliquid-node-dir",
            help="A Hyperliquid non-validator node's data directory (run with --write-fills, e.g. ~/hl/data): "
            "follow its fills files for market-wide Hyperliquid liquidations (without it: not covered).",
        ),
    ] = None,
    max_event_ahead: AheadOption = None,
    api_token: TokenOption = None,
) -> None:
    """Live: connect to the venues, capture, normalize and store liquidations until Ctrl-C.

    Serves the HTTP API, the live stream and the dashboard on --host:--port (unless --no-serve).
    """
    import signal

    # Until the event loop takes the signals over: SIGTERM like Ctrl-C, a clean stop (exit 0).
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        _run_command(
            db,
            config_file,
            venues,
            venue_url,
            rest_url,
            no_rest,
            state_dir,
            host,
            port,
            no_serve,
            max_event_ahead,
            api_token,
            hyperliquid_node_dir,
        )
    except KeyboardInterrupt:
        err.print("liqwatch: stopped while starting", highlight=False)


def _run_command(
    db: str | None,
    config_file: str | None,
    venues: str | None,
    venue_url: list[str] | None,
    rest_url: list[str] | None,
    no_rest: bool,
    state_dir: str | None,
    host: str,
    port: int,
    no_serve: bool,
    max_event_ahead: float | None,
    api_token: str | None,
    hyperliquid_node_dir: str | None,
) -> None:
    from liqwatch.alerts.wiring import build_engine, seed_from_store
    from liqwatch.live import run_live
    from liqwatch.live_tasks import Extras
    from liqwatch.wallets.config import load_wallets_config
    from liqwatch.wallets.model import WalletError

    try:
        settings = config.load(
            config_file,
            db=db,
            state_dir=state_dir,
            venues=venues,
            venue_urls=config.parse_overrides(venue_url or [], "--venue-url") or None,
            rest_urls=config.parse_overrides(rest_url or [], "--rest-url") or None,
            hyperliquid_node_dir=hyperliquid_node_dir,
            max_event_ahead_s=max_event_ahead,
            api_token=api_token,
        )
        warn_about_config(config_file)
        alerts = build_engine(config_file)  # a mistake in the rules stops here, before anything starts
        wallets = load_wallets_config(config_file)
    except (ConfigError, WalletError) as exc:
        raise fail(str(exc)) from None
    selected = LIVE_VENUE_IDS if settings.venues == "all" else venue_list(settings.venues, "--venues")
    refusal = refuse_closed(selected)
    if refusal:
        raise fail(refusal)
    node_dir = settings.hyperliquid_node_dir
    if node_dir and not Path(node_dir).expanduser().is_dir():
        raise fail(
            f"--hyperliquid-node-dir: {node_dir} is not a directory (give the node's data directory, "
            "e.g. ~/hl/data, where it writes node_fills or node_fills_by_block)"
        )
    for key in list(settings.venue_urls) + list(settings.rest_urls):
        if key.split(".", 1)[0] not in VENUE_IDS:
            raise fail(f"URL override for unknown venue {key!r} (known: {', '.join(VENUE_IDS)})")
    from liqwatch.venues import REGISTRY

    for key in settings.venue_urls:
        if not REGISTRY[key.split(".", 1)[0]].urls:
            raise fail(f"--venue-url {key}: no WebSocket feed; give its node's files with --hyperliquid-node-dir")
    if "hyperliquid" in settings.rest_urls:  # the watched wallets' POST /info and leaderboard (the simulator)
        base = settings.rest_urls["hyperliquid"].rstrip("/")
        wallets = msgspec.structs.replace(wallets, url=base, leaderboard_url=f"{base}/Mainnet/leaderboard")
    extras = Extras(web=None if no_serve else listen(host, port), alerts=alerts, wallets=wallets)
    with open_store(settings, must_exist=False) as store:
        if alerts is not None:
            seed_from_store(alerts, store)
        run_live(settings, selected, store, fetch_instruments=not no_rest, console=err, extras=extras)
        import signal

        # Stopped: closing the store (its checkpoint) is all that is left; a further signal must not cut it.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)


def warn_about_config(config_file: str | None) -> None:
    """A config file holding secrets that others on this machine can read: one line to say so."""
    problem = config.secrets_exposed(config_file) if config_file else None
    if problem:
        err.print(f"liqwatch: warning: {problem}", highlight=False, markup=False, soft_wrap=True)


def listen(host: str, port: int) -> Any:
    """The API's listening socket, bound now: a port in use is one line before anything starts."""
    from liqwatch.web.serve import ServeError, bind

    try:
        return bind(host, port)
    except ServeError as exc:
        raise fail(str(exc)) from None


# ── serve ─────────────────────────────────────────────────────────────────────────────────────


@app.command()
def serve(
    db: DbOption = None,
    config_file: ConfigOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    api_token: TokenOption = None,
) -> None:
    """The HTTP API, live stream and dashboard over an existing store (read-only), until Ctrl-C."""
    import asyncio
    import contextlib

    from liqwatch.live import stop_on_signals
    from liqwatch.store.base import StoreError
    from liqwatch.web.serve import address_of, exposure_warning, serve_store

    settings = settings_from(db, config_file, api_token=api_token)
    warn_about_config(config_file)
    dsn = settings.db if settings.db.startswith(("postgresql://", "postgres://")) else None
    if dsn is None and not Path(settings.db).exists():
        raise fail(f"no store at {settings.db}: run `liqwatch import FILE…` or `liqwatch run` first (or pass --db)")
    sock = listen(host, port)
    try:
        store = _read_only_store(settings.db)
    except StoreError as exc:
        if "in use by another process" in str(exc):
            raise fail(
                f"{settings.db} is held by a running `liqwatch run` (DuckDB allows one process): "
                "use that process's API instead (it serves on 127.0.0.1:8000 unless given --port)"
            ) from None
        raise fail(str(exc)) from None

    async def main() -> None:
        stop_on_signals()
        err.print(f"liqwatch: API and dashboard on {address_of(sock)} over {settings.db}", highlight=False)
        warning = exposure_warning(sock, settings.api_token)
        if warning:
            err.print(f"liqwatch: {warning}", highlight=False, markup=False, soft_wrap=True)
        await serve_store(settings, store, sock, dsn)

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())
    finally:
        store.close()


def _read_only_store(db: str) -> Store:
    try:
        from liqwatch.store.open import open_store as open_any  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        from liqwatch.store.duckdb import DuckDBStore

        return DuckDBStore(db, read_only=True)
    store: Store = open_any(db, must_exist=True, read_only=True)
    return store


# ── demo ──────────────────────────────────────────────────────────────────────────────────────


@app.command()
def demo(
    db: Annotated[
        str, typer.Option("--db", help="Demo DuckDB file (keep it apart from your real store).")
    ] = "./liqwatch-demo.duckdb",
    scenario: Annotated[str, typer.Option(help="Simulator scenario: calm, squeeze, cascade or crash.")] = "squeeze",
    seed: Annotated[int, typer.Option(help="Simulator seed (the same seed, the same market).")] = 1,
    speed: Annotated[float, typer.Option(help="Simulated time runs this many times faster.")] = 60.0,
    seconds: Annotated[
        float | None, typer.Option(help="Stop by itself after this many seconds (default: at Ctrl-C).")
    ] = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="No API and dashboard, the terminal view only.")] = False,
) -> None:
    """No exchange access needed: run the local exchange simulator and the real collector, watch the windows fill.

    The dashboard and API are served on --host:--port (http://127.0.0.1:8000 by default)."""
    from liqwatch.demo import DemoOptions, run_demo
    from liqwatch.sim import SCENARIOS

    if scenario not in SCENARIOS:
        raise fail(f"--scenario: {scenario!r} is not one of {', '.join(SCENARIOS)}")
    if speed <= 0:
        raise fail("--speed must be > 0")
    if seconds is not None and seconds <= 0:
        raise fail("--seconds must be > 0")
    settings = settings_from(db)
    web = None if no_serve else listen(host, port)
    with open_store(settings, must_exist=False) as store:
        status = run_demo(settings, store, DemoOptions(scenario, seed, speed, seconds), out, web)
    if status:
        raise typer.Exit(status)


# ── report ────────────────────────────────────────────────────────────────────────────────────


@app.command()
def report(
    db: DbOption = None,
    at: Annotated[str | None, typer.Option(help="End of the window, TIME (default: now).")] = None,
    window: Annotated[str, typer.Option(help="The article's window: 24h (default), or e.g. 1h, 4h, 12h, 7d.")] = "24h",
    fmt: Annotated[str, typer.Option("--format", help="md, html or json.")] = "md",
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to FILE instead of stdout.")] = None,
    fetch_prices: Annotated[
        bool,
        typer.Option("--fetch-prices", help="First fetch candles (klines) from the venues' REST APIs into the store."),
    ] = False,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="A calendar period instead of --window: day, weekend, week or month (the last one ended by --at), "
            "ranked against the same kind of period.",
        ),
    ] = None,
) -> None:
    """The news-style article: totals, sides, timeframes, coins, largest order, prices, ranks, signals, data note."""
    from liqwatch.analytics.summary import parse_window
    from liqwatch.report.build import build
    from liqwatch.report.collect import collect
    from liqwatch.report.render import FORMATS, render

    if fmt not in FORMATS:
        raise fail(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    try:
        span = parse_window(window)
    except ValueError as exc:
        raise fail(f"--window: {exc}") from None
    end = time_option(at, "--at")
    if end is None:
        end = int(time.time() * 1000)
    kind = None
    if period is not None:
        from liqwatch.analytics.basis import KINDS, period_window

        if period not in KINDS:
            raise fail(f"--period: {period!r} is not one of {', '.join(KINDS)}")
        kind = period
        span, end = period_window(kind, end)
    settings = settings_from(db)
    with open_store(settings, read_only=not fetch_prices) as store:
        if fetch_prices:
            from liqwatch.feed.prices import fetch_into

            fetched = fetch_into(store, end, span[1], console=err, rest_urls=settings.rest_urls)
            err.print(fetched.describe(), highlight=False)
        text = render(build(collect(store, end, span, kind)), fmt)
    if out_file is None:
        sys.stdout.write(text)
    else:
        try:
            out_file.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise fail(f"--out: cannot write {out_file}: {exc.strerror or exc}") from None
        err.print(f"wrote {out_file}", highlight=False)


# ── sim ───────────────────────────────────────────────────────────────────────────────────────


@app.command()
def sim(
    venues: Annotated[
        str | None, typer.Option(help="Venue ids to simulate, comma-separated (default: all; also hyperliquid).")
    ] = None,
    scenario: Annotated[str, typer.Option(help="Scenario tape: calm, squeeze, cascade or crash.")] = "calm",
    seed: Annotated[int, typer.Option(help="Seed of the scenario and of the faults (same seed, same tape).")] = 1,
    speed: Annotated[float, typer.Option(help="Tape time runs this many times faster than the clock.")] = 1.0,
    replay: Annotated[
        list[Path] | None,
        typer.Option(
            "--replay", help="Replay a capture journal instead of a scenario (repeatable).", show_default=False
        ),
    ] = None,
    faults: Annotated[
        str,
        typer.Option(
            help="Faults, e.g. drop-every=500,silent=okx,garbage=0.01,rest-5xx=0.2@bybit "
            "(NAME[=VALUE][@VENUE[+VENUE…]]; see `python -m pydoc liqwatch.sim.faults`)."
        ),
    ] = "",
    sent_log: Annotated[
        Path | None, typer.Option("--sent-log", help="Record every frame delivered, as a capture journal.")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="First port (one per venue, in order); 0: free ports.")] = 0,
    start: Annotated[str | None, typer.Option(help="Tape start TIME (default: now; replays: the first frame).")] = None,
    hyperliquid_node_dir: Annotated[
        Path | None,
        typer.Option(
            "--hyperliquid-node-dir",
            help="Also act as a Hyperliquid node: write its liquidations as node fills files under DIR "
            "(node_fills_by_block/hourly/…), for `liqwatch run --hyperliquid-node-dir DIR`.",
        ),
    ] = None,
) -> None:
    """Local exchange simulator: every venue's real WebSocket protocol and REST API on 127.0.0.1, with faults.

    Prints the `liqwatch run` command that points the collector at it, then runs until Ctrl-C.

    Faults (comma-separated NAME[=VALUE][@VENUE[+VENUE…]]): drop-every=N, drop=P, silent, garbage=P,
    truncate=P, impossible=P, stall=S[:N], slow=S, restart=S[:D], lifetime=S, idle=S, rest-429=P,
    rest-5xx=P, no-pong, reject=P (N frames, P probability, S and D seconds).
    """
    from liqwatch.sim import FaultError, FaultPlan, SimConfig
    from liqwatch.sim.console import serve
    from liqwatch.sim.protocol import SIM_VENUES
    from liqwatch.sim.server import WEBSOCKET_VENUES

    chosen = csv_list(venues) or tuple(v for v in WEBSOCKET_VENUES if v in LIVE_VENUE_IDS)
    unknown = [v for v in chosen if v not in VENUE_IDS and v not in SIM_VENUES]
    if unknown:
        raise fail(f"--venues: unknown venue {', '.join(unknown)} (known: {', '.join((*VENUE_IDS, *SIM_VENUES))})")
    missing = [str(f) for f in replay or [] if not f.is_file()]
    if missing:
        raise fail(f"--replay: no such file: {', '.join(missing)}")
    try:
        config = SimConfig(
            venues=tuple(chosen),
            scenario=scenario,
            seed=seed,
            speed=speed,
            replay=tuple(replay or ()),
            faults=faults,
            sent_log=sent_log,
            host=host,
            port=port,
            start_ms=time_option(start, "--start"),
            hyperliquid_node_dir=hyperliquid_node_dir,
        )
        FaultPlan.parse(faults, seed, chosen)
    except FaultError as exc:
        raise fail(f"--faults: {exc}") from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    status = serve(config, err=err)
    if status:
        raise typer.Exit(status)


app.add_typer(levels_app, name="levels")
app.add_typer(history_app, name="history")
app.add_typer(backfill_app, name="backfill")
app.add_typer(wallets_app, name="wallets")


def main() -> None:
    try:
        app()
    except UsageError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)

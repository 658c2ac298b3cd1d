"""The command line: flags → Settings → objects → output. Thin on purpose."""

from __future__ import annotations

import csv
import io
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
from liqwatch.analytics.summary import Summary, parse_windows, summary_to_json
from liqwatch.cli_levels import levels_app
from liqwatch.cli_wallets import wallets_app
from liqwatch.config import ConfigError, Settings
from liqwatch.model import Liquidation
from liqwatch.store.base import EventFilter, Store
from liqwatch.timeparse import iso, parse_time
from liqwatch.venues import VENUE_IDS

app = typer.Typer(
    help="liqwatch: liquidations from the big derivatives venues, normalized, stored and summarized.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
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


def fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


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
            help="Capture journals (.jsonl or .jsonl.gz) or Tardis liquidation CSV files (.csv or .csv.gz).",
            show_default=False,
        ),
    ],
    db: DbOption = None,
    config_file: ConfigOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    max_event_ahead: AheadOption = None,
) -> None:
    """Replay capture journals or Tardis CSV files through the venue parsers into the store.

    Importing twice changes nothing.
    """
    from liqwatch.feed.instruments import read_cache
    from liqwatch.importer import ImportReport, import_files
    from liqwatch.instruments import bundled
    from liqwatch.store.base import StoreError

    settings = settings_from(db, config_file, max_event_ahead_s=max_event_ahead)
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise fail(f"no such file: {', '.join(missing)}")
    catalogue = bundled()
    cached = read_cache(settings.instruments_cache)
    with open_store(settings, must_exist=False) as store:
        catalogue.update(store.instruments())
        if cached is not None:
            catalogue.update(cached.instruments())
        try:
            report: ImportReport = import_files(
                files,
                store,
                catalogue=catalogue,
                dead_letters=settings.dead_letters,
                progress=not quiet and err.is_terminal,
                max_ahead_ms=int(settings.max_event_ahead_s * 1000),
            )
        except (StoreError, OSError) as exc:  # a full disk: one line; what was committed stays
            raise fail(f"{exc}; what was stored stays: import again once the cause is fixed") from None
    err.print(report.describe(), highlight=False)
    for problem in report.problems[:20]:
        err.print(f"  [yellow]skipped[/] {problem}", highlight=False)
    if len(report.problems) > 20:
        err.print(f"  … and {len(report.problems) - 20} more (see {settings.dead_letters})", highlight=False)


# ── events ────────────────────────────────────────────────────────────────────────────────────


@app.command()
def events(
    db: DbOption = None,
    since: Annotated[str | None, typer.Option(help="Only events after TIME (ISO 8601 or epoch ms).")] = None,
    until: Annotated[str | None, typer.Option(help="Only events at or before TIME.")] = None,
    venue: Annotated[str | None, typer.Option(help="Venue id(s), comma-separated.")] = None,
    coin: Annotated[str | None, typer.Option(help="Coin(s), comma-separated, e.g. BTC,ETH.")] = None,
    side: Annotated[str | None, typer.Option(help="long or short (the liquidated position).")] = None,
    min_usd: Annotated[float | None, typer.Option("--min-usd", help="Only events of at least this USD value.")] = None,
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
    where = EventFilter(
        since=time_option(since, "--since"),
        until=time_option(until, "--until"),
        venues=venue_list(venue),
        coins=tuple(c.upper() for c in csv_list(coin)),
        side=side,
        min_usd=min_usd,
    )
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
    return "—" if value is None else f"${value:,.0f}" if value >= 100 else f"${value:,.2f}"


def events_table(rows: list[Liquidation]) -> Table:
    table = Table(title=f"{len(rows)} liquidations", title_justify="left")
    for name in ("time (UTC)", "venue", "symbol", "side", "price", "qty", "usd"):
        table.add_column(name, justify="right" if name in ("price", "qty", "usd") else "left")
    for e in rows:
        colour = "green" if e.side == "short" else "red"
        table.add_row(
            iso(e.ts),
            e.venue,
            e.symbol,
            f"[{colour}]{e.side}[/]",
            f"{e.price:,.6g}",
            "—" if e.qty is None else f"{e.qty:,.6g}",
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
    with open_store(settings, read_only=True) as store:
        result = queries.summary(store, end, spans)
    if as_json:
        sys.stdout.write(msgspec.json.encode(summary_to_json(result)).decode() + "\n")
    else:
        print_summary(result)


def print_summary(result: Summary) -> None:
    table = Table(title=f"Liquidations to {iso(result.at)}", title_justify="left")
    for name in ("window", "total", "longs", "shorts", "count", "largest", "top coins"):
        table.add_column(name, justify="left" if name in ("window", "largest", "top coins") else "right")
    for w in result.windows:
        largest = "—"
        if w.largest is not None:
            largest = f"{money(w.largest.usd)} {w.largest.symbol} {w.largest.side} on {w.largest.venue}"
        top = ", ".join(f"{coin} {money(t.total_usd)}" for coin, t in list(w.by_coin.items())[:3])
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
            max_event_ahead_s=max_event_ahead,
            api_token=api_token,
        )
        warn_about_config(config_file)
        alerts = build_engine(config_file)  # a mistake in the rules stops here, before anything starts
        wallets = load_wallets_config(config_file)
    except (ConfigError, WalletError) as exc:
        raise fail(str(exc)) from None
    selected = VENUE_IDS if settings.venues == "all" else venue_list(settings.venues, "--venues")
    for key in list(settings.venue_urls) + list(settings.rest_urls):
        if key.split(".", 1)[0] not in (*VENUE_IDS, "hyperliquid"):
            raise fail(f"URL override for unknown venue {key!r} (known: {', '.join(VENUE_IDS)}, hyperliquid)")
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
    settings = settings_from(db)
    with open_store(settings, read_only=not fetch_prices) as store:
        if fetch_prices:
            from liqwatch.feed.prices import fetch_into

            fetched = fetch_into(store, end, span[1], console=err, rest_urls=settings.rest_urls)
            err.print(fetched.describe(), highlight=False)
        text = render(build(collect(store, end, span)), fmt)
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

    chosen = csv_list(venues) or VENUE_IDS
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
app.add_typer(wallets_app, name="wallets")


def main() -> None:
    try:
        app()
    except UsageError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)

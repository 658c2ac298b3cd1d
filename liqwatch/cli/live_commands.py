"""Commands that collect or serve: run, serve, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer

from liqwatch import config
from liqwatch.cli.common import (
    AheadOption,
    ConfigOption,
    DbOption,
    HostOption,
    PortOption,
    TokenOption,
    adopt_state,
    app,
    err,
    fail,
    open_store,
    out,
    settings_from,
    venue_list,
    warn_about_config,
)
from liqwatch.config import ConfigError
from liqwatch.store.base import Store
from liqwatch.venues import VENUE_IDS
from liqwatch.venues.lifecycle import LIVE_VENUE_IDS, refuse_closed


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
    from liqwatch.live import defer_signals

    # Until the event loop takes the signals over, Ctrl-C and SIGTERM are only noted: raised inside
    # the store's own code (a migration, DuckDB's open) an interrupt would leave a traceback or a
    # half-done step; the start-up goes on to its next safe point and stops there (exit 0).
    defer_signals()
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
    from liqwatch.live import run_live, stop_was_requested
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
    adopt_state(settings)
    extras = Extras(web=None if no_serve else listen(host, port), alerts=alerts, wallets=wallets)
    with open_store(settings, must_exist=False) as store:
        if alerts is not None:
            seed_from_store(alerts, store)
        if stop_was_requested():
            err.print("liqwatch: stopped while starting", highlight=False)
            return
        run_live(settings, selected, store, fetch_instruments=not no_rest, console=err, extras=extras)
        import signal

        # Stopped: closing the store (its checkpoint) is all that is left; a further signal must not cut it.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)


def listen(host: str, port: int) -> Any:
    """The API's listening socket, bound now: a port in use is one line before anything starts."""
    from liqwatch.web.serve import ServeError, bind

    try:
        return bind(host, port)
    except ServeError as exc:
        raise fail(str(exc)) from None


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

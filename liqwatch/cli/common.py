"""What every command shares: the Typer app, the consoles, the common options and the one-line
errors, settings and store opening, and the house style of numbers in tables."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console

from liqwatch import config
from liqwatch import money as house
from liqwatch.analytics.summary import Totals
from liqwatch.config import ConfigError, Settings
from liqwatch.store.base import Store
from liqwatch.timeparse import parse_time
from liqwatch.venues import VENUE_IDS

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
        settings = config.load(config_file, db=db, **flags)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    adopt_state(settings)
    return settings


def adopt_state(settings: Settings) -> None:
    """Side files a store's earlier liqwatch kept beside it move into its state directory, once."""
    from liqwatch.state_files import adopt_earlier_layout

    if (line := adopt_earlier_layout(settings)) is not None:
        err.print(line, highlight=False, markup=False, soft_wrap=True)


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


def warn_about_config(config_file: str | None) -> None:
    """A config file holding secrets that others on this machine can read: one line to say so."""
    problem = config.secrets_exposed(config_file) if config_file else None
    if problem:
        err.print(f"liqwatch: warning: {problem}", highlight=False, markup=False, soft_wrap=True)

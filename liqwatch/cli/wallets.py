"""`liqwatch wallets …`: watched Hyperliquid wallets ("smart money"): poll, PnL, worst positions, the set."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
import typer

from liqwatch import money as house

if TYPE_CHECKING:
    from liqwatch.store.base import Store
    from liqwatch.wallets.config import WalletsConfig

wallets_app = typer.Typer(
    help="Watched Hyperliquid wallets: positions polled through POST /info, unrealized PnL by side, coin, cohort.",
    no_args_is_help=True,
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="DuckDB file, or a postgresql://user@host/dbname URL (default ./liqwatch.duckdb, or LIQWATCH_DB)."
    ),
]
ConfigOption = Annotated[str | None, typer.Option("--config", help="TOML config file with a [wallets] section.")]
AtOption = Annotated[str | None, typer.Option("--at", help="TIME (ISO 8601 or epoch ms); default: the newest poll.")]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON output.")]


def _usd(value: float) -> str:
    """Observed amounts in the house style (liqwatch.money): "-$1.23M"."""
    return house.table(value)


def _wallet_config(config_file: str | None) -> WalletsConfig:
    from liqwatch.cli.common import fail
    from liqwatch.wallets.config import load_wallets_config
    from liqwatch.wallets.model import WalletError

    try:
        return load_wallets_config(config_file)
    except WalletError as exc:
        raise fail(str(exc)) from None


@wallets_app.command("set")
def set_(
    config_file: ConfigOption = None,
    leaderboard_url: Annotated[str | None, typer.Option("--leaderboard-url", help="Leaderboard URL override.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The watched set: its wallets (address, label, cohort), the rule that chose them and its hash."""
    from liqwatch.cli.common import fail, out
    from liqwatch.wallets.model import WalletError
    from liqwatch.wallets.poller import resolve_set

    cfg = _wallet_config(config_file)
    try:
        wallet_set = asyncio.run(resolve_set(cfg, leaderboard_url))
    except WalletError as exc:
        raise fail(str(exc)) from None
    if as_json:
        doc = {"hash": wallet_set.hash, "rule": wallet_set.rule, "wallets": msgspec.to_builtins(wallet_set.wallets)}
        out.print_json(msgspec.json.encode(doc).decode())
        return
    out.print(f"rule: {wallet_set.rule}", highlight=False, soft_wrap=True)
    out.print(f"hash: {wallet_set.hash}  ({len(wallet_set.wallets)} wallets)", highlight=False)
    for w in wallet_set.wallets:
        out.print(f"{w.address}  {w.cohort or '-':14}  {w.label}", highlight=False)


@wallets_app.command("poll")
def poll(
    once: Annotated[bool, typer.Option("--once", help="One cycle, then exit.")] = False,
    url: Annotated[
        str | None, typer.Option("--url", help="POST /info URL (default https://api.hyperliquid.xyz/info).")
    ] = None,
    leaderboard_url: Annotated[str | None, typer.Option("--leaderboard-url", help="Leaderboard URL override.")] = None,
    config_file: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Poll the watched wallets' positions (clearinghouseState) and marks (metaAndAssetCtxs) into the store."""
    from liqwatch.cli.common import err, fail, open_store, settings_from
    from liqwatch.wallets.model import WalletError
    from liqwatch.wallets.poller import CycleReport, InfoClient, WalletPoller, resolve_set

    settings = settings_from(db, config_file)
    cfg = _wallet_config(config_file)
    if url:
        cfg = msgspec.structs.replace(cfg, url=url)
    try:
        wallet_set = asyncio.run(resolve_set(cfg, leaderboard_url))
    except WalletError as exc:
        raise fail(str(exc)) from None
    if not wallet_set.wallets:
        raise fail("no wallets to watch: add [[wallets.watch]] entries or a [wallets.leaderboard] rule to the config")

    def show(report: CycleReport) -> None:
        err.print(
            f"polled {report.wallets}/{len(wallet_set.wallets)} wallets, {report.positions} positions, "
            f"weight {report.weight}, set {wallet_set.hash[:12]}"
            + (f", {len(report.errors)} errors" if report.errors else ""),
            highlight=False,
        )
        for line in report.errors[:5]:
            err.print(f"  {line}", highlight=False, soft_wrap=True)
        for crossing in report.crossings:
            err.print(f"[bold]event:[/] {crossing.text()}", highlight=False)

    async def main(store: Store) -> None:
        client = InfoClient(cfg.url, weight_per_min=cfg.weight_per_min)
        try:
            poller = WalletPoller(store, wallet_set, client, fills=cfg.fills, loss_thresholds=cfg.loss_thresholds)
            await poller.run(cfg.interval_s, cycles=1 if once else None, on_cycle=show)
        finally:
            await client.aclose()

    with open_store(settings, must_exist=False) as store:
        try:
            asyncio.run(main(store))
        except KeyboardInterrupt:
            err.print("stopped", highlight=False)


def store_newest_poll(db: str | None) -> int | None:
    """When the newest stored position snapshot was polled, or None without any."""
    from liqwatch import queries
    from liqwatch.cli.common import open_store, settings_from

    with open_store(settings_from(db), read_only=True) as store:
        found = queries.wallet_positions(store, None, max_age_ms=None)
    return max((p.ts for p in found), default=None)


def no_positions_cause(newest: int | None, moment: int | None) -> str:
    """Why there are no watched positions to show at `moment` (None: now), in one line."""
    from liqwatch.timeparse import iso

    if newest is None:
        return (
            "no watched positions stored: configure [wallets] and run `liqwatch run --config FILE` "
            "or `liqwatch wallets poll`"
        )
    when = "now" if moment is None else iso(moment)
    if moment is not None and moment < newest:
        return f"no watched wallet polled within a day before {when} (the newest poll is at {iso(newest)})"
    return f"no watched wallet polled within a day before {when}: the newest poll is at {iso(newest)}"


@wallets_app.command("pnl")
def pnl(
    at: AtOption = None,
    by: Annotated[str, typer.Option("--by", help="direction | coin | group | cohort")] = "direction",
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Unrealized PnL of the watched wallets (Σ szi × (mark − entry)), long vs short, per bucket."""
    from rich.table import Table

    from liqwatch import queries
    from liqwatch.cli.common import err, fail, open_store, out, settings_from, time_option
    from liqwatch.wallets.aggregate import GROUP_BYS

    if by not in GROUP_BYS:
        raise fail(f"--by: choose one of {', '.join(GROUP_BYS)}, not {by!r}")
    moment = time_option(at, "--at")
    with open_store(settings_from(db), read_only=True) as store:
        doc = queries.wallet_pnl_json(store, moment, by)
    if as_json:
        out.print_json(msgspec.json.encode(doc).decode())
        return
    if not doc["rows"]:
        err.print(no_positions_cause(store_newest_poll(db), moment), highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    table = Table(title=f"watched wallets' unrealized PnL by {by} ({doc['wallets']} wallets)")
    for column in (by, "long PnL", "short PnL", "long notional", "short notional", "wallets"):
        table.add_column(column, justify="left" if column == by else "right")
    for row in doc["rows"]:
        table.add_row(
            row["key"],
            _usd(row["long_pnl"]),
            _usd(row["short_pnl"]),
            _usd(row["long_usd"]),
            _usd(row["short_usd"]),
            str(row["wallets"]),
        )
    out.print(table)
    sets = ", ".join(f"{s['hash'][:12]} ({s['rule']})" for s in doc["sets"])
    out.print(f"set: {sets}", highlight=False, soft_wrap=True)


@wallets_app.command("worst")
def worst(
    n: Annotated[int, typer.Option("-n", help="How many positions.")] = 10,
    at: AtOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The watched positions with the largest unrealized losses."""
    from liqwatch import queries
    from liqwatch.cli.common import fail, open_store, out, settings_from, time_option

    if n < 0:
        raise fail(f"-n must be >= 0, not {n}")
    moment = time_option(at, "--at")
    with open_store(settings_from(db), read_only=True) as store:
        rows = queries.wallet_worst(store, moment, n)
    if as_json:
        docs: list[dict[str, Any]] = [msgspec.structs.asdict(p) | {"direction": p.direction} for p in rows]
        out.print_json(msgspec.json.encode(docs).decode())
        return
    for p in rows:
        liq = f"liq {p.liquidation_px:,.6g}" if p.liquidation_px else "liq -"
        name = p.label or p.wallet[:10]
        out.print(
            f"{_usd(p.unrealized_pnl):>10}  {name:16} {p.coin:6} {p.direction:5} {abs(p.szi):,.6g} "
            f"entry {p.entry_px:,.6g} mark {p.mark_px:,.6g} {liq}",
            highlight=False,
        )

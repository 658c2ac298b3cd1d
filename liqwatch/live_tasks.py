"""The optional parts of `liqwatch run` that run beside the collector, each one task of `LiveRig.run`.

- the API, live stream and dashboard (liqwatch.web), unless `--no-serve`;
- alerts (liqwatch.alerts), when the config file has `[alerts]` rules: a pipeline sink plus its
  senders and ticks;
- market polling (feed/levels_poll.py): klines and open interest of `market_coins` every
  `market_poll_s`, for the liquidation-levels model and the dashboard's price line; only when the
  collector may use REST (not with `--offline-catalogue`);
- watched Hyperliquid wallets (liqwatch.wallets), when the config file has a `[wallets]` set;
- once at start, OKX and Deribit REST for the time the collector was down (backfill/downtime.py),
  when the collector may use REST;
- on a shared store (PostgreSQL), this collector's status, for `liqwatch serve` elsewhere.

None of them can stop the collector: each logs its trouble and carries on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from liqwatch.config import Settings
from liqwatch.feed.collector import Status
from liqwatch.feed.levels_poll import poll_market_forever
from liqwatch.store.base import Store

if TYPE_CHECKING:
    from liqwatch.alerts.engine import AlertEngine
    from liqwatch.rig import LiveRig
    from liqwatch.wallets.config import WalletsConfig

log = logging.getLogger("liqwatch.live")

Task = Coroutine[Any, Any, object]


@dataclass
class Extras:
    """What `liqwatch run` adds to the collection; everything off by default."""

    web: socket.socket | None = None  # a listening socket (liqwatch.web.serve.bind)
    alerts: AlertEngine | None = None
    wallets: WalletsConfig | None = None


def market_coins(settings: Settings) -> list[str]:
    return [coin.strip().upper() for coin in settings.market_coins.split(",") if coin.strip()]


def market_task(rig: LiveRig, clock: Callable[[], int]) -> Task | None:
    """Poll klines and open interest, when REST is in use and polling is on."""
    settings = rig.settings
    coins = market_coins(settings)
    if rig.client is None or settings.market_poll_s <= 0 or not coins:
        return None
    return poll_market_forever(
        rig.store, rig.specs, rig.client, coins, settings.market_poll_s, settings.rest_urls, clock=clock
    )


def downtime_task(rig: LiveRig, clock: Callable[[], int], say: Callable[[str], None]) -> Task | None:
    """Fill OKX's and Deribit's downtime from their REST, once, when REST is in use."""
    from liqwatch.backfill.downtime import VENUES, fill_downtime

    venues = [spec.id for spec in rig.specs if spec.id in VENUES]
    if rig.client is None or not venues:
        return None

    def publish(events: list[Any]) -> int:
        return len(rig.pipeline.publish(events))

    return fill_downtime(
        rig.store, publish, rig.client, rig.catalogue, venues, clock(), rest_urls=rig.settings.rest_urls, say=say
    )


def wallets_wanted(cfg: WalletsConfig | None) -> bool:
    return cfg is not None and (bool(cfg.watch) or cfg.leaderboard is not None)


async def poll_wallets_forever(store: Store, cfg: WalletsConfig, clock: Callable[[], int]) -> None:
    """Build the watched set (retrying while the leaderboard cannot be read), then poll it forever."""
    from liqwatch.wallets.model import WalletError
    from liqwatch.wallets.poller import CycleReport, InfoClient, WalletPoller, resolve_set

    while True:
        try:
            wallet_set = await resolve_set(cfg)
            break
        except WalletError as exc:
            log.warning("wallets: %s; retrying in %g s", exc, cfg.interval_s)
            await asyncio.sleep(cfg.interval_s)
    if not wallet_set.wallets:
        log.warning("wallets: the watched set is empty (rule %s); not polling", wallet_set.rule)
        return
    log.info("wallets: watching %d wallets, set %s", len(wallet_set.wallets), wallet_set.hash[:12])

    def show(report: CycleReport) -> None:
        for crossing in report.crossings:
            log.warning("wallets: %s", crossing.text())

    client = InfoClient(cfg.url, weight_per_min=cfg.weight_per_min)
    try:
        poller = WalletPoller(
            store,
            wallet_set,
            client,
            fills=cfg.fills,
            loss_thresholds=cfg.loss_thresholds,
            now_ms=clock,
        )
        await poller.run(cfg.interval_s, on_cycle=show)
    finally:
        await client.aclose()


async def publish_status_forever(store: Store, status: Callable[[], Status], interval: float = 2.0) -> None:
    """Write this collector's Status into the shared store under host:pid every `interval` s, so a
    `liqwatch serve` elsewhere shows live venue status (DuckDB has the status file instead)."""
    source = f"{socket.gethostname()}:{os.getpid()}"
    while True:
        try:
            current = status()
            await asyncio.to_thread(store.write_status, source, msgspec.json.encode(current), current.updated)
        except Exception as exc:  # a store hiccup must not stop the collector
            log.warning("could not write the collector status to the store: %s", exc)
        await asyncio.sleep(interval)


def alert_counters(engine: AlertEngine) -> Callable[[], dict[str, tuple[str, str, float]]]:
    """The engine's counters as /metrics values (summed over sinks)."""

    def counters() -> dict[str, tuple[str, str, float]]:
        stats = engine.stats()
        sinks = stats.sinks.values()
        return {
            "liqwatch_alerts_raised_total": ("counter", "Distinct alerts raised.", stats.raised),
            "liqwatch_alerts_sent_total": ("counter", "Alerts delivered (all sinks).", sum(s.sent for s in sinks)),
            "liqwatch_alerts_failed_total": ("counter", "Alerts given up on.", sum(s.failed for s in sinks)),
            "liqwatch_alerts_dropped_total": ("counter", "Alerts out of full queues.", sum(s.dropped for s in sinks)),
            "liqwatch_alerts_queued": ("gauge", "Alerts waiting to be sent.", sum(s.queued for s in sinks)),
        }

    return counters


def extra_sinks(extras: Extras) -> tuple[list[Any], Any]:
    """The pipeline sinks the extras need (the live hub, the alert engine) and the hub (or None)."""
    sinks: list[Any] = []
    hub = None
    if extras.web is not None:  # imported here: a collector-only process never loads the web framework
        from liqwatch.web.hub import LiveHub

        hub = LiveHub()
        sinks.append(hub)
    if extras.alerts is not None:
        sinks.append(extras.alerts)
    return sinks, hub


def extra_tasks(
    rig: LiveRig, extras: Extras, hub: Any, clock: Callable[[], int], say: Callable[[str], None]
) -> list[Task]:
    """The tasks of the extras, once the collection is open."""
    tasks: list[Task] = []
    alerts = extras.alerts
    if alerts is not None:
        from liqwatch.alerts.wiring import wire_sources

        alerts.status = rig.collector.status
        wire_sources(alerts, rig.store)  # level and wallets rules read the store (a worker thread, every 60 s)
        tasks.append(alerts.run())
        say(f"liqwatch: alerts on ({len(alerts.states)} rules)")
    if extras.web is not None:
        from liqwatch.web.serve import address_of, exposure_warning, live_context, serve_app

        more: Sequence[Callable[[], dict[str, tuple[str, str, float]]]] = (
            [alert_counters(alerts)] if alerts is not None else []
        )
        tasks.append(serve_app(live_context(rig, hub, extra_counters=more, clock=clock), extras.web))
        say(f"liqwatch: API and dashboard on {address_of(extras.web)}")
        warning = exposure_warning(extras.web, rig.settings.api_token)
        if warning:
            say(f"liqwatch: {warning}")
    market = market_task(rig, clock)
    if market is not None:
        tasks.append(market)
    filling = downtime_task(rig, clock, say)
    if filling is not None:
        tasks.append(filling)
    if wallets_wanted(extras.wallets):
        assert extras.wallets is not None
        tasks.append(poll_wallets_forever(rig.store, extras.wallets, clock))
    if rig.store.shared:
        tasks.append(publish_status_forever(rig.store, rig.collector.status))
    return tasks

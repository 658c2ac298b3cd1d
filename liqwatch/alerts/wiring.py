"""Plugging the alert engine into `liqwatch run`.

engine = build_engine(config_file)                 # before anything starts: a typo fails fast
...
with open_store(settings) as store:
    if engine:
        seed_from_store(engine, store)              # window rules start from the real totals
    sinks = [engine] if engine else []
    async with open_live(settings, specs, store, sinks=sinks, clock=clock) as rig:
        if engine:
            engine.status = rig.collector.status    # venue rules read the collector's status
            wire_sources(engine, store)             # level and wallets rules read the store (a thread, every 60 s)
        await rig.run(..., *([engine.run()] if engine else []))
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from liqwatch.alerts.engine import AlertEngine
from liqwatch.feed.clock import Clock, now_ms
from liqwatch.store.base import EventFilter, Store


def build_engine(
    config_file: str | os.PathLike[str] | None,
    *,
    clock: Clock = now_ms,
    environ: Mapping[str, str] | None = None,
) -> AlertEngine | None:
    """The engine of the config file's `[alerts]`; None without a config file or without rules.
    Raises liqwatch.config.ConfigError (one line, naming the file and the rule or sink)."""
    if config_file is None:
        return None
    return AlertEngine.from_config(config_file, clock=clock, environ=environ)


def seed_from_store(engine: AlertEngine, store: Store, now: int | None = None) -> int:
    """Give the engine the stored events of its longest window, raising nothing (so a restart
    neither starts window sums from zero nor re-announces a breach); how many events."""
    if engine.longest_window_ms == 0:
        return 0
    now = engine.clock() if now is None else now
    return engine.seed(store.events(EventFilter(since=now - engine.longest_window_ms)), now)


def wire_sources(engine: AlertEngine, store: Store) -> None:
    """Point the engine's level and wallets rules at a store (read in a worker thread, never on the
    event path): break-throughs from `queries.levels_events`, positions from `queries.wallet_positions`
    at the engine's clock (each wallet's latest poll within a day)."""
    from liqwatch import queries

    engine.levels_source = lambda coin, since, until: queries.levels_events(store, coin, since, until)
    engine.wallets_source = lambda: queries.wallet_positions(store, engine.clock())

"""`liqwatch run`: wire the catalogue, journal, pipeline, store and collector, and run them.

Order matters: the catalogue is loaded first (Bybit subscribes per symbol, so its topics come
from the instruments endpoint), then the tail of the journal is replayed into the store (a crash
between journal and store loses nothing), then the collector starts journaling new frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence

from rich.console import Console

from liqwatch.config import Settings
from liqwatch.feed.collector import Collector, Status
from liqwatch.feed.instruments import load_catalogue, refresh_forever
from liqwatch.feed.journal import DeadLetters, Journal
from liqwatch.feed.recovery import recover
from liqwatch.feed.rest import RestClient
from liqwatch.pipeline import Pipeline, StoreSink
from liqwatch.store.base import Store
from liqwatch.venues import REGISTRY
from liqwatch.venues.base import VenueSpec

log = logging.getLogger("liqwatch.live")


def run_live(
    settings: Settings,
    venues: Sequence[str],
    store: Store,
    *,
    fetch_instruments: bool = True,
    console: Console | None = None,
) -> None:
    """Run until Ctrl-C or SIGTERM; everything received is journaled and stored before returning."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    specs = [REGISTRY[v] for v in venues]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(settings, specs, store, fetch_instruments, console or Console(stderr=True)))


async def _run(
    settings: Settings, specs: list[VenueSpec], store: Store, fetch_instruments: bool, console: Console
) -> None:
    main = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, lambda: main.cancel() if main else None)

    client = RestClient() if fetch_instruments else None
    catalogue = await load_catalogue(specs, client, cache=settings.instruments_cache, rest_overrides=settings.rest_urls)
    store.write_instruments(catalogue.instruments())
    console.print(f"liqwatch: {len(catalogue):,} instruments; storing to {settings.db}", highlight=False)

    sink = StoreSink(store)
    pipeline = Pipeline([sink])
    recovered = recover(settings.journal_dir, specs, catalogue, pipeline)
    if recovered.frames:
        console.print(
            f"liqwatch: replayed {recovered.frames:,} journaled frames, {recovered.new_events:,} events",
            highlight=False,
        )
    journal = Journal(settings.journal_dir)
    journal.start()
    dead_letters = DeadLetters(settings.dead_letters)
    collector = Collector(
        specs,
        catalogue=catalogue,
        journal=journal,
        dead_letters=dead_letters,
        pipeline=pipeline,
        url_overrides=settings.venue_urls,
        status_path=settings.status_file,
    )
    for spec, conn, _ in collector.connections:
        console.print(f"liqwatch: {spec.id}.{conn.name} → {conn.url}", highlight=False)
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(collector.run())
            group.create_task(_report_forever(collector, settings.status_interval_s, console))
            if client is not None:
                group.create_task(
                    refresh_forever(
                        catalogue,
                        specs,
                        client,
                        interval=settings.instrument_refresh_s,
                        cache=settings.instruments_cache,
                        rest_overrides=settings.rest_urls,
                    )
                )
    except asyncio.CancelledError:
        pass
    finally:
        pipeline.flush(timeout=30.0)
        journal.close()
        dead_letters.close()
        pipeline.close()
        if client is not None:
            await client.aclose()
        console.print(f"liqwatch: stopped; {sink.stored:,} new events stored", highlight=False)


def status_line(status: Status) -> str:
    parts = []
    for venue in status.venues.values():
        mark = "up" if venue.connected else "DOWN"
        parts.append(f"{venue.venue} {mark} {venue.events:,}ev")
    return " | ".join(parts)


async def _report_forever(collector: Collector, interval: float, console: Console) -> None:
    while True:
        await asyncio.sleep(interval)
        console.print(status_line(collector.status()), highlight=False)

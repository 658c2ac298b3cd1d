"""`LiveRig`: everything a live collection runs on, as `live.open_live` builds it.

Its own module so that what runs beside the collector (live_tasks.py) and the web server
(web/serve.py) can name it without importing the code that builds it: no import circles.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from liqwatch.analytics.summary import Summary
from liqwatch.analytics.windows import LiveWindows
from liqwatch.config import Settings
from liqwatch.feed.collector import Collector
from liqwatch.feed.instruments import refresh_forever
from liqwatch.feed.journal import DeadLetters, Journal
from liqwatch.feed.recovery import Recovery
from liqwatch.feed.rest import RestClient
from liqwatch.instruments import Catalogue
from liqwatch.pipeline import Pipeline, StoreSink
from liqwatch.store.base import Store
from liqwatch.venues.base import VenueSpec

log = logging.getLogger("liqwatch.live")


@dataclass
class LiveRig:
    """Everything a live collection runs on, built by `open_live`."""

    settings: Settings
    specs: list[VenueSpec]
    store: Store
    catalogue: Catalogue
    client: RestClient | None
    sink: StoreSink
    windows: LiveWindows
    pipeline: Pipeline
    recovered: Recovery
    journal: Journal
    dead_letters: DeadLetters
    collector: Collector
    seeded: int  # events of the longest window read back from the store at start

    async def run(self, *tasks: Coroutine[Any, Any, object]) -> None:
        """Run the collector, the catalogue refresh and `tasks` until cancelled (returns normally then).

        An exception in the collector or the catalogue refresh stops the others and propagates (as
        an ExceptionGroup); one in `tasks` is logged and ends that task only.
        """
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self.collector.run())
                for task in tasks:
                    group.create_task(_beside(task))
                if self.client is not None:
                    group.create_task(
                        refresh_forever(
                            self.catalogue,
                            self.specs,
                            self.client,
                            interval=self.settings.instrument_refresh_s,
                            cache=self.settings.instruments_cache,
                            rest_overrides=self.settings.rest_urls,
                            keep=self.store.write_instruments,
                        )
                    )
        except asyncio.CancelledError:
            pass

    def summary(self, at: int | None = None) -> Summary:
        return self.windows.summary(at)


async def _beside(task: Coroutine[Any, Any, object]) -> None:
    """A task beside the collector: its failure (a store write on a full disk, a bug) is logged and
    ends that task only, never the collection."""
    try:
        await task
    except Exception:
        log.exception("a task beside the collector stopped (the collection goes on)")

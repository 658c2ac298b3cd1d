"""`liqwatch run` fills its own downtime at start: for OKX and Deribit, whose REST keeps recent
liquidations, the span from the venue's newest stored event to now (at most a day: what OKX keeps)
is fetched once, beside the live feed, and goes through the pipeline like live events (ids dedup
the overlap). A new store (no event of the venue yet) has no downtime to fill."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from liqwatch.backfill.common import BackfillError, BackfillReport
from liqwatch.backfill.events import Publish, deribit_backfill, okx_backfill, okx_families
from liqwatch.feed.rest import RestClient
from liqwatch.instruments import Catalogue
from liqwatch.store.base import Store
from liqwatch.timeparse import iso
from liqwatch.venues import deribit, okx

log = logging.getLogger("liqwatch.backfill")

MAX_DOWNTIME_MS = 86_400_000
MIN_DOWNTIME_MS = 60_000
VENUES = ("okx", "deribit")


def downtime(store: Store, venues: Sequence[str], now: int) -> dict[str, int]:
    """venue → where its downtime began (its newest stored event, at most a day back)."""
    last = {s.venue: s.last_ts for s in store.venue_spans()}
    out = {}
    for venue in venues:
        if venue in VENUES and venue in last and now - last[venue] >= MIN_DOWNTIME_MS:
            out[venue] = max(last[venue], now - MAX_DOWNTIME_MS)
    return out


async def fill_downtime(
    store: Store,
    publish: Publish,
    client: RestClient,
    catalogue: Catalogue,
    venues: Sequence[str],
    now: int,
    *,
    rest_urls: Mapping[str, str] | None = None,
    say: Callable[[str], None] = lambda line: None,
) -> list[BackfillReport]:
    reports = []
    urls = dict(rest_urls or {})
    for venue, since in downtime(store, venues, now).items():
        try:
            if venue == "okx":
                report = await okx_backfill(
                    store,
                    publish,
                    client,
                    catalogue,
                    since=since,
                    now=now,
                    families=okx_families(catalogue),
                    base=urls.get("okx", okx.REST),
                )
            else:
                report = await deribit_backfill(
                    store, publish, client, catalogue, since=since, now=now, base=urls.get("deribit", deribit.REST)
                )
        except BackfillError as exc:
            log.warning("backfill of %s downtime failed: %s", venue, exc)
            continue
        except Exception:  # a task beside the collector never stops it (live_tasks.py)
            log.exception("backfill of %s downtime failed", venue)
            continue
        say(f"liqwatch: filled {venue} downtime since {iso(since)}: {report.describe()}")
        reports.append(report)
    return reports

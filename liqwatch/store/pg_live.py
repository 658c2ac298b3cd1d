"""The cross-process live stream on PostgreSQL: LISTEN/NOTIFY, no extra broker.

Writers: PostgresStore.write_events announces exactly the events it stored as new, in the same
transaction (`pg_notify(CHANNEL, payload)`), so listeners hear about an event once the event is
committed, and never about a duplicate another writer had already stored. A payload is a JSON
array of events (the public event objects, design.md), under 8000 bytes; a batch is split over
as many notifications as it needs. Batches of more than `PostgresStore.live_limit` new events
(imports, backfills) are not announced: the live stream is for live events.

Readers (the web layer):

    async def listen_events(dsn: str, *, channel: str = CHANNEL) -> AsyncIterator[list[Liquidation]]

yields each notification's events as they arrive, in commit order, forever: it reconnects with
backoff (0.5 s doubling to 10 s) when the connection drops; events committed while it was
disconnected are not replayed (read the store for those). Stop it by breaking out of the loop or
cancelling its task.

The collectors' status is not streamed: each collector writes its status document with
`Store.write_status(source, doc, updated)` and `liqwatch serve` reads them all with
`Store.statuses()` (see store/base.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence

import msgspec
import psycopg
from psycopg import sql

from liqwatch.model import Liquidation
from liqwatch.store.common import first_line

CHANNEL = "liqwatch_events"
MAX_PAYLOAD = 7_900  # PostgreSQL refuses payloads of 8000 bytes or more

log = logging.getLogger(__name__)
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(list[Liquidation])


def payloads(events: Sequence[Liquidation]) -> list[str]:
    """The events as JSON arrays of at most MAX_PAYLOAD bytes each (pure)."""
    out: list[str] = []
    chunk: list[bytes] = []
    size = 2
    for event in events:
        encoded = _encoder.encode(event)
        if len(encoded) + 3 > MAX_PAYLOAD:
            log.warning("event %s too large to announce live (%d bytes)", event.id, len(encoded))
            continue
        if chunk and size + len(encoded) + 1 > MAX_PAYLOAD:
            out.append("[" + b",".join(chunk).decode() + "]")
            chunk, size = [], 2
        chunk.append(encoded)
        size += len(encoded) + 1
    if chunk:
        out.append("[" + b",".join(chunk).decode() + "]")
    return out


def decode(payload: str) -> list[Liquidation]:
    """The events of one notification; [] for a payload that is not one (logged)."""
    try:
        return _decoder.decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        log.warning("ignoring a malformed %s notification: %s", CHANNEL, exc)
        return []


async def listen_events(
    dsn: str, *, channel: str = CHANNEL, max_backoff_s: float = 10.0
) -> AsyncIterator[list[Liquidation]]:
    """Every announced batch of new events, across processes; reconnects with backoff."""
    backoff = 0.5
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as con:
                await con.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                backoff = 0.5
                async for note in con.notifies():
                    events = decode(note.payload)
                    if events:
                        yield events
        except psycopg.Error as exc:
            log.warning("live stream from PostgreSQL lost (%s); reconnecting in %.1f s", first_line(exc), backoff)
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, max_backoff_s)

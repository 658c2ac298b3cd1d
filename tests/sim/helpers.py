"""Shared by the simulator tests: the catalogue liqwatch builds from the simulator's REST answers,
a collector run against a running Simulator, and reading a sent-log back through liqwatch's parsers."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from liqwatch.feed.backoff import Backoff
from liqwatch.feed.collector import Collector
from liqwatch.feed.instruments import load_catalogue
from liqwatch.feed.journal import DeadLetters, Journal, read_journal
from liqwatch.feed.node_follow import Position
from liqwatch.feed.rest import RestClient
from liqwatch.instruments import Catalogue, Instrument, bundled
from liqwatch.model import Gap, Liquidation
from liqwatch.pipeline import Pipeline
from liqwatch.sim import Simulator, rest
from liqwatch.sim.node_writer import hour_path
from liqwatch.sim.tape import PriceBook
from liqwatch.venues import REGISTRY
from liqwatch.venues.base import BadFrame, VenueSpec

NOW = 1_795_000_000_000  # 2026-11-18T…Z


def rest_instruments(venue: str, now: int = NOW) -> list[Instrument]:
    """What liqwatch's parse_instruments reads from the simulator's instruments endpoints (no sockets)."""
    spec = REGISTRY[venue]
    prefix = urlsplit(spec.rest_base).path.rstrip("/")
    ctx = rest.Context(now, PriceBook(now))
    found: list[Instrument] = []
    for first in spec.instrument_requests():
        request = first
        for _ in range(50):
            reply = rest.handle(venue, prefix + request.path, dict(request.params), ctx)
            assert reply.status == 200, (venue, request, reply)
            page = spec.parse_instruments(request, reply.body)
            found.extend(page.instruments)
            if page.next is None:
                break
            request = page.next
    return found


def sim_catalogue() -> Catalogue:
    """The catalogue `liqwatch run` builds against the simulator: bundled snapshot, then REST."""
    catalogue = bundled()
    for venue in REGISTRY:
        catalogue.update(rest_instruments(venue))
    return catalogue


class MemorySink:
    def __init__(self) -> None:
        self.events: list[Liquidation] = []
        self.gaps: list[Gap] = []

    def write(self, events: Sequence[Liquidation]) -> None:
        self.events.extend(events)

    def write_gap(self, gap: Gap) -> None:
        self.gaps.append(gap)

    def close(self) -> None:
        pass


@dataclass
class Run:
    """What a collector run against the simulator left behind."""

    sim: Simulator
    collector: Collector
    sink: MemorySink
    catalogue: Catalogue
    sent_log: Path
    journal_dir: Path
    dead_letters: Path
    sent_records: list[dict[str, object]] = field(default_factory=list)

    def journal(self) -> list[tuple[str, str]]:
        return [(r.venue, r.frame) for path in sorted(self.journal_dir.glob("*.jsonl*")) for r in read_journal(path)]

    def sent_frames(self) -> list[tuple[str, str]]:
        return [(str(r["venue"]), str(r["frame"])) for r in self.sent_records]

    def expected_ids(self, venue: str | None = None) -> set[str]:
        """The event ids liqwatch's own parsers find in the frames the simulator sent."""
        return {e.id for e in parse_sent(self.sent_records, self.catalogue, venue)[0]}

    def bad_frames(self, venue: str | None = None) -> int:
        return parse_sent(self.sent_records, self.catalogue, venue)[1]

    def stored(self, venue: str | None = None) -> list[Liquidation]:
        return [e for e in self.sink.events if venue is None or e.venue == venue]

    def dead_letter_count(self) -> int:
        return len(self.dead_letters.read_text().splitlines()) if self.dead_letters.exists() else 0


def read_sent(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def parse_sent(
    records: Sequence[dict[str, object]], catalogue: Catalogue, venue: str | None = None
) -> tuple[list[Liquidation], int]:
    """Events (first occurrence of each id, in order) and the number of bad frames in a sent-log."""
    seen: dict[str, Liquidation] = {}
    bad = 0
    for record in records:
        endpoint = str(record["venue"])
        if endpoint not in REGISTRY:
            continue
        try:
            events = REGISTRY[endpoint].parse(str(record["frame"]), int(record["ts"]), catalogue)  # type: ignore[call-overload]
        except BadFrame:
            if venue is None or endpoint == venue:
                bad += 1
            continue
        for event in events:
            if venue is None or event.venue == venue:
                seen.setdefault(event.id, event)
    return list(seen.values()), bad


async def collect(
    sim: Simulator,
    tmp: Path,
    seconds: float,
    *,
    venues: Sequence[str] | None = None,
    specs: Callable[[VenueSpec], VenueSpec] = lambda spec: spec,
    fast_backoff: bool = True,
    until: Callable[[Collector], bool] | None = None,
) -> Run:
    """Run liqwatch's Collector against the started `sim` for `seconds` (or until `until`), then pause
    the simulator, let the collector read everything that was sent, and stop it."""
    chosen = [REGISTRY[v] for v in (venues or [v for v in sim.tape_venues() if v in REGISTRY])]
    node_dirs = {}
    if sim.config.hyperliquid_node_dir is not None and any(spec.id == "hyperliquid" for spec in chosen):
        # read the node's files from the tape's first hour (the follower alone would start at the newest)
        root = Path(sim.config.hyperliquid_node_dir)
        position = tmp / "hyperliquid-node.json"
        first = hour_path(root, sim.book.start_ms).relative_to(root)
        position.write_bytes(msgspec.json.encode(Position(str(first), 0)))
        node_dirs["hyperliquid"] = (root, position)
    async with RestClient(timeout=5.0) as client:
        catalogue = await load_catalogue(chosen, client, rest_overrides=sim.rest_urls, timeout=10.0)
    sink = MemorySink()
    journal_dir = tmp / "journal"
    journal = Journal(journal_dir)
    dead_path = tmp / "dead-letters.jsonl"
    dead = DeadLetters(dead_path)
    collector = Collector(
        [specs(spec) for spec in chosen],
        catalogue=catalogue,
        journal=journal,
        dead_letters=dead,
        pipeline=Pipeline([sink]),
        url_overrides=sim.urls,
        backoff=(lambda: Backoff(initial=0.05, cap=0.2, seed=1)) if fast_backoff else Backoff,
        node_dirs=node_dirs,
        max_ahead_ms=sim.max_event_ahead_ms(),
    )
    task = asyncio.create_task(collector.run())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline and not (until is not None and until(collector)):
        await asyncio.sleep(0.05)
    await sim.pause()
    # Let the collector read what was sent (a frame sent as the client itself hung up is never read:
    # stop waiting once nothing more arrives).
    received, still = -1, 0
    async with asyncio.timeout(30):
        while True:
            now = sum(v.frames for v in collector.status().venues.values())
            if now >= sim.sent or still >= 50:
                break
            received, still = now, (still + 1 if now == received else 0)
            await asyncio.sleep(0.02)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    journal.close()
    dead.close()
    await sim.stop()
    assert sim.config.sent_log is not None
    return Run(
        sim, collector, sink, catalogue, sim.config.sent_log, journal_dir, dead_path, read_sent(sim.config.sent_log)
    )


def with_silence(seconds: float, venue: str) -> Callable[[VenueSpec], VenueSpec]:
    """A shorter silence watchdog for one venue (the others keep theirs: a loaded machine stays quiet)."""
    return lambda spec: replace(spec, silence_s=seconds) if spec.id == venue else spec

"""The thin I/O part of the simulator: one websockets server per venue on 127.0.0.1 (WebSocket and
REST on the same port, REST through websockets' `process_request` hook), the feed that plays the
tape at `speed`, the companion-stream ticks, the fault injector and the sent-log.

Delivery, per client connection: everything it is sent (acks, pongs, snapshots, pushes) goes
through one ordered queue and one writer task, so a stalled or slow connection delays only
itself. A frame is written to the sent-log after `send` returned, i.e. once it is in the socket;
connections the simulator drops are closed without a close frame but after their buffered frames
(the client receives everything the sent-log lists, unless it closes the connection itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import heapq
import http
import itertools
import logging
import os
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import msgspec
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response

from liqwatch.feed.journal import JournalRecord, read_journal
from liqwatch.sim import encode, rest
from liqwatch.sim.faults import ConnectionFaults, FaultPlan, garbage_frame, truncated
from liqwatch.sim.info_server import InfoServer
from liqwatch.sim.model import Push
from liqwatch.sim.node_writer import NodeWriter
from liqwatch.sim.protocol import (
    LIFETIME_TAPE_S,
    PATHS,
    SERVER_PINGS,
    SIM_VENUES,
    Close,
    Out,
    Session,
    VenueState,
    open_session,
    split_target,
    ticks,
)
from liqwatch.sim.tape import SCENARIOS, PriceBook, replay_push, scenario_tape
from liqwatch.venues import REGISTRY, VENUE_IDS
from liqwatch.venues.lifecycle import CLOSED

# The venues served over WebSocket by default (Hyperliquid's market-wide feed is a node's files).
WEBSOCKET_VENUES = tuple(v for v in VENUE_IDS if REGISTRY[v].urls)

log = logging.getLogger("liqwatch.sim")
_ws_log = logging.getLogger("liqwatch.sim.websockets")
_ws_log.setLevel(logging.WARNING)  # websockets logs every REST request at INFO

MAX_QUEUE = 100_000  # frames waiting on one connection; beyond: dropped as a slow consumer
TIMER_STEP_S = 0.1


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class SimConfig:
    venues: tuple[str, ...] = WEBSOCKET_VENUES
    scenario: str = "calm"
    seed: int = 1
    speed: float = 1.0
    replay: tuple[Path, ...] = ()
    faults: str = ""
    sent_log: Path | None = None
    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port per venue; else venue i (in `venues` order) listens on port + i
    # Extras (defaults keep the behaviour above):
    tick_s: float = 1.0  # wall seconds between companion-stream ticks (mark prices, tickers)
    start_ms: int | None = None  # tape start (exchange clock); None: now (scenario) / first record (replay)
    # Write Hyperliquid's liquidations as a node's fills files here (sim/node_writer.py); None: no node.
    hyperliquid_node_dir: Path | None = None
    # A scenario tape's past: the tape starts this many seconds before start_ms, and what it publishes
    # before start_ms is generated as fast as it can be by iterating `Simulator.history()` (capture-
    # journal records) instead of being sent; the prices and the venues' recent trades follow it.
    history_s: int = 0
    # The tape clock stands at its start until `release()` (the demo releases it once the collector
    # has connected, so nothing published is missed).
    held: bool = False

    def __post_init__(self) -> None:
        known = (*VENUE_IDS, *SIM_VENUES)
        unknown = [v for v in self.venues if v not in known]
        if unknown:
            raise ValueError(f"unknown venue {', '.join(unknown)} (known: {', '.join(known)})")
        if not self.venues:
            raise ValueError("no venue selected")
        if not self.replay and self.scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.scenario!r} (known: {', '.join(SCENARIOS)})")
        if not self.speed > 0:
            raise ValueError("speed must be > 0")
        if not self.tick_s > 0:
            raise ValueError("tick_s must be > 0")
        if self.history_s < 0 or (self.history_s and self.replay):
            raise ValueError("history_s must be >= 0, and only with a scenario tape")


class SentLog:
    """Every frame delivered, as capture-journal lines `{"ts","venue","frame"}` (ts: send time, ms)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: IO[bytes] | None = open(path, "ab")  # noqa: SIM115 - kept open while running
        self._encode = msgspec.json.Encoder().encode

    def write(self, venue: str, ts: int, frame: str) -> None:
        if self._file is not None:
            self._file.write(self._encode(JournalRecord(ts, venue, frame)) + b"\n")

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


# ── one client connection ──────────────────────────────────────────────────────────────────────


class Client:
    def __init__(
        self,
        server: VenueServer,
        ws: ServerConnection,
        session: Session,
        faults: ConnectionFaults,
        serial: int,
    ) -> None:
        self.server = server
        self.ws = ws
        self.session = session
        self.faults = faults
        self.serial = serial
        self.rng = server.sim.plan.rng(server.venue, session.conn, serial)
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        self.opened_at = loop.time()
        self.last_heard = self.opened_at  # the last message from the client
        self.last_data = self.opened_at  # the last data frame sent
        self.data_sent = 0
        self.stalled_at = 0
        self.impossible_sent = 0
        self.dropped = False
        self.lifetime_s = lifetime_s(server.venue, faults.lifetime_s, server.sim.config.speed)
        self.idle_s = faults.idle_s if faults.idle_s is not None else session.idle_s

    # -- feeding --------------------------------------------------------------------------------

    def enqueue(self, out: Out) -> None:
        self._put((out.kind, out.text))

    def enqueue_push(self, push: Push) -> None:
        self._put(("push", push))

    def _put(self, item: tuple[str, Any]) -> None:
        if self.dropped:
            return
        if self.queue.qsize() >= MAX_QUEUE:
            log.warning("%s: client %d too slow (%d frames queued): dropped", self.server.venue, self.serial, MAX_QUEUE)
            self.drop()
            return
        self.queue.put_nowait(item)

    # -- running --------------------------------------------------------------------------------

    async def run(self) -> None:
        if self.faults.no_pong:
            _refuse_ping_frames(self.ws)
        for out in self.session.opened():
            self.enqueue(out)
        writer = asyncio.create_task(self._writer(), name=f"sim-{self.server.venue}-{self.serial}-writer")
        timers = asyncio.create_task(self._timers(), name=f"sim-{self.server.venue}-{self.serial}-timers")
        try:
            async for message in self.ws:
                self.last_heard = asyncio.get_running_loop().time()
                text = message if isinstance(message, str) else message.decode(errors="replace")
                try:
                    outs = self.session.receive(text)
                except Exception:  # a simulator bug must not look like a venue fault
                    log.exception("%s: session failed on %r", self.server.venue, text[:200])
                    continue
                for out in outs:
                    self.enqueue(out)
        except ConnectionClosed:
            pass
        finally:
            for task in (writer, timers):
                task.cancel()
            for task in (writer, timers):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _writer(self) -> None:
        try:
            while True:
                kind, item = await self.queue.get()
                if kind == "push":
                    for text in self.session.render(item):
                        await self._data(text, item)
                elif kind == "data":
                    await self._data(item, None)
                elif kind == "pong" and self.faults.no_pong:
                    continue
                else:
                    await self._send(item)
        except ConnectionClosed:
            pass

    async def _data(self, text: str, push: Push | None) -> None:
        faults = self.faults
        if faults.silent:
            return
        stall_due = faults.stall_s and self.data_sent and self.data_sent % faults.stall_every == 0
        if stall_due and self.stalled_at != self.data_sent:
            self.stalled_at = self.data_sent
            self.server.sim.faults_applied["stall"] += 1
            await asyncio.sleep(faults.stall_s)
        if faults.slow_s:
            await asyncio.sleep(faults.slow_s)
        rng = self.rng
        draws = [rng.random() for _ in range(4)]  # always four draws: decisions stay reproducible
        if faults.garbage and draws[0] < faults.garbage:
            self.server.sim.faults_applied["garbage"] += 1
            await self._send(garbage_frame(rng))
        if faults.impossible and push is not None and push.truths and draws[1] < faults.impossible:
            how = encode.IMPOSSIBLE[self.impossible_sent % len(encode.IMPOSSIBLE)]
            self.impossible_sent += 1
            self.server.sim.faults_applied["impossible"] += 1
            bad = encode.encode(encode.impossible(push.truths[0], how), at=push.at)
            for bad_text in self.session.render(Push(push.at, push.venue, push.conn, push.topic, bad)):
                await self._send(bad_text)
        if faults.truncate and draws[2] < faults.truncate:
            self.server.sim.faults_applied["truncate"] += 1
            text = truncated(text, rng)
        await self._send(text)
        self.data_sent += 1
        self.last_data = asyncio.get_running_loop().time()
        if faults.drop_every and self.data_sent % faults.drop_every == 0:
            self.server.sim.faults_applied["drop-every"] += 1
            self.drop()
        elif faults.drop and draws[3] < faults.drop:
            self.server.sim.faults_applied["drop"] += 1
            self.drop()

    async def _send(self, text: str) -> None:
        if self.dropped:
            raise ConnectionClosed(None, None)
        await self.ws.send(self.session.wire(text))
        self.server.sim.record(self.server.venue, text)

    def drop(self) -> None:
        """Close the TCP connection without a close frame, after what was already sent."""
        if not self.dropped:
            self.dropped = True
            self.ws.transport.close()

    async def _timers(self) -> None:
        loop = asyncio.get_running_loop()
        last_beat = loop.time()
        while True:
            await asyncio.sleep(TIMER_STEP_S)
            now = loop.time()
            if self.lifetime_s is not None and now - self.opened_at >= self.lifetime_s:
                self.server.sim.faults_applied["lifetime"] += 1
                await self.ws.close(1001, "connection lifetime reached")
                return
            if self.idle_s is not None and now - self.last_heard >= self.idle_s:
                self.server.sim.faults_applied["idle"] += 1
                code, reason = self.session.idle_close
                await self.ws.close(code, reason)
                return
            beat = self.session.heartbeat_s
            if beat is not None and now - last_beat >= beat:
                last_beat = now
                outcome = self.session.heartbeat()
                if isinstance(outcome, Close):
                    await self.ws.close(outcome.code, outcome.reason)
                    return
                for out in outcome:
                    self.enqueue(out)


def lifetime_s(venue: str, fault: float | None, speed: float) -> float | None:
    """How long a connection may live (wall seconds): the lifetime fault, else the venue's own limit
    (Binance: 24 h of tape time, so compressed by the speed), else forever (None)."""
    if fault is not None:
        return fault
    tape_s = LIFETIME_TAPE_S.get(venue)
    return tape_s / speed if tape_s is not None else None


def _refuse_ping_frames(ws: ServerConnection) -> None:
    """no-pong: the connection stops answering WebSocket ping frames (application pings are the session's)."""
    protocol = ws.protocol
    send_frame = protocol.send_frame

    def without_pongs(frame: Frame) -> None:
        if frame.opcode is not Opcode.PONG:
            send_frame(frame)

    protocol.send_frame = without_pongs  # type: ignore[method-assign]


# ── one venue ──────────────────────────────────────────────────────────────────────────────────


class VenueServer:
    def __init__(self, sim: Simulator, venue: str, port: int) -> None:
        self.sim = sim
        self.venue = venue
        self.port = port
        self.state = VenueState(venue, sim.book, sim.tape_now, sim.config.seed)
        self.clients: set[Client] = set()
        self.serials = itertools.count(1)
        self.rest_rng = sim.plan.rng(venue, "rest")
        self.server: Server | None = None

    async def start(self) -> None:
        pings = SERVER_PINGS.get(self.venue)
        self.server = await serve(
            self._handle,
            self.sim.config.host,
            self.port,
            process_request=self._process_request,
            ping_interval=pings[0] if pings else None,
            ping_timeout=pings[1] if pings else None,
            close_timeout=2.0,
            max_size=1 << 22,
            logger=_ws_log,
        )
        self.port = next(iter(self.server.sockets)).getsockname()[1]

    async def stop(self, abrupt: bool = False) -> None:
        """Stop listening and end every connection (abrupt: TCP closed, no close frame)."""
        if self.server is None:
            return
        server, self.server = self.server, None
        if abrupt:
            for client in list(self.clients):
                client.drop()
        server.close(close_connections=not abrupt)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 5.0)

    @property
    def running(self) -> bool:
        return self.server is not None

    def publish(self, push: Push, *, fill_only: bool = False) -> None:
        """Hand `push` to every subscribed client (fill_only: only those without recent data)."""
        if not fill_only:
            self.state.published(push)
        if not self.clients:
            return
        now = asyncio.get_running_loop().time()
        for client in list(self.clients):
            if fill_only and now - client.last_data < self.sim.config.tick_s:
                continue
            if client.session.wants(push):
                client.enqueue_push(push)

    # -- HTTP -----------------------------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
        if upgrade:
            session = open_session(self.venue, self.state, request.path, dict(request.headers.raw_items()))
            if session is None:
                return _response(404, {"error": f"{self.venue}: no WebSocket endpoint at {request.path}"})
            faults = self.sim.plan.connection(self.venue, session.conn)
            if faults.reject and self.rest_rng.random() < faults.reject:
                self.sim.faults_applied["reject"] += 1
                return _response(503, {"error": "service unavailable"})
            connection.sim_session = session  # type: ignore[attr-defined]
            return None
        return self._rest(request)

    def _rest(self, request: Request) -> Response:
        sim = self.sim
        sim.rest_requests += 1
        path, query = split_target(request.path)
        if not rest.has_rest(self.venue):
            return _response(404, {"error": f"{self.venue}: no REST endpoints"})
        too_many, failing = sim.plan.rest(self.venue)
        first, second, third = self.rest_rng.random(), self.rest_rng.random(), self.rest_rng.random()
        if too_many and first < too_many:
            sim.faults_applied["rest-429"] += 1
            return _response(429, {"code": -1003, "msg": "Too many requests; please slow down."}, retry_after=1)
        if failing and second < failing:
            sim.faults_applied["rest-5xx"] += 1
            status = (500, 502, 503)[int(third * 3)]
            return _response(status, {"code": -1001, "msg": http.HTTPStatus(status).phrase})
        ctx = rest.Context(
            now_ms=sim.tape_now(),
            book=sim.book,
            recent=list(self.state.recent),
            active=list(self.state.active.values()),
        )
        reply = rest.handle(self.venue, path, query, ctx)
        return _response(reply.status, reply.body)

    async def _handle(self, ws: ServerConnection) -> None:
        session = getattr(ws, "sim_session", None)
        if session is None:  # not through process_request (cannot happen); be safe
            session = open_session(self.venue, self.state, ws.request.path if ws.request else "/", {})
            if session is None:
                return
        client = Client(self, ws, session, self.sim.plan.connection(self.venue, session.conn), next(self.serials))
        self.clients.add(client)
        self.sim.connections[self.venue] += 1
        try:
            await client.run()
        finally:
            self.clients.discard(client)


def _response(status: int, body: Any, retry_after: int | None = None) -> Response:
    data = body if isinstance(body, bytes) else msgspec.json.encode(body)
    headers = Headers(
        [
            ("Date", email.utils.formatdate(usegmt=True)),
            ("Connection", "close"),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
        ]
    )
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(status, http.HTTPStatus(status).phrase, headers, data)


# ── the simulator ──────────────────────────────────────────────────────────────────────────────


@dataclass
class _Clock:
    t0: float = 0.0  # loop time at tape start
    start_ms: int = 0


class Simulator:
    """Every selected venue on 127.0.0.1, speaking its real protocol, fed by a scenario or a replay.

    After `await start()`: `urls` (collector override keys → ws:// URLs), `rest_urls` (venue id →
    http:// base URL), and `sent` (frames delivered so far) are live.
    """

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.plan = FaultPlan.parse(config.faults, config.seed, config.venues)
        self.urls: dict[str, str] = {}
        self.rest_urls: dict[str, str] = {}
        self.sent = 0
        self.sent_by_venue: Counter[str] = Counter()
        self.connections: Counter[str] = Counter()
        self.faults_applied: Counter[str] = Counter()
        self.rest_requests = 0
        self.restarts = 0
        self.replay_done: asyncio.Event | None = None  # set when a replay has been played out
        self._clock = _Clock()
        self._paused_at: int | None = None
        self._held = config.held
        self._released: asyncio.Event | None = None
        self._past: Iterator[Push] | None = None  # with history_s: the tape before start_ms, not read yet
        self._rest: Iterator[Push] = iter(())  # the tape from start_ms, once the past is read
        self.book = PriceBook(config.start_ms or 0, config.seed)
        self.servers: dict[str, VenueServer] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._feed_task: asyncio.Task[None] | None = None
        self._sent_log: SentLog | None = None
        self._started = False
        self.info: InfoServer | None = None  # Hyperliquid's POST /info (sim/info_server.py), with hyperliquid
        self.node: NodeWriter | None = None  # Hyperliquid's node fills files, with hyperliquid_node_dir

    # -- clock ----------------------------------------------------------------------------------

    def tape_now(self) -> int:
        """Tape (exchange) time now, ms: runs `speed` times faster than the wall clock."""
        if not self._started or self._held:
            return self._clock.start_ms
        if self._paused_at is not None:  # a paused tape's clock stands still
            return self._paused_at
        # time.monotonic() is the event loop's clock (t0 was read from it), and unlike the loop it
        # can be read from any thread: the demo's API answers on worker threads with this clock.
        elapsed = time.monotonic() - self._clock.t0
        return self._clock.start_ms + int(elapsed * self.config.speed * 1000)

    def _tape_seconds(self) -> float:
        return self.tape_now() / 1000

    # -- lifecycle ------------------------------------------------------------------------------

    def _tape(self) -> tuple[int, Iterator[Push]]:
        config = self.config
        if config.replay:
            missing = [str(p) for p in config.replay if not Path(p).is_file()]
            if missing:
                raise FileNotFoundError(f"no such replay file: {', '.join(missing)}")
            tape = replay_tape(config.replay, self.tape_venues())
            first = next(tape, None)
            if first is None:
                return config.start_ms or now_ms(), iter(())
            start = first.at if config.start_ms is None else min(config.start_ms, first.at)
            return start, itertools.chain([first], tape)
        start = config.start_ms if config.start_ms is not None else now_ms() // 1000 * 1000
        begin = start - config.history_s * 1000
        self.book.start_ms = begin  # the book's synthetic bars end where the tape begins
        return start, scenario_tape(config.scenario, config.seed, self.tape_venues(), begin, self.book)

    def history(self) -> Iterator[JournalRecord]:
        """The tape before start_ms (SimConfig.history_s) as the journal records a collector would
        have written, generated as they are read (a day takes seconds: read it off the event loop,
        before `release()`). The venues' recent trades and the book's prices follow it; the watched
        wallets open at its end. Once; a past nobody reads is skipped when the clock is released."""
        past, self._past = self._past, None
        if past is None:
            return
        # Both Binance hosts push the same frames: a collector journals both and keeps one of each
        # liquidation; the past keeps one copy.
        copy = "binance_coinm" if "binance_usdm" in self.config.venues else ""
        start = self._clock.start_ms
        for push in past:
            if push.at >= start:
                self._rest = itertools.chain([push], past)
                break
            if not push.venue or push.venue == copy:
                continue
            server = self.servers.get(push.venue)
            if server is not None:  # its recent trades and open orders (REST, subscribe snapshots)
                server.state.published(push)
            yield JournalRecord(push.at, push.venue, push.text)
        if self.info is not None:
            self.info.reopen(start)  # the wallets open at the prices the past ended on

    def _live_tape(self) -> Iterator[Push]:
        for _ in self.history():  # not read by anyone: skipped
            pass
        yield from self._rest

    def tape_venues(self) -> tuple[str, ...]:
        """Venues whose liquidations the tape carries: Hyperliquid's only when a node directory is written."""
        node = ("hyperliquid",) if self.config.hyperliquid_node_dir is not None else ()
        return tuple(dict.fromkeys(v for v in (*self.config.venues, *node) if v != "hyperliquid" or node))

    async def start(self) -> None:
        if self._started:
            return
        config = self.config
        start_ms, tape = self._tape()
        if config.replay:
            self.book.start_ms = start_ms
        if config.history_s:
            self._past, tape = tape, self._live_tape()
        self._clock = _Clock(time.monotonic(), start_ms)  # = loop.time(), readable from any thread
        self._started = True
        self._released = asyncio.Event()
        if not self._held:
            self._released.set()
        self.replay_done = asyncio.Event()
        try:
            for index, venue in enumerate(config.venues):
                server = VenueServer(self, venue, config.port + index if config.port else 0)
                await server.start()
                self.servers[venue] = server
        except BaseException:
            for server in self.servers.values():
                await server.stop()
            self._started = False
            raise
        host = config.host
        for venue, server in self.servers.items():
            paths = PATHS[venue]
            for name, path in paths.items():
                key = venue if len(paths) == 1 else f"{venue}.{name}"
                self.urls[key] = f"ws://{host}:{server.port}{path}"
            if rest.has_rest(venue):
                self.rest_urls[venue] = f"http://{host}:{server.port}{_rest_prefix(venue)}"
        if "hyperliquid" in config.venues:
            # Hyperliquid's budget is per minute of its clock: the tape's (at 60×, a wall second is a minute)
            self.info = InfoServer(self.book, self.tape_now, config.seed, host=host, clock=self._tape_seconds)
            await self.info.start()
        if config.sent_log is not None:
            self._sent_log = SentLog(Path(config.sent_log))
        if config.hyperliquid_node_dir is not None:
            self.node = NodeWriter(Path(config.hyperliquid_node_dir))
        self._feed_task = asyncio.create_task(self._feed(tape), name="sim-feed")
        self._tasks = [self._feed_task, asyncio.create_task(self._ticks(), name="sim-ticks")]
        if self._sent_log is not None:
            self._tasks.append(asyncio.create_task(self._flush_forever(), name="sim-sent-log"))
        restart = self.plan.restart()
        if restart is not None:
            self._tasks.append(asyncio.create_task(self._restarts(*restart), name="sim-restarts"))
        log.info("sim: %s on %s", ", ".join(f"{v}:{s.port}" for v, s in self.servers.items()), host)

    def release(self) -> None:
        """Start the held tape clock (SimConfig.held) from where it stands: now is its start."""
        if self._held:
            self._clock = _Clock(time.monotonic(), self._clock.start_ms)
            self._held = False
            if self._released is not None:
                self._released.set()

    async def pause(self) -> None:
        """Stop publishing (tape and ticks) and the tape clock; connections stay open (tests drain a
        client; a timed demo stops at a known tape time however long its shutdown takes)."""
        self._paused_at = self.tape_now()
        stopping = [t for t in self._tasks if t.get_name() in ("sim-feed", "sim-ticks", "sim-restarts")]
        for task in stopping:
            task.cancel()
        await asyncio.gather(*stopping, return_exceptions=True)
        self._tasks = [t for t in self._tasks if t not in stopping]
        await self.drained()

    async def drained(self, timeout: float = 10.0) -> None:
        """Wait until every client's queue is empty (what was published is sent)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if all(c.queue.empty() for s in self.servers.values() for c in s.clients):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.05)  # the frame being written by each writer
        if self._sent_log is not None:
            self._sent_log.flush()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        for server in self.servers.values():
            await server.stop()
        if self.info is not None:
            await self.info.stop()
        if self._sent_log is not None:
            self._sent_log.close()
            self._sent_log = None
        if self.node is not None:
            self.node.close()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- loops ----------------------------------------------------------------------------------

    async def _feed(self, tape: Iterator[Push]) -> None:
        loop = asyncio.get_running_loop()
        speed = self.config.speed
        if self._released is not None:
            await self._released.wait()  # a held clock: nothing is published before release()
        t0, start_ms = self._clock.t0, self._clock.start_ms
        for count, push in enumerate(tape, 1):
            due = t0 + (push.at - start_ms) / 1000.0 / speed
            delay = due - loop.time()
            if delay > 0.001:
                await asyncio.sleep(delay)
            elif count % 256 == 0:
                await asyncio.sleep(0)  # catching up: let the writers run
            if push.conn == "node":
                if self.node is not None:
                    self.node.write(push.at, push.text)
                    self.record(push.venue, push.text)
            elif push.venue:
                server = self.servers.get(push.venue)
                if server is not None:
                    server.publish(push)
        if self.replay_done is not None:
            self.replay_done.set()
        log.info("sim: replay finished")

    async def _ticks(self) -> None:
        fill_only = bool(self.config.replay)
        while True:
            await asyncio.sleep(self.config.tick_s)
            if self.node is not None and not fill_only:
                now = self.tape_now()
                block = self.node.ordinary_block(now, "BTC", self.book.last("BTC"))
                self.node.write(now, block)
                self.record("hyperliquid", block)
            for venue, server in self.servers.items():
                if server.running and server.clients:
                    for push in ticks(venue, server.state):
                        server.publish(push, fill_only=fill_only)

    async def _restarts(self, every: float, down: float) -> None:
        task = asyncio.current_task()
        while True:
            await asyncio.sleep(every)
            self.restarts += 1
            self.faults_applied["restart"] += 1
            log.info("sim: restart %d: all servers down for %.1f s", self.restarts, down)
            for server in self.servers.values():
                await server.stop(abrupt=True)
            # Python 3.11's wait_for (inside stop) can swallow a cancellation that lands as the server
            # finishes closing; this loop must still end, or `pause()` waits for it forever.
            if task is not None and task.cancelling():
                raise asyncio.CancelledError
            await asyncio.sleep(down)
            for server in self.servers.values():
                await server.start()

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            if self._sent_log is not None:
                self._sent_log.flush()

    # -- bookkeeping ----------------------------------------------------------------------------

    def record(self, venue: str, frame: str) -> None:
        self.sent += 1
        self.sent_by_venue[venue] += 1
        if self._sent_log is not None:
            self._sent_log.write(venue, now_ms(), frame)

    def run_flags(self) -> list[str]:
        """The `liqwatch run` flags that point the collector at this simulator."""
        collected = [v for v in self.config.venues if v in WEBSOCKET_VENUES and v not in CLOSED]
        if self.node is not None:
            collected.append("hyperliquid")
        flags = ["--venues", ",".join(collected)]
        for key, url in self.urls.items():
            if key.partition(".")[0] in collected and REGISTRY[key.partition(".")[0]].urls:
                flags += ["--venue-url", f"{key}={url}"]
        if self.node is not None:
            flags += ["--hyperliquid-node-dir", str(self.config.hyperliquid_node_dir)]
        for venue, url in self.rest_urls.items():
            flags += ["--rest-url", f"{venue}={url}"]
        if self.info is not None:  # the watched wallets' POST /info
            flags += ["--rest-url", f"hyperliquid={self.info.url}"]
        if self.config.speed > 1:
            flags += ["--max-event-ahead", str(self.max_event_ahead_ms() // 1000)]
        return flags

    def max_event_ahead_ms(self) -> int:
        """How far ahead of the wall clock this simulator's events may be stamped: at `speed` > 1 the
        tape clock runs ahead (an hour of wall time at speed 300 is 300 h of tape), so a collector on
        the wall clock needs a wider bound than the default 5 minutes."""
        return max(300_000, int(self.config.speed * 3_600_000))

    def status(self) -> dict[str, Any]:
        return {
            "tape_ms": self.tape_now(),
            "sent": self.sent,
            "clients": {v: len(s.clients) for v, s in self.servers.items()},
            "connections": dict(self.connections),
            "rest_requests": self.rest_requests,
            "faults": dict(self.faults_applied),
        }


def replay_tape(paths: Sequence[str | os.PathLike[str]], venues: Sequence[str]) -> Iterator[Push]:
    """The data frames of capture journals (acks, pongs and heartbeats skipped), merged in receive order."""
    wanted = set(venues)

    def records(path: str | os.PathLike[str]) -> Iterator[Push]:
        for record in read_journal(path):
            if record.venue not in wanted:
                continue
            spec = REGISTRY.get(record.venue)
            if spec is not None and not spec.is_data(record.frame):
                continue
            yield replay_push(record.venue, record.ts, record.frame)

    yield from heapq.merge(*(records(p) for p in paths), key=lambda push: push.at)


def _rest_prefix(venue: str) -> str:
    """The path part of the venue's real REST base (Deribit: /api/v2): the override must keep it."""
    spec = REGISTRY.get(venue)
    return urlsplit(spec.rest_base).path.rstrip("/") if spec is not None else ""


__all__ = ["SimConfig", "Simulator"]

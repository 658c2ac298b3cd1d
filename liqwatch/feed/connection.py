"""One venue WebSocket, kept alive forever: connect, subscribe, heartbeat, silence watchdog, gaps.

The loop knows nothing about liquidations: every received frame goes to `on_frame` (the
collector journals, parses and publishes it); `spec.is_data(frame)` tells real data from
acks and pongs. Failures, each of which ends the connection and is followed by a backoff:

- the connection cannot be opened ("connect failed: …"),
- the server or the network closes it ("connection closed: code 1006"),
- it is open but no DATA frame came for `silence_s` ("silent for 30 s"): the venue moved its
  URL and still acks, or a subscription silently lapsed. Acks, pongs and WebSocket pings do
  not count as life.
- it is closed (by the venue's own timers) after a silence of at least half `silence_s`: the
  gap says "silent for N s, then connection closed: …";
- it sends application pings and nothing at all came back within `PONG_TIMEOUT_S` of one
  ("no reply to ping within 10 s"): a half-open connection is caught long before `silence_s`
  on a quiet venue. While data flows, a missing pong is harmless and not a failure.

Backoff resets only on the first data frame of a connection (see feed/backoff.py).

An outage becomes one Gap(venue, start, end, reason): start = the last data frame before the
failure, end = the first data frame after it, reason = the first failure (plus how many
reconnects failed after it). A clean first start is not a gap; a first start that fails is
(from the start of the run). On cancellation an open outage is recorded up to that moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import NoReturn, TypeVar

import msgspec
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from liqwatch.feed.backoff import Backoff
from liqwatch.feed.clock import Clock, now_ms
from liqwatch.model import Gap
from liqwatch.venues.base import Connection, Frame, VenueSpec

log = logging.getLogger("liqwatch.feed.connection")

OnFrame = Callable[[VenueSpec, int, Frame], None]
OnGap = Callable[[Gap], None]
OnOutage = Callable[[str, int, str], None]  # (connection name, start ms, reason) when an outage opens
Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")

PONG_TIMEOUT_S = 10.0  # after an application ping, how long any frame may take to come back


class ConnectionState(msgspec.Struct):
    """Live status of one connection (read by the collector's status writer)."""

    venue: str
    name: str
    url: str
    connected: bool = False
    connected_since: int | None = None  # ms, the current connection's handshake
    last_frame_ts: int | None = None  # ms, any frame
    last_data_ts: int | None = None  # ms, the last data frame
    frames: int = 0
    data_frames: int = 0
    reconnects: int = 0  # connection attempts after the first
    failures: int = 0
    gaps: int = 0
    outage_since: int | None = None  # ms, start of the open outage
    last_error: str | None = None


class _Failure(Exception):
    """Ends one connection; `reason` becomes the gap reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Outage:
    start: int
    reason: str
    failed_reconnects: int = 0
    last_reason: str = ""

    def describe(self) -> str:
        if not self.failed_reconnects:
            return self.reason
        again = "reconnect" if self.failed_reconnects == 1 else "reconnects"
        return f"{self.reason}; then {self.failed_reconnects} failed {again} (last: {self.last_reason})"


def describe_close(exc: ConnectionClosed) -> str:
    close = exc.rcvd
    if close is None:  # no close frame from the server: abnormal closure
        ours = exc.sent  # e.g. 1011 "keepalive ping timeout" when the network died
        return "connection closed: code 1006" + (f" ({ours.reason})" if ours is not None and ours.reason else "")
    return f"connection closed: code {close.code}" + (f" ({close.reason})" if close.reason else "")


def describe_connect_error(exc: BaseException) -> str:
    if isinstance(exc, InvalidStatus):
        return f"connect failed: HTTP {exc.response.status_code}"
    if isinstance(exc, TimeoutError):
        return "connect failed: timed out"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"connect failed: {text}"


async def run_connection(
    spec: VenueSpec,
    connection: Connection,
    on_frame: OnFrame,
    on_gap: OnGap,
    *,
    state: ConnectionState | None = None,
    backoff: Backoff | None = None,
    clock: Clock = now_ms,
    sleep: Sleep = asyncio.sleep,
    silence_s: float | None = None,
    open_timeout: float = 10.0,
    close_timeout: float = 2.0,
    max_size: int | None = 16 * 1024 * 1024,
    on_outage: OnOutage | None = None,
) -> NoReturn:
    """Keep `connection` of `spec` alive until cancelled.

    on_frame(spec, recv_ts_ms, frame) gets every received frame (str for text, bytes for
    binary), on_gap(gap) every outage once it ends, on_outage(name, start, reason) every outage as
    it opens (the collector makes both durable in its gap log). `sleep` is used for backoff delays only;
    `clock` gives wall time in ms. `silence_s` overrides `spec.silence_s`.
    """
    state = state if state is not None else ConnectionState(spec.id, connection.name, connection.url)
    backoff = backoff if backoff is not None else Backoff()
    silence = spec.silence_s if silence_s is None else silence_s
    started = clock()
    outage: _Outage | None = None  # open outage, not yet a gap
    attempts = 0
    heartbeat = spec.heartbeat
    # Protocol-level keepalive from the library; application pings (heartbeat.ping) on top.
    ping_interval = heartbeat.interval_s if heartbeat.ping is None and heartbeat.interval_s > 0 else 20.0

    quiet = RepeatLimiter()

    def fail(reason: str) -> None:
        nonlocal outage
        state.failures += 1
        state.last_error = reason
        if outage is None:
            start = state.last_data_ts if state.last_data_ts is not None else started
            outage = _Outage(start, reason)
            state.outage_since = start
            if on_outage is not None:
                on_outage(connection.name, start, reason + where)
        else:
            outage.failed_reconnects += 1
            outage.last_reason = reason
        # an unreachable venue retries for hours: say it when it starts, when the cause changes
        # and every few minutes after that, not at every attempt
        level = logging.WARNING if quiet.should_say(reason, clock()) else logging.DEBUG
        attempts_note = f" ({outage.failed_reconnects + 1} attempts so far)" if outage.failed_reconnects else ""
        log.log(level, "%s/%s: %s%s", spec.id, connection.name, reason, attempts_note)

    # A venue with several connections (Bybit linear/inverse) can lose them at the same moment:
    # naming the connection keeps those outages distinct records.
    where = f" [{connection.name}]" if len(spec.urls) > 1 else ""

    def first_data(now: int) -> None:
        nonlocal outage
        backoff.reset()
        if outage is not None:
            gap = Gap(spec.id, outage.start, now, outage.describe() + where)
            outage = None
            state.outage_since = None
            state.gaps += 1
            log.info(
                "%s/%s: data again after %.1f s (%s)", spec.id, connection.name, (now - gap.start) / 1000, gap.reason
            )
            on_gap(gap)

    try:
        while True:
            if attempts:
                state.reconnects += 1
            attempts += 1
            try:
                ws = await websockets.connect(
                    connection.url,
                    open_timeout=open_timeout,
                    close_timeout=close_timeout,
                    ping_interval=ping_interval,
                    ping_timeout=20.0,
                    max_size=max_size,
                )
            except Exception as exc:  # not CancelledError: that is shutdown
                fail(describe_connect_error(exc))
                await sleep(backoff.next_delay())
                continue
            state.connected = True
            state.connected_since = clock()
            log.info("%s/%s: connected to %s", spec.id, connection.name, connection.url)
            try:
                await _session(ws, spec, connection, silence, on_frame, first_data, state, clock)
            except _Failure as exc:
                fail(exc.reason)
            except ConnectionClosed as exc:
                fail(describe_close(exc))
            except OSError as exc:
                fail(f"connection error: {exc}")
            except Exception as exc:  # a bug must not end the feed: reconnect with backoff
                log.exception("%s/%s: unexpected error", spec.id, connection.name)
                fail(f"unexpected error: {type(exc).__name__}: {exc}")
            finally:
                state.connected = False
                state.connected_since = None
                with contextlib.suppress(Exception):
                    await asyncio.shield(ws.close())
            await sleep(backoff.next_delay())
    except asyncio.CancelledError:
        if outage is not None:  # a real outage still open at shutdown: record it up to now
            state.gaps += 1
            on_gap(Gap(spec.id, outage.start, clock(), outage.describe() + where + "; open at shutdown"))
        raise


async def _session(
    ws: ClientConnection,
    spec: VenueSpec,
    connection: Connection,
    silence: float,
    on_frame: OnFrame,
    first_data: Callable[[int], None],
    state: ConnectionState,
    clock: Clock,
) -> None:
    """One open connection: subscribe, pump frames, watch for silence. Raises on failure."""
    loop = asyncio.get_running_loop()
    for message in connection.subscribe:
        await ws.send(message if isinstance(message, str) else message(clock()))
    heartbeat = spec.heartbeat
    pinger: asyncio.Task[None] | None = None
    pings = _Pings()
    if heartbeat.ping is not None and heartbeat.interval_s > 0:
        pinger = asyncio.create_task(_ping_forever(ws, heartbeat.ping, heartbeat.interval_s, clock, pings))
    pong_timeout = min(PONG_TIMEOUT_S, max(heartbeat.interval_s, 1.0))
    alive_since = loop.time()  # the last data frame, or the handshake
    had_data = False
    try:
        while True:
            now = loop.time()
            remaining = alive_since + silence - now
            if remaining <= 0:
                raise _Failure(f"silent for {silence:g} s")
            if pinger is not None:
                unanswered = pings.unanswered_since()
                if unanswered is not None and now - unanswered >= pong_timeout:
                    raise _Failure(f"no reply to ping within {pong_timeout:g} s")
                # wake up in time to notice a ping sent while waiting go unanswered
                remaining = min(remaining, pong_timeout / 2)
            try:
                async with asyncio.timeout(remaining):
                    frame = await ws.recv()
            except TimeoutError:
                continue
            except ConnectionClosed as exc:
                # A venue that acks and answers pings but sends no data is often closed by its own
                # timers (a connection lifetime) before our silence bound: the silence is the story.
                quiet = loop.time() - alive_since
                if quiet >= silence / 2:
                    raise _Failure(f"silent for {quiet:.0f} s, then {describe_close(exc)}") from None
                raise
            pings.answered()
            if isinstance(frame, bytes) and spec.inflate is not None:
                frame = _inflated(spec.inflate, frame, spec)
            recv_ts = clock()
            state.frames += 1
            state.last_frame_ts = recv_ts
            try:
                on_frame(spec, recv_ts, frame)
            except Exception:  # the collector is defensive; this is the last line
                log.exception("%s/%s: frame handler failed", spec.id, connection.name)
            if heartbeat.reply is not None:
                answer = _safely(heartbeat.reply, frame, spec, "heartbeat.reply")
                if answer is not None:
                    await ws.send(answer)
            if _safely(spec.is_data, frame, spec, "is_data"):
                alive_since = loop.time()
                state.data_frames += 1
                state.last_data_ts = recv_ts
                if not had_data:
                    had_data = True
                    first_data(recv_ts)
    finally:
        if pinger is not None:
            pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pinger


class RepeatLimiter:
    """Whether to say a repeated message now: the first time, when it changes, then every `every_ms`."""

    def __init__(self, every_ms: int = 300_000) -> None:
        self.every_ms = every_ms
        self.last: str | None = None
        self.said_at = 0

    def should_say(self, message: str, now: int) -> bool:
        if message != self.last or now - self.said_at >= self.every_ms:
            self.last, self.said_at = message, now
            return True
        return False


def _safely(function: Callable[[Frame], T], frame: Frame, spec: VenueSpec, what: str) -> T | None:
    """Venue code on a received frame; an exception counts as None (no data, no reply)."""
    try:
        return function(frame)
    except Exception as exc:
        log.warning("%s: %s raised %s: %s", spec.id, what, type(exc).__name__, exc)
        return None


def _inflated(inflate: Callable[[bytes], str], frame: bytes, spec: VenueSpec) -> Frame:
    """The text a binary frame carries; the frame as received when it cannot be inflated (the
    collector then dead-letters it)."""
    try:
        return inflate(frame)
    except Exception as exc:
        log.warning("%s: could not inflate a binary frame: %s: %s", spec.id, type(exc).__name__, exc)
        return frame


class _Pings:
    """When the oldest application ping still waiting for any frame back was sent (loop time)."""

    __slots__ = ("_oldest_unanswered",)

    def __init__(self) -> None:
        self._oldest_unanswered: float | None = None

    def sent(self, at: float) -> None:
        if self._oldest_unanswered is None:
            self._oldest_unanswered = at

    def answered(self) -> None:
        self._oldest_unanswered = None

    def unanswered_since(self) -> float | None:
        return self._oldest_unanswered


async def _ping_forever(
    ws: ClientConnection, ping: Callable[[int], str], interval: float, clock: Clock, pings: _Pings
) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(interval)
        try:
            await ws.send(ping(clock()))
        except ConnectionClosed:
            return  # the receive loop reports it
        pings.sent(loop.time())

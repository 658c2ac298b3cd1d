"""AlertEngine: a pipeline Sink that evaluates the alert rules and hands alerts to the sinks.

Ingestion never waits on a sink. `write(events)` and `write_gap(gap)` run on the event loop
for every published batch: they evaluate the rules inline (pure code, `alerts.rules`), drop
alerts whose key was already raised, and append each alert to a bounded queue per target sink,
then return. Nothing there awaits the network. `run()` owns the I/O: one sender task per sink
(so a slow or failing sink delays only its own queue) and a tick every `tick_s` seconds for the
rules that change with time alone (windows emptying, cooldowns, silence, bursts).

Level and wallets rules read the store, never on the event path: every `sources_s` (default 60 s)
the run loop calls `levels_source(coin, since, until)` for each watched coin and `wallets_source()`
in a worker thread (one read at a time), then evaluates the rules on the loop. Both sources are
callables given at construction or set afterwards (alerts.wiring.wire_sources); a rule whose source
is missing stays silent, and a source that raises is logged and counted in `source_errors`.

A full queue drops its OLDEST alert (counted in `dropped`): the latest news matters most.
A delivery that still fails after its retries is logged and counted in `failed`; the next
alert is tried afresh. `stats()` has the counters for metrics.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

import msgspec

from liqwatch.alerts.config import AlertsConfig, load_alerts, parse_alerts
from liqwatch.alerts.model import Alert, Rule
from liqwatch.alerts.rules import RuleState, VenueHealth, state_for
from liqwatch.alerts.sinks import Sender, build_sender, deliver
from liqwatch.alerts.sources import LevelsSource, SourcesMixin, WalletsSource
from liqwatch.alerts.writes import WritesState
from liqwatch.feed.backoff import Backoff
from liqwatch.feed.clock import Clock, now_ms
from liqwatch.model import Gap, Liquidation

log = logging.getLogger("liqwatch.alerts")

RECENT_KEYS = 10_000  # alert keys remembered for de-duplication


class StatusView(Protocol):
    """What the engine reads from the collector's `Status` (`Collector.status()` returns one)."""

    @property
    def venues(self) -> Mapping[str, VenueHealth]: ...


class Delivery(msgspec.Struct, frozen=True):
    attempts: int = 5
    retry_initial_s: float = 0.5
    retry_cap_s: float = 30.0
    queue: int = 1000
    parallel: int = 1  # senders working the queue at once


class SinkCounters(msgspec.Struct):
    sent: int = 0
    failed: int = 0  # gave up after the retries (or a permanent error)
    dropped: int = 0  # pushed out of a full queue
    retries: int = 0  # attempts beyond the first
    queued: int = 0  # waiting now
    last_error: str | None = None


class EngineStats(msgspec.Struct):
    raised: int  # distinct alerts raised
    duplicates: int  # alerts dropped because their key was raised before
    rule_errors: int  # exceptions inside rule evaluation (logged; a bug)
    sinks: dict[str, SinkCounters]


class _Outbox:
    def __init__(self, sender: Sender, delivery: Delivery) -> None:
        self.sender = sender
        self.delivery = delivery
        self.queue: deque[Alert] = deque()
        self.wake = asyncio.Event()
        self.busy = 0  # alerts being sent now
        self.counters = SinkCounters()


class AlertEngine(SourcesMixin):
    def __init__(
        self,
        rules: Sequence[Rule],
        senders: Mapping[str, Sender],
        *,
        delivery: Mapping[str, Delivery] | None = None,
        clock: Clock = now_ms,
        status: Callable[[], StatusView] | None = None,
        tick_s: float = 1.0,
        levels_source: LevelsSource | None = None,
        wallets_source: WalletsSource | None = None,
        sources_s: float = 60.0,
    ) -> None:
        unknown = sorted({name for rule in rules for name in rule.sinks if name not in senders})
        if unknown:
            raise ValueError(f"alert rules name unknown sink(s): {', '.join(unknown)}")
        self.clock = clock
        self.status = status  # may be set after construction: the collector is built later
        self.tick_s = tick_s
        self.levels_source = levels_source  # may be set after construction, like status
        self.wallets_source = wallets_source
        self.sources_s = sources_s
        self.source_errors = 0
        self._sources_read_at: int | None = None
        self._reading = False
        self.states: list[RuleState] = [state_for(rule) for rule in rules]
        delivery = delivery or {}
        self.outboxes = {name: _Outbox(sender, delivery.get(name, Delivery())) for name, sender in senders.items()}
        self.routes = {rule.name: [self.outboxes[n] for n in (rule.sinks or tuple(senders))] for rule in rules}
        self.raised = 0
        self.duplicates = 0
        self.rule_errors = 0
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._seeded_through: int | None = None
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    @classmethod
    def from_config(
        cls,
        source: str | os.PathLike[str] | Mapping[str, Any],
        *,
        status: Callable[[], StatusView] | None = None,
        clock: Clock = now_ms,
        environ: Mapping[str, str] | None = None,
        stream: IO[str] | None = None,
    ) -> AlertEngine | None:
        """An engine from a TOML config file, or from a decoded config (the whole file's dict or
        its `alerts` table); None when no rule is configured. ConfigError on a mistake."""
        env = os.environ if environ is None else environ
        config: AlertsConfig | None
        if isinstance(source, Mapping):
            table = source.get("alerts", source) if "alerts" in source else source
            config = parse_alerts(table, source="config", environ=env)
        else:
            config = load_alerts(Path(source), env)
        if config is None:
            return None
        senders = {name: build_sender(sink, clock=clock, stream=stream) for name, sink in config.sinks.items()}
        delivery = {
            name: Delivery(sink.attempts, sink.retry_initial_s, sink.retry_cap_s, sink.queue, sink.parallel)
            for name, sink in config.sinks.items()
        }
        return cls(config.rules, senders, delivery=delivery, clock=clock, status=status, tick_s=config.tick_s)

    # -- Sink (event loop; never awaits) ---------------------------------------------------------

    def write(self, events: Sequence[Liquidation]) -> None:
        if self._closed or not events:
            return
        if self._seeded_through is not None:  # already counted by `seed`
            events = [e for e in events if e.ts > self._seeded_through]
        now = self.clock()
        for state in self.states:
            try:
                alerts = state.on_events(events, now)
            except Exception:
                self._rule_failed(state, f"{len(events)} events")
                continue
            self._dispatch(state.rule, alerts)

    def write_gap(self, gap: Gap) -> None:
        if self._closed:
            return
        now = self.clock()
        for state in self.states:
            try:
                alerts = state.on_gap(gap, now)
            except Exception:
                self._rule_failed(state, f"a {gap.venue} gap")
                continue
            self._dispatch(state.rule, alerts)

    def close(self) -> None:
        self._closed = True
        waiting = sum(len(box.queue) for box in self.outboxes.values())
        if waiting:
            log.warning("alerts: %d alerts not sent at shutdown", waiting)

    def seed(self, events: Iterable[Liquidation], now: int | None = None) -> int:
        """Take recent history (e.g. the store's last day) before going live, raising nothing:
        window rules start from the real totals, and a breach that was already on is not
        announced again. Later events at or before the newest seeded one are skipped (they were
        counted). Returns how many events were given."""
        now = self.clock() if now is None else now
        batch = list(events)
        for state in self.states:
            state.seed(batch, now)
        if batch:
            self._seeded_through = max(e.ts for e in batch)
        return len(batch)

    @property
    def longest_window_ms(self) -> int:
        """How much history `seed` can use."""
        return max((getattr(state.rule, "window_ms", 0) for state in self.states), default=0)

    # -- time-based rules --------------------------------------------------------------------------

    def tick(self, now: int | None = None) -> None:
        """Evaluate the time-based rules now (the run loop calls this every `tick_s`)."""
        now = self.clock() if now is None else now
        venues: Mapping[str, VenueHealth] | None = None
        status: Any = None
        if self.status is not None:
            try:
                status = self.status()
                venues = status.venues
            except Exception:
                log.exception("alerts: reading the collector status failed")
        for state in self.states:
            try:
                if isinstance(state, WritesState):
                    alerts = state.on_status(now, status) if status is not None else []
                else:
                    alerts = state.on_tick(now, venues)
            except Exception:
                self._rule_failed(state, "a tick")
                continue
            self._dispatch(state.rule, alerts)

    # -- running -----------------------------------------------------------------------------------

    async def run(self) -> None:
        """Send alerts and tick until cancelled; closes the senders on the way out."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        for box in self.outboxes.values():
            if box.queue:
                box.wake.set()  # alerts raised before run (the journal replay at start-up)
        try:
            async with asyncio.TaskGroup() as group:
                for name, box in self.outboxes.items():
                    for sender in range(box.delivery.parallel):
                        group.create_task(self._send_forever(box), name=f"liqwatch-alerts-{name}-{sender}")
                group.create_task(self._tick_forever(), name="liqwatch-alerts-tick")
        finally:
            for box in self.outboxes.values():
                try:
                    await box.sender.aclose()
                except Exception:
                    log.exception("alerts: closing sink %s failed", box.sender.name)

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queue is empty and nothing is being sent; False on timeout."""

        async def idle() -> None:
            while any(box.queue or box.busy for box in self.outboxes.values()):
                await asyncio.sleep(0.01)

        try:
            await asyncio.wait_for(idle(), timeout)
        except TimeoutError:
            return False
        return True

    def stats(self) -> EngineStats:
        sinks = {}
        for name, box in self.outboxes.items():
            sinks[name] = msgspec.structs.replace(box.counters, queued=len(box.queue))
        return EngineStats(self.raised, self.duplicates, self.rule_errors, sinks)

    async def _tick_forever(self) -> None:
        reads: set[asyncio.Task[None]] = set()
        while True:
            self._start_read(reads)
            await asyncio.sleep(self.tick_s)
            self.tick()

    async def _send_forever(self, box: _Outbox) -> None:
        delivery = box.delivery
        name = box.sender.name
        while True:
            if not box.queue:
                box.wake.clear()
                await box.wake.wait()
                continue
            alert = box.queue.popleft()
            box.busy += 1
            try:
                backoff = Backoff(initial=delivery.retry_initial_s, factor=2.0, cap=delivery.retry_cap_s)
                outcome = await deliver(box.sender, alert, attempts=delivery.attempts, backoff=backoff)
            finally:
                box.busy -= 1
            box.counters.retries += outcome.attempts - 1
            if outcome.ok:
                box.counters.sent += 1
                continue
            box.counters.failed += 1
            box.counters.last_error = outcome.error
            log.error(
                "alerts: sink %s: alert '%s' of rule '%s' not sent after %d attempt(s): %s",
                name,
                alert.title,
                alert.rule,
                outcome.attempts,
                outcome.error,
            )

    # -- internals ---------------------------------------------------------------------------------

    def _dispatch(self, rule: Rule, alerts: list[Alert]) -> None:
        for alert in alerts:
            if alert.key in self._keys:
                self.duplicates += 1
                continue
            self._keys[alert.key] = None
            if len(self._keys) > RECENT_KEYS:
                self._keys.popitem(last=False)
            self.raised += 1
            for box in self.routes[rule.name]:
                self._enqueue(box, alert)

    def _enqueue(self, box: _Outbox, alert: Alert) -> None:
        if len(box.queue) >= box.delivery.queue:
            box.queue.popleft()
            box.counters.dropped += 1
            if box.counters.dropped == 1 or box.counters.dropped % 100 == 0:
                dropped = box.counters.dropped
                log.warning("alerts: sink %s is behind: %d alerts dropped so far", box.sender.name, dropped)
        box.queue.append(alert)
        loop = self._loop
        if loop is not None and threading.get_ident() != self._loop_thread:
            loop.call_soon_threadsafe(box.wake.set)
        else:
            box.wake.set()

    def _rule_failed(self, state: RuleState, what: str) -> None:
        self.rule_errors += 1
        log.exception("alerts: rule '%s' failed on %s", state.rule.name, what)

"""Live collection wiring shared by `liqwatch run` and `liqwatch demo`.

`open_live` builds, in this order, and tears down in reverse:
1. the instrument catalogue (Bybit subscribes per symbol, so its topics come from the
   instruments endpoint), written to the store;
2. the pipeline: a StoreSink, the in-memory `LiveWindows` (seeded from the store with the
   events of its longest window, so a restart shows the same totals as `liqwatch summary`),
   and any extra sinks of the caller;
3. recovery: the tail of the journal replayed into the pipeline (a crash between journal and
   store loses nothing);
4. the journal, the dead-letter file and the collector, which journals new frames.
`LiveRig.run` then runs the collector (plus the hourly catalogue refresh and the caller's own
tasks) until cancelled: Ctrl-C and SIGTERM cancel the main task (`stop_on_signals`). On the way
out the pipeline is flushed into the store, then the journal, dead letters and sinks close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any

from rich.console import Console

from liqwatch import money as house
from liqwatch.analytics.summary import Summary, parse_windows
from liqwatch.analytics.windows import LiveWindows
from liqwatch.config import Settings
from liqwatch.feed.clock import Clock, now_ms
from liqwatch.feed.collector import Collector, Status, cause_of, read_status
from liqwatch.feed.gaplog import GapLog, GapRecord, LastSeen, downtimes, read_gap_log
from liqwatch.feed.instruments import load_catalogue
from liqwatch.feed.journal import CutLine, DeadLetters, Journal
from liqwatch.feed.recovery import Recovery, recover
from liqwatch.feed.rest import RestClient
from liqwatch.live_tasks import Extras, extra_sinks, extra_tasks
from liqwatch.pipeline import Pipeline, Sink, StoreSink
from liqwatch.rig import LiveRig
from liqwatch.store.base import EventFilter, Store
from liqwatch.venues import REGISTRY
from liqwatch.venues.base import VenueSpec

log = logging.getLogger("liqwatch.live")


@contextlib.asynccontextmanager
async def open_live(
    settings: Settings,
    specs: Sequence[VenueSpec],
    store: Store,
    *,
    fetch_instruments: bool | Sequence[str] = True,
    sinks: Sequence[Sink] = (),
    console: Console | None = None,
    clock: Clock = now_ms,
) -> AsyncIterator[LiveRig]:
    """Build the live collection (see the module docstring); close it all on the way out.

    `fetch_instruments`: True fetches every venue's instruments over REST, False none, a list
    of venue ids only those (the rest keep the bundled snapshot and the cache).
    `clock` (ms) stamps receive times, gaps and status, and is the live windows' "now": the
    wall clock, or the simulator's faster exchange clock in the demo (BitMEX events carry the
    receive time as their time, so one clock keeps every venue's events on one time line).
    """
    say = console.print if console is not None else (lambda *_, **__: None)
    specs = list(specs)
    windows = LiveWindows(parse_windows(settings.windows), clock=clock)
    async with contextlib.AsyncExitStack() as stack:
        client: RestClient | None = None
        fetched = specs
        if fetch_instruments is not True:
            wanted = set(fetch_instruments or ())
            fetched = [spec for spec in specs if spec.id in wanted]
        if fetched:
            client = RestClient()
            stack.push_async_callback(client.aclose)
        settings.state.mkdir(parents=True, exist_ok=True)  # every side file lives there
        catalogue = await load_catalogue(
            fetched, client, cache=settings.instruments_cache, rest_overrides=settings.rest_urls
        )
        store.write_instruments(catalogue.instruments())
        say(f"liqwatch: {len(catalogue):,} instruments; storing to {settings.db}", highlight=False)

        sink = StoreSink(store)
        pipeline = Pipeline([sink, windows, *sinks])
        stack.callback(_quietly, pipeline.close, "the store sink")  # last but the client: sinks write and stop
        seeded = seed_windows(windows, store, clock())
        max_ahead_ms = int(settings.max_event_ahead_s * 1000)
        recovered = recover(settings.journal_dir, specs, catalogue, pipeline, max_ahead_ms=max_ahead_ms)
        if recovered.frames:
            say(
                f"liqwatch: replayed {recovered.frames:,} journaled frames, {recovered.new_events:,} events",
                highlight=False,
            )
        gap_log, downtime = open_gap_log(settings, specs, store, recovered, clock())
        stack.callback(_quietly, gap_log.close, "the gap log")
        dead_letters = DeadLetters(settings.dead_letters)
        stack.callback(_quietly, dead_letters.close, "the dead letters")
        journal = Journal(settings.journal_dir, on_cut=lambda cut: keep_cut_line(dead_letters, cut, clock()))
        journal.start()  # first cuts a partial last line, so no new frame joins it
        stack.callback(_quietly, journal.close, "the journal")
        collector = Collector(
            specs,
            catalogue=catalogue,
            journal=journal,
            dead_letters=dead_letters,
            pipeline=pipeline,
            url_overrides=settings.venue_urls,
            status_path=settings.status_file,
            clock=clock,
            node_dirs={v: d for v, d in settings.node_dirs().items() if any(s.id == v for s in specs)},
            max_ahead_ms=max_ahead_ms,
            gap_log=gap_log,
            downtime=downtime,
        )
        # first on the way out: everything into the store (one try if it fails: a full disk stays full)
        stack.callback(_quietly, lambda: pipeline.flush(30.0, until_error=True), "the store")
        yield LiveRig(
            settings=settings,
            specs=specs,
            store=store,
            catalogue=catalogue,
            client=client,
            sink=sink,
            windows=windows,
            pipeline=pipeline,
            recovered=recovered,
            journal=journal,
            dead_letters=dead_letters,
            collector=collector,
            seeded=seeded,
        )


def open_gap_log(
    settings: Settings, specs: Sequence[VenueSpec], store: Store, recovered: Recovery, now: int
) -> tuple[GapLog, dict[str, GapRecord]]:
    """The gap log at start: gaps the previous run closed go to the store (again: idempotent), and
    each venue's downtime since the previous run's last sign of life is opened (feed/gaplog.py)."""
    path = settings.gaps_file
    closed, still_open = read_gap_log(path)
    previous = read_status(settings.status_file)
    seen: dict[str, LastSeen] = {}
    for spec in specs:
        state = previous.venues.get(spec.id) if previous is not None else None
        seen[spec.id] = LastSeen(
            journal_ts=recovered.last_frame.get(spec.id),
            status_frame_ts=state.last_frame_ts if state is not None else None,
            status_updated=previous.updated if previous is not None and state is not None and state.connected else None,
        )
    downtime = downtimes([spec.id for spec in specs], still_open, seen, now)
    gap_log = GapLog(path)
    keep: list[GapRecord] = list(downtime.values())
    try:
        store.write_gaps(closed)
    except Exception as exc:  # a full disk: keep them in the log for the next start
        log.error("could not store %d gaps of the gap log (kept for the next start): %s", len(closed), exc)
        keep += [GapRecord(g.venue, "?", g.start, g.reason, g.end) for g in closed]
    selected = {spec.id for spec in specs}
    keep += [r for r in still_open if r.venue not in selected]  # venues not collected now: left open
    try:
        gap_log.rewrite(keep)
    except OSError as exc:
        log.error("could not rewrite the gap log %s: %s", path, exc)
    for record in downtime.values():
        log.info("%s: collector downtime since %d (%s)", record.venue, record.start, record.reason)
    return gap_log, downtime


def _quietly(close: Callable[[], object], what: str) -> None:
    """A step of the way out that may fail (a full disk): logged in one line, never a traceback,
    never skipping the steps after it."""
    try:
        close()
    except Exception as exc:
        log.warning("on the way out, %s failed: %s: %s", what, type(exc).__name__, exc)


def keep_cut_line(dead_letters: DeadLetters, cut: CutLine, now: int) -> None:
    """A journal's cut partial line, kept as a dead letter naming the file and byte offset."""
    dead_letters.write(cut.venue, now, cut.data.decode(errors="replace"), cut.reason)


def seed_windows(windows: LiveWindows, store: Store, now: int) -> int:
    """Feed the windows the stored events of their longest window ending at `now`; how many."""
    longest = max(length for _, length in windows.windows)
    windows.advance(now)
    seeded = 0
    batch = []
    for event in store.events(EventFilter(since=now - longest)):
        batch.append(event)
        if len(batch) >= 10_000:
            windows.write(batch)
            seeded += len(batch)
            batch.clear()
    windows.write(batch)
    return seeded + len(batch)


_REQUESTED: list[int] = []  # signals noted by defer_signals before the event loop took them over


def defer_signals() -> None:
    """Note Ctrl-C and SIGTERM instead of raising them (the synchronous start-up of `run`); the
    event loop's handlers (stop_on_signals) act on a noted one as soon as they are installed."""

    def note(signum: int, _frame: object) -> None:
        _REQUESTED.append(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, note)


def stop_was_requested() -> bool:
    return bool(_REQUESTED)


def stop_on_signals() -> None:
    """Ctrl-C and SIGTERM cancel the current (main) task: the clean way out of `LiveRig.run` (and of
    any phase before it). Only the first one: a second signal while shutting down would cancel the
    flush that saves what was received; it is logged and ignored."""
    main = asyncio.current_task()
    loop = asyncio.get_running_loop()
    stopping = False

    def stop() -> None:
        nonlocal stopping
        if stopping:
            log.warning("already stopping: writing what was received, then exiting")
            return
        stopping = True
        if main is not None:
            main.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
    if _REQUESTED:  # noted before the loop had handlers (defer_signals): stop now
        stop()


# ── liqwatch run ──────────────────────────────────────────────────────────────────────────────


def run_live(
    settings: Settings,
    venues: Sequence[str],
    store: Store,
    *,
    fetch_instruments: bool = True,
    console: Console | None = None,
    extras: Extras | None = None,
) -> None:
    """Run until Ctrl-C or SIGTERM; everything received is journaled and stored before returning.

    `extras`: what runs beside the collector (API and dashboard, alerts, watched wallets; see
    live_tasks.py). Market polling runs whenever REST is in use (`fetch_instruments`)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request's full URL at INFO: a Discord/Slack webhook URL or a Telegram bot URL
    # is a credential, and must never reach the log.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    specs = [REGISTRY[v] for v in venues]
    # A signal before the rig runs (catalogue load, recovery) cancels the main task: that is a
    # clean stop too, not a CancelledError traceback.
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        run = _run(settings, specs, store, fetch_instruments, console or Console(stderr=True), extras or Extras())
        asyncio.run(run)


async def _run(
    settings: Settings,
    specs: list[VenueSpec],
    store: Store,
    fetch_instruments: bool,
    console: Console,
    extras: Extras,
) -> None:
    stop_on_signals()
    sinks, hub = extra_sinks(extras)
    try:
        await _collect(settings, specs, store, fetch_instruments, console, extras, sinks, hub)
    except asyncio.CancelledError:  # stopped while starting: whatever was opened is closed by now
        console.print("liqwatch: stopped while starting", highlight=False)


async def _collect(
    settings: Settings,
    specs: list[VenueSpec],
    store: Store,
    fetch_instruments: bool,
    console: Console,
    extras: Extras,
    sinks: list[Any],
    hub: Any,
) -> None:
    async with open_live(
        settings, specs, store, fetch_instruments=fetch_instruments, sinks=sinks, console=console
    ) as rig:
        for spec, conn, _ in rig.collector.connections:
            console.print(f"liqwatch: {spec.id}.{conn.name} → {conn.url}", highlight=False)
        for spec, follower in rig.collector.followers:
            console.print(f"liqwatch: {spec.id} ← node fills under {follower.root}", highlight=False)
        for venue, state in rig.collector.status().venues.items():
            if state.not_covered:
                console.print(f"liqwatch: {venue} {state.not_covered}", highlight=False)
        tasks: list[Coroutine[Any, Any, object]] = [
            _report_forever(rig.collector.status, rig.windows.summary, settings.status_interval_s, console)
        ]
        tasks += extra_tasks(rig, extras, hub, now_ms, lambda line: console.print(line, highlight=False))
        await rig.run(*tasks)
    console.print(f"liqwatch: stopped; {rig.sink.stored:,} new events stored", highlight=False)
    unwritten = [p for p in rig.collector.shutdown_problems if "to the store" not in p or not rig.sink.dropped]
    if rig.sink.dropped:
        cause = cause_of(rig.sink.last_error or "gave up")
        unwritten.append(f"{rig.sink.dropped:,} events to the store ({cause}: `liqwatch import` the journal later)")
    if unwritten:
        console.print(
            f"liqwatch: warning: could not write {'; '.join(unwritten)}", highlight=False, markup=False, soft_wrap=True
        )


def status_line(status: Status, summary: Summary | None = None) -> str:
    parts = []
    for venue in status.venues.values():
        mark = "not covered" if venue.not_covered else ("up" if venue.connected else "DOWN")
        parts.append(f"{venue.venue} {mark} {venue.events:,}ev")
    line = " | ".join(parts)
    if summary is not None:
        totals = " ".join(f"{w.label} {usd_short(w.total_usd)} ({w.count:,})" for w in summary.windows)
        line += f" || {totals}"
    return line


def usd_short(value: float) -> str:
    """$748.3M, $12.5K, $950: the house style (liqwatch.money)."""
    return house.table(value)


NO_VENUE_AFTER_MS = 15_000


def reachability_note(status: Status, now: int, said_offline: bool) -> str | None:
    """One plain line when no venue can be reached (once), and when some can again; else None."""
    venues = list(status.venues.values())
    connected = [v.venue for v in venues if v.connected]
    if connected:
        return f"liqwatch: connected again: {', '.join(connected)}" if said_offline else None
    tried = all(v.last_error is not None for v in venues)
    if venues and tried and not said_offline and now - status.started >= NO_VENUE_AFTER_MS:
        return (
            "liqwatch: no venue reachable — check the network (DNS, proxy, firewall), "
            "or try `liqwatch demo` for a local simulation; retrying quietly"
        )
    return None


async def _report_forever(
    status: Callable[[], Status], summary: Callable[[], Summary], interval: float, console: Console
) -> None:
    offline = False
    while True:
        await asyncio.sleep(interval)
        now = status()
        note = reachability_note(now, now.updated, offline)
        if note is not None:
            offline = not offline
            console.print(note, highlight=False, soft_wrap=True)
        console.print(status_line(now, summary()), highlight=False)

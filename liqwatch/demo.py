"""`liqwatch demo`: the local exchange simulator, the real collector against it, and a live view.

For a newcomer with no exchange access: one command starts the simulator (liqwatch.sim) with a
lively scenario, runs the same wiring as `liqwatch run` (live.open_live: catalogue over the
simulator's REST, journal, pipeline, store, collector) against its URLs, and shows the rolling
1h/4h/12h/24h windows as they fill. Everything is stored in a demo DuckDB file, so
`liqwatch summary --db liqwatch-demo.duckdb --at <the end>` afterwards shows the same numbers.

Time: the simulator's exchange clock runs `--speed` times faster than the wall clock, and the
demo runs on it throughout (receive times, the windows' now, the times shown), so 24 simulated
hours pass in 24 minutes at 60×. It starts in the past (`tape_start`) so that no event is
stamped after the wall clock's now.

History: the dashboard opens on a full day. The simulator generates the day before its start
from the same tape (SimConfig.history_s: same prices, coins, venues, sizes, squeezes), as the
frames the venues would have pushed; they are imported as capture-journal records through the
real importer (`importer.import_records`) before the collector starts, and the market poll then
reads that day's candles from the simulator's REST like any other. The tape clock is held until
the collector's feeds are connected (`Simulator.release`), so the live tape goes on from the
last second of the history: no seam, nothing missed, nothing twice. A store that already holds
events of that day (an earlier demo run) gets no second history.

`render` (Summary, collector Status, recent events → a Rich renderable) and `text_line` /
`final_report` (plain text) are pure; `run_demo` does the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import socket
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from liqwatch.analytics.summary import Summary, WindowSummary
from liqwatch.analytics.windows import slices
from liqwatch.config import Settings
from liqwatch.feed.clock import FastClock, now_ms
from liqwatch.feed.collector import Collector, Status, apply_url_overrides
from liqwatch.feed.node_follow import Position, save_position
from liqwatch.importer import import_records
from liqwatch.live import open_live, stop_on_signals, usd_short
from liqwatch.live_tasks import Extras, extra_sinks, extra_tasks
from liqwatch.model import Gap, Liquidation
from liqwatch.rig import LiveRig
from liqwatch.store.base import EventFilter, Store
from liqwatch.timeparse import iso
from liqwatch.venues import REGISTRY
from liqwatch.venues.lifecycle import LIVE_VENUE_IDS
from liqwatch.wallets.config import WalletsConfig
from liqwatch.wallets.rule import LeaderboardRule

if TYPE_CHECKING:
    from liqwatch.sim import Simulator

LONG_STYLE = "red"  # a liquidated long: the price fell through it
SHORT_STYLE = "green"


class Recent:
    """A Sink keeping the latest `size` events (newest last), for the rolling list."""

    def __init__(self, size: int = 500) -> None:
        self.events: deque[Liquidation] = deque(maxlen=size)

    def write(self, events: Sequence[Liquidation]) -> None:
        self.events.extend(events)

    def write_gap(self, gap: Gap) -> None:
        pass

    def close(self) -> None:
        pass


# ── pure rendering ───────────────────────────────────────────────────────────────────────────


def usd(value: float | None, *, cents: bool = False) -> str:
    if value is None:
        return "—"
    return f"${value:,.2f}" if cents else f"${value:,.0f}"


def split_bar(long_usd: float, short_usd: float, width: int = 20) -> Text:
    """Longs (red) against shorts (green) as one bar of `width` cells, and the long share."""
    total = long_usd + short_usd
    if total <= 0:
        return Text("·" * width, style="dim")
    longs = round(width * long_usd / total)
    bar = Text()
    bar.append("█" * longs, style=LONG_STYLE)
    bar.append("█" * (width - longs), style=SHORT_STYLE)
    bar.append(f" {long_usd / total:4.0%} long", style="dim")
    return bar


def _by_length(summary: Summary) -> list[WindowSummary]:
    return sorted(summary.windows, key=lambda w: w.end - w.start)


def _largest_text(w: WindowSummary) -> str:
    if w.largest is None:
        return "—"
    e = w.largest
    return f"{usd_short(e.usd or 0.0)} {e.symbol} {e.side} · {e.venue}"


def windows_table(summary: Summary) -> Table:
    table = Table(title="Liquidations", title_justify="left", expand=False)
    table.add_column("window")
    table.add_column("total", justify="right", style="bold")
    table.add_column("longs", justify="right", style=LONG_STYLE)
    table.add_column("shorts", justify="right", style=SHORT_STYLE)
    table.add_column("long ▕ short")
    table.add_column("orders", justify="right")
    table.add_column("largest")
    for w in _by_length(summary):
        table.add_row(
            w.label,
            usd(w.total_usd),
            usd(w.long_usd),
            usd(w.short_usd),
            split_bar(w.long_usd, w.short_usd),
            f"{w.count:,}" + (f" ({w.unpriced_count:,} unpriced)" if w.unpriced_count else ""),
            _largest_text(w),
        )
    return table


def concentration(summary: Summary) -> Text:
    """'Most of the damage: 1–4h ago ($…, 62% of 24h); heaviest per hour: 0–1h ($…/h).'"""
    if len(summary.windows) < 2:
        return Text("")
    result = slices(summary)
    if result.dominant is None:
        return Text("No liquidations yet.", style="dim")
    by_label = {s.label: s for s in result.slices}
    top, dense = by_label[result.dominant], by_label[result.densest or result.dominant]
    outer = _by_length(summary)[-1]
    share = top.total_usd / outer.total_usd if outer.total_usd else 0.0
    text = Text("Most of the damage: ")
    text.append(f"{top.label} ago", style="bold")
    text.append(f" ({usd_short(top.total_usd)}, {share:.0%} of {outer.label})")
    text.append("; heaviest per hour: ")
    text.append(f"{dense.label} ago", style="bold")
    text.append(f" ({usd_short(dense.usd_per_hour)}/h)")
    return text


def coins_table(summary: Summary, top: int = 8) -> Table:
    ordered = _by_length(summary)
    short_w, long_w = ordered[0], ordered[-1]
    table = Table(title=f"Top coins ({long_w.label})", title_justify="left")
    table.add_column("coin", style="bold")
    table.add_column(long_w.label, justify="right")
    table.add_column("longs", justify="right", style=LONG_STYLE)
    table.add_column("shorts", justify="right", style=SHORT_STYLE)
    table.add_column("orders", justify="right")
    if short_w is not long_w:
        table.add_column(short_w.label, justify="right", style="dim")
    for coin, t in list(long_w.by_coin.items())[:top]:
        row = [coin, usd_short(t.total_usd), usd_short(t.long_usd), usd_short(t.short_usd), f"{t.count:,}"]
        if short_w is not long_w:
            recent = short_w.by_coin.get(coin)
            row.append(usd_short(recent.total_usd) if recent else "—")
        table.add_row(*row)
    return table


def venues_table(status: Status | None, summary: Summary) -> Table:
    """Feed state per venue: connected, events (new, deduplicated), frames, gaps."""
    table = Table(title="Venues", title_justify="left")
    table.add_column("venue")
    table.add_column("feed")
    table.add_column("events", justify="right")
    table.add_column("frames", justify="right")
    table.add_column("gaps", justify="right")
    coverage: dict[str, str] = {}
    for w in summary.windows:
        for venue, c in w.coverage.items():
            if coverage.get(venue) != "sampled":
                coverage[venue] = c
    if status is None:
        return table
    for v in status.venues.values():
        feed = Text("● connected", style="green") if v.connected else Text("○ down", style="bold red")
        if v.connected and v.reconnects:
            feed.append(f" ({v.reconnects} reconnects)", style="dim")
        name = Text(v.venue)
        if coverage.get(v.venue) == "sampled":
            name.append(" *", style="yellow")
        table.add_row(name, feed, f"{v.events:,}", f"{v.frames:,}", f"{v.gaps:,}" if v.gaps else "")
    return table


def recent_table(
    recent: Iterable[Liquidation],
    summary: Summary,
    *,
    rows: int = 12,
    min_usd: float = 10_000.0,
    big_usd: float = 250_000.0,
) -> Table:
    """The latest liquidations of at least `min_usd`, newest first; big ones and the record highlighted."""
    shortest = _by_length(summary)[0]
    record = shortest.largest.id if shortest.largest is not None else None
    picked: list[Liquidation] = []
    for event in reversed(list(recent)):
        if event.usd is not None and event.usd >= min_usd:
            picked.append(event)
            if len(picked) >= rows:
                break
    table = Table(title=f"Latest liquidations ≥ {usd_short(min_usd)}", title_justify="left")
    for name in ("time (UTC)", "venue", "symbol", "side", "usd"):
        table.add_column(name, justify="right" if name == "usd" else "left")
    for e in picked:
        style = ""
        mark = ""
        if e.id == record:
            style, mark = "bold reverse", f" ★ largest {shortest.label}"
        elif e.usd is not None and e.usd >= big_usd:
            style = "bold yellow"
        side = Text(e.side, style=LONG_STYLE if e.side == "long" else SHORT_STYLE)
        table.add_row(iso(e.ts)[11:19], e.venue, e.symbol, side, usd(e.usd) + mark, style=style)
    return table


def render(
    summary: Summary,
    status: Status | None,
    recent: Iterable[Liquidation],
    *,
    title: str = "liqwatch demo",
    note: str = "",
    rows: int = 12,
    min_usd: float = 10_000.0,
    big_usd: float = 250_000.0,
) -> RenderableType:
    """The whole live view for one moment (pure: no clock, no I/O; `summary.at` is 'now').

    In the demo every time shown is on the simulator's (faster) exchange clock.
    """
    header = Text(title, style="bold")
    header.append(f"  ·  {iso(summary.at)}", style="dim")
    if note:
        header.append(f"  ·  {note}", style="dim")
    side_by_side = Table.grid(padding=(0, 2))
    side_by_side.add_row(coins_table(summary), venues_table(status, summary))
    parts: list[RenderableType] = [
        header,
        windows_table(summary),
        concentration(summary),
        side_by_side,
        recent_table(recent, summary, rows=rows, min_usd=min_usd, big_usd=big_usd),
    ]
    if any(c == "sampled" for w in summary.windows for c in w.coverage.values()):
        parts.append(Text("* sampled venue: publishes only some liquidations; its totals are lower bounds", "dim"))
    parts.append(Text("Ctrl-C to stop", style="dim"))
    return Group(*parts)


def text_line(summary: Summary, status: Status | None, elapsed: float) -> str:
    """One plain line for a non-terminal stdout: the windows and the feeds."""
    windows = " · ".join(
        f"{w.label} {usd_short(w.total_usd)} (L {usd_short(w.long_usd)} / S {usd_short(w.short_usd)})"
        f" {w.count:,} orders"
        for w in _by_length(summary)
    )
    feeds = ""
    if status is not None:
        up = sum(1 for v in status.venues.values() if v.connected)
        events = sum(v.events for v in status.venues.values())
        feeds = f" · venues {up}/{len(status.venues)} up, {events:,} events"
    return f"[{elapsed:5.1f}s] {windows}{feeds}"


def final_report(
    summary: Summary, *, db: str, stored: int, events: int, seconds: float, speed: float | None = None
) -> str:
    """What the demo says on exit: the final windows (to the cent) and how to see them again."""
    clock = "" if speed is None else f" simulated time ({speed:g}× faster than yours)"
    lines = [
        f"liqwatch demo: stopped after {seconds:.1f} s; {events:,} events received, {stored:,} new in {db}",
        f"Summary at {iso(summary.at)}{clock} (at={summary.at}):",
    ]
    for w in _by_length(summary):
        largest = ""
        if w.largest is not None:
            e = w.largest
            largest = f"  largest {usd(e.usd, cents=True)} {e.symbol} {e.side} on {e.venue}"
        lines.append(
            f"  {w.label:>4}  total {usd(w.total_usd, cents=True)}  longs {usd(w.long_usd, cents=True)}"
            f"  shorts {usd(w.short_usd, cents=True)}  orders {w.count:,}{largest}"
        )
    if len(summary.windows) > 1 and (where := concentration(summary).plain):
        lines.append(where)
    lines.append(f"The same numbers from the store: liqwatch summary --db {db} --at {summary.at}")
    lines.append(f"Looking back from your clock's now: liqwatch summary --db {db}")
    return "\n".join(lines)


# ── running ──────────────────────────────────────────────────────────────────────────────────


def demo_node(settings: Settings, start_ms: int) -> Path:
    """A fresh Hyperliquid node directory in the demo store's state (`liqwatch-demo.state/hl-node/`), with the
    follower's saved position at the tape's first hour, so the demo reads the node's files from there."""
    from liqwatch.sim.node_writer import hour_path  # lazy, like the simulator

    root = settings.demo_node_dir
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    first = hour_path(root, start_ms).relative_to(root)
    save_position(settings.node_position_file, Position(str(first), 0))
    return root


def tape_start(now: int, speed: float, seconds: float | None) -> int:
    """Where the simulator's exchange clock starts (ms): so that it does not run past `now`.

    Simulated time runs `speed` times faster than the wall clock. Started at `now`, it would
    stamp events in the future, which `liqwatch summary` (looking back from the wall clock's
    now) leaves out. So it starts in the past: by the simulated span of a `seconds` run (plus
    a second of start-up and shutdown), ending just before the wall clock's now, so that plain
    `liqwatch summary` afterwards sees what the demo showed; without `seconds`, a day back,
    which a run catches up with after 24h / (speed - 1) (24 minutes at 60×). Whole seconds.
    """
    if speed <= 1:
        return now // 1000 * 1000
    if seconds is None:
        return (now - 86_400_000) // 1000 * 1000
    lead = seconds * (speed - 1) * 1000 + speed * 1000  # plus a second of wall time to start and stop
    return (now - round(lead)) // 1000 * 1000


HISTORY_S = 86_400  # a day before the live tape, so every window (up to 24h) is full at start
RELEASE_WAIT_S = 15.0  # at most this long for the feeds to connect before the tape clock starts


@dataclass(frozen=True)
class DemoOptions:
    scenario: str = "squeeze"
    seed: int = 1
    speed: float = 60.0
    seconds: float | None = None  # stop by itself after this long (None: at Ctrl-C)
    refresh: float = 0.5  # seconds between Live view frames
    text_interval: float = 2.0  # seconds between plain lines when stdout is not a terminal
    history_s: int = HISTORY_S


def history_needed(store: Store, start_ms: int, history_s: int) -> bool:
    """A history only for a store with no event in its span (an earlier demo run's stay as they are)."""
    if history_s <= 0:
        return False
    return next(iter(store.events(EventFilter(since=start_ms - history_s * 1000), limit=1)), None) is None


def only_overridden(collector: Collector, overrides: Mapping[str, str]) -> list[str]:
    """Drop the collector's connections whose URL is not overridden (never reach a real venue).

    Returns the dropped ones as "venue.connection"."""
    kept, dropped = [], []
    for spec, conn, state in collector.connections:
        merged = apply_url_overrides(spec, overrides)
        if merged.get(conn.name) != spec.urls.get(conn.name):
            kept.append((spec, conn, state))
        else:
            dropped.append(f"{spec.id}.{conn.name}")
    collector.connections = kept
    return dropped


def run_demo(
    settings: Settings, store: Store, options: DemoOptions, console: Console, web: socket.socket | None = None
) -> int:
    """Run the demo until Ctrl-C (or `options.seconds`); returns the exit status.

    `web`: a listening socket to serve the API and dashboard on (on the simulator's clock)."""
    _quiet_logging(console)
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C before the feeds ran
        return asyncio.run(_demo(settings, store, options, console, web))
    return 130


def demo_extras(sim: Simulator, options: DemoOptions, web: socket.socket | None) -> Extras:
    """The dashboard, and the simulator's Hyperliquid wallets watched by a permissive leaderboard rule
    (positions and fills polled every five simulated minutes), so every panel has something to show."""
    wallets = None
    if sim.info is not None:
        base = sim.info.url
        wallets = WalletsConfig(
            url=base,
            leaderboard_url=f"{base}/Mainnet/leaderboard",
            leaderboard=LeaderboardRule(min_all_time_pnl=0, min_month_volume=0, min_account_value=0, max_wallets=24),
            interval_s=max(1.0, 300 / options.speed),
            fills=True,  # the wallets' liquidations (positions the price path reached) in their panel
            # the simulator's /info counts its budget per minute of its own, faster clock
            weight_per_min=round(1000 * max(1.0, options.speed)),
        )
    return Extras(web=web, wallets=wallets)


async def _demo(
    settings: Settings, store: Store, options: DemoOptions, console: Console, web: socket.socket | None
) -> int:
    try:
        from liqwatch.sim import SimConfig, Simulator  # lazy: the simulator is only needed here
    except ImportError as exc:
        console.print(f"liqwatch demo: the exchange simulator is not available: {exc}", highlight=False, soft_wrap=True)
        return 1
    stop_on_signals()
    main = asyncio.current_task()
    started = time.monotonic()
    start_ms = tape_start(now_ms(), options.speed, options.seconds)
    node_dir = demo_node(settings, start_ms)
    history_s = options.history_s if history_needed(store, start_ms, options.history_s) else 0
    if options.history_s and not history_s:
        console.print(
            "liqwatch demo: the store already holds events of the day before the start (an earlier demo run?): "
            "no simulated history is added (a new --db starts with a full day)",
            highlight=False,
            soft_wrap=True,
        )
    config = SimConfig(
        # the live venues over WebSocket (BitMEX closed); hyperliquid: the watched wallets' POST /info
        venues=(*(v for v in LIVE_VENUE_IDS if REGISTRY[v].urls), "hyperliquid"),
        scenario=options.scenario,
        seed=options.seed,
        speed=options.speed,
        start_ms=start_ms,
        hyperliquid_node_dir=node_dir,  # and Hyperliquid's market-wide liquidations, as a node's fills files
        history_s=history_s,
        held=True,  # released once the collector's feeds are connected
    )
    sim = Simulator(config)
    console.print(
        f"liqwatch demo: starting the exchange simulator (scenario {options.scenario}, seed {options.seed}, "
        f"speed {options.speed:g}×" + (f", with the {history_s / 3600:g} hours before it" if history_s else "") + ")",
        highlight=False,
        soft_wrap=True,
    )
    await sim.start()
    rig: LiveRig | None = None
    stopped: list[int] = []  # the tape time at which a timed run stopped the simulator
    try:
        # WebSocket venues by their URLs (Hyperliquid's /ws serves the wallets only), Hyperliquid by its node files
        urls = {k: u for k, u in sim.urls.items() if REGISTRY[k.partition(".")[0]].urls}
        rest = dict(sim.rest_urls)
        venues = sorted({key.partition(".")[0] for key in urls} | {"hyperliquid"}, key=list(REGISTRY).index)
        specs = [REGISTRY[v] for v in venues]
        # Market data every five simulated minutes: the dashboard's price line and liquidation levels.
        poll_s = max(1.0, 300 / options.speed)
        settings = replace(
            settings, venue_urls=urls, rest_urls=rest, market_poll_s=poll_s, hyperliquid_node_dir=str(node_dir)
        )
        recent = Recent()
        extras = demo_extras(sim, options, web)
        sinks, hub = extra_sinks(extras)
        # One clock, the simulator's: receive times (BitMEX's event times), gaps, status, windows.
        clock = FastClock(sim.tape_now, options.speed)
        live = open_live(
            settings,
            specs,
            store,
            fetch_instruments=list(rest),
            sinks=[recent, *sinks],
            clock=clock,
        )
        async with live as rig:
            if history_s:  # generated as it is imported, off the event loop; the windows take what is stored
                rig.windows.advance(sim.tape_now())
                imported = await asyncio.to_thread(
                    import_records,
                    "simulated history",
                    sim.history(),
                    store,
                    catalogue=rig.catalogue,
                    also=rig.windows.write,
                )
                rig.seeded += imported.stored
                console.print(
                    f"liqwatch demo: {imported.stored:,} events of the simulated past {history_s / 3600:g} hours "
                    f"imported ({imported.frames:,} frames) in {time.monotonic() - started:.1f} s",
                    highlight=False,
                    soft_wrap=True,
                )
            dropped = only_overridden(rig.collector, urls)
            if dropped:
                console.print(
                    f"liqwatch demo: not simulated, skipped: {', '.join(dropped)}", highlight=False, soft_wrap=True
                )
            if rig.seeded and not history_s:
                console.print(
                    f"liqwatch demo: {rig.seeded:,} events from earlier demo runs are still in the windows",
                    highlight=False,
                    soft_wrap=True,
                )
            say = lambda line: console.print(line, highlight=False, soft_wrap=True)  # noqa: E731
            released = asyncio.Event()
            tasks = [*extra_tasks(rig, extras, hub, clock, say), _release_when_connected(rig, sim, released)]
            tasks.append(_show(rig, recent, console, options, started, settings.db))
            if options.seconds is not None:  # counted from the start of the tape clock
                tasks.append(_stop_after(options.seconds, sim, stopped, main, released))
            await rig.run(*tasks)
        # everything received was stamped at or before this: the moment the tape stopped (a timed
        # run), or now (Ctrl-C)
        end = stopped[0] if stopped else sim.tape_now()
    finally:
        await sim.stop()
    assert rig is not None
    final = rig.windows.summary(end)
    received = sum(v.events for v in rig.collector.status().venues.values())
    console.print(
        final_report(
            final,
            db=settings.db,
            stored=rig.sink.stored,
            events=received,
            seconds=time.monotonic() - started,
            speed=options.speed,
        ),
        highlight=False,
        soft_wrap=True,
    )
    return 0


async def _release_when_connected(rig: LiveRig, sim: Simulator, released: asyncio.Event) -> None:
    """Start the simulator's held tape clock once every feed of the collector is connected (or after
    RELEASE_WAIT_S: the tape must go on even if a feed cannot connect)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RELEASE_WAIT_S
    while loop.time() < deadline:
        venues = rig.collector.status().venues.values()
        if venues and all(v.connected for v in venues):
            await asyncio.sleep(0.3)  # the subscriptions answered after the connection opened
            break
        await asyncio.sleep(0.05)
    sim.release()
    released.set()


async def _stop_after(
    seconds: float, sim: Simulator, stopped: list[int], main: asyncio.Task[object] | None, released: asyncio.Event
) -> None:
    """`seconds` after the tape clock started, stop the tape at its current time (however long the
    shutdown then takes, nothing later is sent: under load it would otherwise run past the wall
    clock), then the demo."""
    await released.wait()
    await asyncio.sleep(seconds)
    await sim.pause()
    stopped.append(sim.tape_now())
    if main is not None:
        main.cancel()


async def _show(rig: LiveRig, recent: Recent, console: Console, options: DemoOptions, started: float, db: str) -> None:
    note = f"simulated time, {options.speed:g}× · storing to {db}"
    if console.is_terminal:
        with Live(console=console, auto_refresh=False, transient=False, redirect_stderr=False) as live:
            while True:
                view = render(rig.windows.summary(), rig.collector.status(), recent.events, note=note)
                live.update(view, refresh=True)
                await asyncio.sleep(options.refresh)
    else:
        while True:
            await asyncio.sleep(options.text_interval)
            line = text_line(rig.windows.summary(), rig.collector.status(), time.monotonic() - started)
            console.print(line, highlight=False, soft_wrap=True)


def _quiet_logging(console: Console) -> None:
    """Warnings only, printed through the console (above the Live view, not through it)."""
    from rich.logging import RichHandler

    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler: logging.Handler
    if console.is_terminal:
        handler = RichHandler(console=console, show_path=False, rich_tracebacks=False)
    else:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.WARNING)

"""`liqwatch demo`: the pure view on fixed input; the whole demo as a process against the simulator."""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from liqwatch import queries
from liqwatch.analytics.summary import parse_windows, summarize
from liqwatch.demo import final_report, render, split_bar, text_line
from liqwatch.feed.collector import Status, VenueStatus
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore
from tests.analytics.factories import AT, H, ev

W4 = parse_windows("1h,4h,12h,24h")

EVENTS = [
    ev(AT - 60_000, 2_500_000.0, coin="BTC", venue="binance_usdm", side="short", id="big", symbol="BTCUSDT"),
    ev(AT - 120_000, 300_000.0, coin="ETH", venue="bybit", side="long", id="eth-long", symbol="ETHUSDT"),
    ev(AT - 180_000, 12_000.0, coin="SOL", venue="okx", side="long", id="sol", symbol="SOL-USDT-SWAP"),
    ev(AT - 240_000, 5_000.0, coin="DOGE", venue="okx", side="short", id="small-doge", symbol="DOGE-USDT-SWAP"),
    ev(AT - 2 * H, 4_000_000.0, coin="BTC", venue="bybit", side="long", id="older", symbol="BTCUSDT"),
    ev(AT - 20 * H, 1_000.0, coin="XRP", venue="gate", side="short", id="xrp", symbol="XRP_USDT"),
    ev(AT - 30 * H, 9e9, coin="BTC", venue="bybit", id="outside"),
]


def venue(name: str, connected: bool, events: int, **extra: object) -> VenueStatus:
    fields: dict[str, object] = {
        "venue": name,
        "connected": connected,
        "connected_since": AT - 10_000 if connected else None,
        "last_frame_ts": AT - 1_000,
        "last_data_ts": AT - 3_000,
        "frames": events * 2,
        "events": events,
        "dead_letters": 0,
        "reconnects": 0,
        "gaps": 0,
        "outage_since": None if connected else AT - 5_000,
        "last_error": None,
        "connections": [],
    }
    fields.update(extra)
    return VenueStatus(**fields)  # type: ignore[arg-type]


STATUS = Status(
    updated=AT,
    started=AT - 60_000,
    pid=1,
    interval_s=2.0,
    venues={
        "binance_usdm": venue("binance_usdm", True, 1),
        "bybit": venue("bybit", True, 2, reconnects=1, gaps=1),
        "okx": venue("okx", False, 2),
    },
)


def plain(renderable: object, width: int = 160) -> str:
    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_render_shows_windows_sides_coins_venues_and_the_latest_big_ones() -> None:
    summary = summarize(EVENTS, AT, W4)
    text = plain(render(summary, STATUS, EVENTS[::-1], note="storing to demo.duckdb"))  # arrival order
    lines = text.splitlines()
    assert "liqwatch demo" in lines[0] and "2025-11-21T08:00:00Z" in lines[0] and "demo.duckdb" in lines[0]
    row = {line.split()[1]: line for line in lines if re.match(r"^│ (1h|4h|12h|24h) ", line)}
    assert set(row) == {"1h", "4h", "12h", "24h"}
    # 1h: 2.5M short + 300k + 12k + 5k; longs 312k; shorts 2,505,000; 4 orders; largest the BTC short
    assert "$2,817,000" in row["1h"] and "$312,000" in row["1h"] and "$2,505,000" in row["1h"]
    assert "│      4 │" in row["1h"] and "$2.5M BTCUSDT short · binance_usdm" in row["1h"]
    assert "$6,817,000" in row["4h"] and "$4.0M BTCUSDT long · bybit" in row["4h"]
    assert "$6,818,000" in row["24h"] and "│      6 │" in row["24h"]
    assert "Most of the damage: 1–4h ago ($4.0M, 59% of 24h)" in text
    assert "heaviest per hour: 0–1h ago ($2.8M/h)" in text
    # top coins of the longest window, with the shortest beside
    coins = [line.split()[1] for line in lines if re.match(r"^│ (BTC|ETH|SOL|DOGE|XRP) ", line)]
    assert coins == ["BTC", "ETH", "SOL", "DOGE", "XRP"]
    # venues: feed state, events, reconnects, sampled mark
    assert re.search(r"binance_usdm \*\s+│ ● connected\s+│\s+1 │", text)
    assert "● connected (1 reconnects)" in text
    assert re.search(r"okx\s+│ ○ down", text)
    # latest ≥ $10k, newest first (the $5k DOGE is left out); the window's record is starred
    recent = [line for line in lines if re.search(r"\d\d:\d\d:\d\d", line) and "│" in line]
    assert [r.split("│")[3].strip() for r in recent[:3]] == ["BTCUSDT", "ETHUSDT", "SOL-USDT-SWAP"]
    assert "★ largest 1h" in recent[0]
    assert "DOGE-USDT-SWAP" not in text
    assert "  11% long" in row["1h"] and "  63% long" in row["4h"]
    assert "sampled venue" in text
    assert "Ctrl-C to stop" in text


def test_render_of_an_empty_start() -> None:
    summary = summarize([], AT, W4)
    text = plain(render(summary, None, []))
    assert "No liquidations yet." in text
    assert text.count("$0") >= 12
    assert "sampled venue" not in text


def test_render_styles_big_ones_and_sides() -> None:
    summary = summarize(EVENTS, AT, W4)
    console = Console(file=io.StringIO(), width=160, force_terminal=True, color_system="standard")
    console.print(render(summary, STATUS, EVENTS))
    ansi = console.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b[7m" in ansi or ";7m" in ansi  # the record in reverse video
    assert "\x1b[1;33m" in ansi  # a big one (≥ $250k) in bold yellow


def test_split_bar() -> None:
    assert split_bar(75.0, 25.0, 8).plain == "████████  75% long"
    assert [span.style for span in split_bar(75.0, 25.0, 8).spans] == ["red", "green", "dim"]
    assert split_bar(75.0, 25.0, 8).spans[0].end == 6
    assert split_bar(0.0, 0.0, 4).plain == "····"


def test_text_line_and_final_report() -> None:
    summary = summarize(EVENTS, AT, W4)
    line = text_line(summary, STATUS, 4.25)
    assert line.startswith("[  4.2s] 1h $2.8M (L $312.0K / S $2.5M) 4 orders · 4h $6.8M")
    assert line.endswith("· venues 2/3 up, 5 events")
    report = final_report(summary, db="demo.duckdb", stored=6, events=6, seconds=8.04, speed=60)
    assert "stopped after 8.0 s; 6 events received, 6 new in demo.duckdb" in report
    assert f"Summary at 2025-11-21T08:00:00Z simulated time (60× faster than yours) (at={AT}):" in report
    assert (
        "    1h  total $2,817,000.00  longs $312,000.00  shorts $2,505,000.00  orders 4"
        "  largest $2,500,000.00 BTCUSDT short on binance_usdm"
    ) in report
    assert f"The same numbers from the store: liqwatch summary --db demo.duckdb --at {AT}" in report
    assert report.endswith("Looking back from your clock's now: liqwatch summary --db demo.duckdb")


def test_run_status_line_shows_the_live_windows() -> None:
    from liqwatch.live import status_line

    line = status_line(STATUS, summarize(EVENTS, AT, W4))
    assert line.startswith("binance_usdm up 1ev | bybit up 2ev | okx DOWN 2ev || ")
    assert line.endswith("1h $2.8M (4) 4h $6.8M (5) 12h $6.8M (5) 24h $6.8M (6)")
    assert status_line(STATUS) == "binance_usdm up 1ev | bybit up 2ev | okx DOWN 2ev"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "boom"], "--scenario: 'boom' is not one of calm, squeeze, cascade, crash"),
        (["--speed", "0"], "--speed must be > 0"),
        (["--seconds", "-1"], "--seconds must be > 0"),
    ],
)
def test_demo_flags_get_one_line_errors(tmp_path: Path, args: list[str], message: str) -> None:
    from typer.testing import CliRunner

    from liqwatch.cli import app

    result = CliRunner().invoke(app, ["demo", "--db", str(tmp_path / "d.duckdb"), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "d.duckdb").exists()


def test_tape_start_keeps_simulated_time_behind_the_wall_clock() -> None:
    from liqwatch.demo import tape_start

    now = AT + 123_456
    # 8 s at 120×: 8 × 119 s + 120 s of lead, on a whole second
    assert tape_start(now, 120, 8) == (now - 8 * 119_000 - 120_000) // 1000 * 1000
    assert tape_start(now, 120, 8) + 8 * 120_000 < now  # the tape ends before the wall clock's now
    assert tape_start(now, 60, None) == (now - 24 * H) // 1000 * 1000
    assert tape_start(now, 1, 8) == tape_start(now, 0.5, None) == now // 1000 * 1000


# --- the demo as a process ------------------------------------------------------------------


FINAL = re.compile(
    r"^\s+(?P<label>\S+)  total \$(?P<total>[\d,.]+)  longs \$(?P<long>[\d,.]+)  shorts \$(?P<short>[\d,.]+)"
    r"  orders (?P<count>[\d,]+)",
    re.M,
)


def dollars(text: str) -> float:
    return float(text.replace(",", ""))


def has_simulator() -> None:
    sim = pytest.importorskip("liqwatch.sim", reason="the simulator package is not there yet")
    if not hasattr(sim, "Simulator"):
        pytest.skip("the simulator package is not complete yet")


def printed_windows(out: str) -> dict[str, re.Match[str]]:
    return {m["label"]: m for m in FINAL.finditer(out)}


def store_summary(db: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "liqwatch", "summary", "--db", str(db), "--json", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


def assert_agrees(printed: dict[str, re.Match[str]], doc: dict[str, Any]) -> None:
    for label, m in printed.items():
        w = doc["windows"][label]
        assert w["count"] == int(m["count"].replace(",", ""))
        assert round(w["total_usd"], 2) == dollars(m["total"])
        assert round(w["long_usd"], 2) == dollars(m["long"])
        assert round(w["short_usd"], 2) == dollars(m["short"])


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    has_simulator()
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    command = [sys.executable, "-m", "liqwatch", "demo", "--seconds", "8", "--speed", "120", "--db", str(db)]
    command += ["--port", "0"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=90)
    return db, done


def test_demo_runs_stores_and_agrees_with_summary(demo_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    db, done = demo_run
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    # not a terminal: plain periodic lines instead of the Live view
    assert re.search(r"^\[\s*\d+\.\d+s\] 1h \$", out, re.M), out[-3000:]
    assert "venues " in out and "\x1b[" not in out
    at = int(re.search(r"\(at=(\d+)\)", out).group(1))  # type: ignore[union-attr]
    printed = printed_windows(out)
    assert set(printed) == {"1h", "4h", "12h", "24h"}
    assert int(printed["24h"]["count"].replace(",", "")) > 0, out[-3000:]
    assert f"liqwatch summary --db {db}" in out

    # the demo DB has the events, and `liqwatch summary` at the same moment says the same
    assert_agrees(printed, store_summary(db, "--at", str(at)))
    # simulated time ran 120× faster, but ended before the wall clock's now: plain `summary` (at
    # now) has the live part too (the 16 simulated minutes lie inside each of its windows)
    now_doc = store_summary(db)
    assert now_doc["at"] >= at
    assert now_doc["windows"]["24h"]["count"] > 0

    # the same wiring as `run`: journal, status file in the demo store's state directory
    assert list((db.parent / "demo.state" / "journal").glob("*.jsonl*"))
    status = json.loads((db.parent / "demo.state" / "status.json").read_text())
    assert sum(v["events"] for v in status["venues"].values()) > 0
    # and nothing else beside the store: one state directory, which .gitignore covers
    assert {p.name for p in db.parent.iterdir()} <= {"demo.duckdb", "demo.duckdb.wal", "demo.state"}
    assert (db.parent / "demo.state" / "hl-node").is_dir()  # the simulated Hyperliquid node's files too


def test_demo_starts_with_a_full_day_that_the_live_tape_continues(
    demo_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    """The simulated past day was imported before the feeds started: every window differs, every
    minute of the day and of the live part holds liquidations (no seam where the live tape took
    over), and the price line polled from the simulator is continuous over the whole day."""
    db, done = demo_run
    assert re.search(r"events of the simulated past 24 hours imported", done.stdout), done.stdout[-3000:]
    at = int(re.search(r"\(at=(\d+)\)", done.stdout).group(1))  # type: ignore[union-attr]
    counts = [int(printed_windows(done.stdout)[w]["count"].replace(",", "")) for w in ("1h", "4h", "12h", "24h")]
    assert counts == sorted(set(counts)), counts  # 1h < 4h < 12h < 24h
    store = DuckDBStore(str(db), read_only=True)
    try:
        minutes = {e.ts // 60_000 for e in store.events(EventFilter(since=at - 24 * H, until=at))}
        first, last = (at - 24 * H) // 60_000 + 1, at // 60_000 - 1
        missing = [m for m in range(first, last + 1) if m not in minutes]
        assert not missing, f"{len(missing)} minutes without an event, e.g. {missing[:5]}"
        bars = [c for c in store.candles("BTC", 300_000, at - 24 * H, at) if c.venue == "binance_usdm"]
        assert len(bars) > 250  # five-minute bars over the day
        jumps = [abs(b.open / a.close - 1) for a, b in itertools.pairwise(bars)]
        assert max(jumps) < 0.01  # one price path: no jump where the history ends
    finally:
        store.close()


def test_demo_serves_the_dashboard_and_fills_every_panel(
    demo_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    """Prices for the chart and the levels model, and the simulator's watched wallets, were polled."""
    db, done = demo_run
    assert re.search(r"API and dashboard on http://127\.0\.0\.1:\d+", done.stdout), done.stdout[-3000:]
    store = DuckDBStore(str(db))
    try:
        assert store.candles("BTC", 300_000) and store.candles("BTC", 3_600_000)
        assert store.stats("BTC", "open_interest_usd")
        positions = queries.wallet_positions(store, max_age_ms=None)
        assert positions and all(p.set_hash for p in positions)
    finally:
        store.close()


def test_ctrl_c_stops_cleanly_and_everything_is_stored(tmp_path: Path) -> None:
    has_simulator()
    db = tmp_path / "demo.duckdb"
    command = [sys.executable, "-m", "liqwatch", "demo", "--speed", "120", "--db", str(db), "--port", "0"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        url = ""
        for line in process.stdout:  # the first periodic line: the feeds are running
            if found := re.search(r"API and dashboard on (http://\S+)", line):
                url = found.group(1)
            if line.startswith("["):
                break
        # the dashboard's reads answer on the simulator's clock, from the API's worker threads
        for path in ("/api/summary", "/api/coins", "/api/exchanges", "/api/largest", "/api/venues", "/"):
            assert httpx.get(url + path, timeout=30).status_code == 200, path
    finally:
        process.send_signal(signal.SIGINT)
        rest, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr[-3000:]
    assert "stopped after" in rest
    at = int(re.search(r"\(at=(\d+)\)", rest).group(1))  # type: ignore[union-attr]
    printed = printed_windows(rest)
    assert int(printed["24h"]["count"].replace(",", "")) > 0
    assert_agrees(printed, store_summary(db, "--at", str(at)))
    assert list((tmp_path / "demo.state" / "journal").glob("*.jsonl*")), "the journal was written and closed"

"""`liqwatch status` on a PostgreSQL store: every collector's status document, stale ones marked,
and per venue the freshest running collector's view plus today's stored events."""

from __future__ import annotations

import json
import time

import msgspec
from typer.testing import CliRunner

from liqwatch.cli import app
from liqwatch.feed.collector import Status, VenueStatus
from liqwatch.store.postgres import PostgresStore
from tests.analytics.factories import ev


def venue(name: str, *, connected: bool, last_frame: int | None, events: int = 0, gaps: int = 0) -> VenueStatus:
    return VenueStatus(
        venue=name,
        connected=connected,
        connected_since=None,
        last_frame_ts=last_frame,
        last_data_ts=last_frame,
        frames=10,
        events=events,
        dead_letters=1,
        reconnects=2,
        gaps=gaps,
        outage_since=None,
        last_error=None if connected else "refused",
        connections=[],
    )


def test_status_lists_every_collector_and_marks_the_stale_one(pg_dsn: str) -> None:
    now = int(time.time() * 1000)
    fresh = Status(
        updated=now - 1_000,
        started=now - 60_000,
        pid=1,
        interval_s=60.0,  # stale only after 3 minutes: the test never races it
        venues={
            "okx": venue("okx", connected=True, last_frame=now - 2_000, events=7),
            "bybit": venue("bybit", connected=True, last_frame=now - 300_000, gaps=1),  # silent
            "deribit": venue("deribit", connected=False, last_frame=None),
        },
    )
    old = Status(
        updated=now - 3_600_000,
        started=now - 7_200_000,
        pid=2,
        interval_s=2.0,
        venues={"binance_usdm": venue("binance_usdm", connected=True, last_frame=now - 3_600_000, events=3)},
    )
    with PostgresStore(pg_dsn) as store:
        store.write_status("host-a:1", msgspec.json.encode(fresh), fresh.updated)
        store.write_status("host-b:2", msgspec.json.encode(old), old.updated)
        store.write_status("broken:3", b"not a status", now)  # unreadable documents are skipped
        today = max(now - now % 86_400_000 + 1, now - 5_000)  # in the current UTC day
        store.write_events([ev(today, venue="okx", id="okx:a"), ev(today, venue="okx", id="okx:b")])
    runner = CliRunner()
    result = runner.invoke(app, ["status", "--db", pg_dsn, "--json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    a, b = doc["collectors"]
    assert (a["source"], a["stale"], a["connected"], a["silent"], a["down"]) == (
        "host-a:1",
        False,
        ["okx"],
        ["bybit"],
        ["deribit"],
    )
    assert (a["events"], a["gaps"]) == (7, 1)
    assert (b["source"], b["stale"], b["connected"]) == ("host-b:2", True, ["binance_usdm"])
    venues = {row["venue"]: row for row in doc["venues"]}
    assert venues["okx"]["collector"] == "running" and venues["okx"]["connected"] is True
    assert venues["okx"]["events_today"] == 2 and venues["bybit"]["events_today"] == 0
    assert venues["deribit"]["connected"] is False and venues["deribit"]["last_error"] == "refused"
    assert venues["binance_usdm"]["collector"] == "stopped" and venues["binance_usdm"]["connected"] is False
    assert venues["gate"]["collector"] == "never run"
    table = runner.invoke(app, ["status", "--db", pg_dsn])
    assert table.exit_code == 0 and "stale" in table.stdout and "host-a" in table.stdout


def test_status_on_a_database_without_a_store_is_one_line(pg_dsn: str) -> None:
    result = CliRunner().invoke(app, ["status", "--db", pg_dsn])
    assert result.exit_code == 2 and "no liqwatch store" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

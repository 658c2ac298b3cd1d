"""The gap log (issue 16 item 1): outages durable when they open and close; downtime at start."""

from __future__ import annotations

from pathlib import Path

from liqwatch.feed.gaplog import DOWNTIME, GapLog, GapRecord, LastSeen, downtimes, read_gap_log
from liqwatch.model import Gap


def test_records_read_back_as_closed_gaps_and_open_outages_even_after_a_cut_line(tmp_path: Path) -> None:
    path = tmp_path / "gaps.jsonl"
    log = GapLog(path)
    log.opened("okx", "public", 100, "connection closed: code 1006")
    log.opened("bybit", "linear", 150, "silent for 20 s [linear]")
    log.closed(Gap("okx", 100, 900, "connection closed: code 1006"), "public")
    log.opened("okx", "public", 1_000, "connect failed: HTTP 503")
    log.close()
    with path.open("ab") as out:
        out.write(b'{"venue": "gate", "conn": "x", "sta')  # a kill in the middle of a line
    closed, still_open = read_gap_log(path)
    assert closed == [Gap("okx", 100, 900, "connection closed: code 1006")]
    assert still_open == [
        GapRecord("bybit", "linear", 150, "silent for 20 s [linear]"),
        GapRecord("okx", "public", 1_000, "connect failed: HTTP 503"),
    ]
    GapLog(path).rewrite(still_open[:1])
    assert read_gap_log(path) == ([], still_open[:1])
    assert read_gap_log(tmp_path / "none.jsonl") == ([], [])


def test_downtime_starts_at_the_last_sign_of_life_or_the_outage_open_at_the_kill() -> None:
    still_open = [
        GapRecord("okx", "public", 500, "connection closed: code 1006"),
        GapRecord("bybit", "", 300, DOWNTIME),  # a downtime the previous run never closed
        GapRecord("bybit", "linear", 700, "silent for 20 s [linear]"),
    ]
    seen = {
        "okx": LastSeen(journal_ts=400),
        "bybit": LastSeen(journal_ts=900),
        "gate": LastSeen(journal_ts=1_000, status_frame_ts=990, status_updated=1_200),  # connected, quiet
        "deribit": LastSeen(status_frame_ts=800),  # journal tail did not reach it
        "binance_usdm": LastSeen(),  # never heard from
    }
    got = downtimes(["okx", "bybit", "gate", "deribit", "binance_usdm", "bitget"], still_open, seen, now=5_000)
    assert got == {
        "okx": GapRecord("okx", "", 500, f"connection closed: code 1006; then {DOWNTIME}"),
        "bybit": GapRecord("bybit", "", 300, DOWNTIME),
        "gate": GapRecord("gate", "", 1_200, DOWNTIME),
        "deribit": GapRecord("deribit", "", 800, DOWNTIME),
    }


def test_a_failed_write_is_counted_not_raised(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    log = GapLog(blocked / "gaps.jsonl")  # its directory is a file: every write fails
    log.opened("okx", "public", 1, "x")
    log.closed(Gap("okx", 1, 2, "x"), "public")
    assert log.errors == 2

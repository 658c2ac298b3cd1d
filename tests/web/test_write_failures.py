"""Write failures (issue 16 item 3) in /metrics and /api/venues: counted per venue and collector-wide,
no metric family twice, nothing secret."""

from __future__ import annotations

from liqwatch.feed.collector import Status, VenueStatus
from liqwatch.status import writes_line
from liqwatch.web import metrics
from liqwatch.web.venues import venue_rows, write_failures

NOW = 1_795_000_000_000


def failing() -> Status:
    venue = VenueStatus("okx", True, NOW - 9, NOW - 1, NOW - 1, 10, 5, 0, 0, 0, None, None, [], journal_errors=7)
    return Status(
        NOW,
        NOW - 60_000,
        1,
        2.0,
        {"okx": venue},
        journal_sync_errors=2,
        store_errors=3,
        store_dropped=0,
        store_pending=120,
        store_last_error="StoreError: x.duckdb: write failed: No space left on device",
        gap_log_errors=1,
    )


def test_metrics_carry_the_write_failures_once() -> None:
    text = metrics.render([failing()], NOW, {})
    assert 'liqwatch_journal_write_errors_total{venue="okx"} 7' in text
    for line in (
        "liqwatch_journal_sync_errors_total 2",
        "liqwatch_store_errors_total 3",
        "liqwatch_store_pending 120",
        "liqwatch_gap_log_errors_total 1",
    ):
        assert line in text.splitlines(), line
    inside_run = metrics.render([failing()], NOW, {"liqwatch_store_errors_total": ("counter", "own", 3.0)})
    families = [line.split()[2] for line in inside_run.splitlines() if line.startswith("# TYPE")]
    assert len(families) == len(set(families))


def test_api_venues_and_status_line_show_them() -> None:
    [row] = [r for r in venue_rows([failing()], [], NOW) if r["venue"] == "okx"]
    assert row["journal_errors"] == 7
    writes = write_failures([failing()], NOW)
    assert (
        writes["store_errors"] == 3 and writes["journal_errors"] == 7 and "No space" in str(writes["store_last_error"])
    )
    line = writes_line(failing())
    assert line is not None and "7 frames not journaled" in line and "3 store writes failed" in line
    assert writes_line(Status(NOW, NOW, 1, 2.0, {})) is None

"""The CLI speaks the house style too: `summary` never shows an unpriced coin as $0, `events --format
table` prints amounts as the article's tables do; and a report's counts and totals equal what
/api/summary reads (queries.summary, SQL) for the same `at`."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from liqwatch import money, queries
from liqwatch.cli import app
from liqwatch.report.build import build
from liqwatch.report.collect import breakdown, collect
from liqwatch.store.duckdb import DuckDBStore
from tests.report import tapes

runner = CliRunner()
AT_ISO = "2025-11-21T00:00:00Z"


def store_with_unpriced(path: Path, calm: bool = True) -> str:
    events = tapes.calm_days(2, end=tapes.AT) if calm else []
    events += [tapes.event(tapes.AT - 100 - i, None, "okx", "SOL", "long", 9_000 + i) for i in range(2)]
    events = [e for e in events if e.coin != "SOL" or e.usd is None]  # SOL: unpriced only
    events.append(tapes.event(tapes.AT - 50, 226_950_000.0, "bybit", "BTC", "short", 9_999))
    with DuckDBStore(path) as s:
        s.write_events(events)
    return str(path)


def test_summary_says_unpriced_not_zero(tmp_path: Path) -> None:
    db = store_with_unpriced(tmp_path / "s.duckdb", calm=False)  # BTC and an all-unpriced SOL
    result = runner.invoke(app, ["summary", "--db", db, "--at", AT_ISO, "--windows", "1h"], env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    assert "SOL unpriced (2 orders)" in result.stdout
    assert "SOL $0" not in result.stdout
    assert "$227.0M" in result.stdout  # the exact half rounds up, as in the article's tables


def test_events_table_uses_the_house_style(tmp_path: Path) -> None:
    db = store_with_unpriced(tmp_path / "s.duckdb")
    args = ["events", "--db", db, "--since", "2025-11-20T23:59:00Z", "--until", AT_ISO, "--format", "table"]
    result = runner.invoke(app, args, env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    assert money.table(226_950_000.0) in result.stdout and "unpriced" in result.stdout


def test_report_counts_agree_with_the_api_summary(tmp_path: Path) -> None:
    db = store_with_unpriced(tmp_path / "s.duckdb")
    window = ("24h", tapes.DAY)
    with DuckDBStore(db, read_only=True) as store:
        report = build(collect(store, tapes.AT, window))
        api = queries.summary(store, tapes.AT, breakdown(window))  # what /api/summary answers
    for row, w in zip(report.windows, api.windows, strict=True):
        assert (row.label, row.count) == (w.label, w.count)
        assert abs(row.total_usd - w.total_usd) <= 1e-6 * max(1.0, w.total_usd)
    assert report.figures["count"].value == api.windows[-1].count
    assert report.figures["unpriced_count"].value == api.windows[-1].unpriced_count == 2

"""The report's ranks section on a named basis: written from imported history when liqwatch has
no events of its own, weekends ranked against weekends, and one sentence when nothing compares."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from liqwatch import money
from liqwatch.aggregates import AggregateRow
from liqwatch.cli import app
from liqwatch.store.duckdb import DuckDBStore
from tests.analytics.factories import ev

runner = CliRunner()
D = 86_400_000
T0 = 1_704_067_200_000  # Monday 1 January 2024


def report(db: Path, *args: str) -> dict:
    result = runner.invoke(app, ["report", "--db", str(db), "--format", "json", *args])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def paragraphs(doc: dict, name: str) -> list[str]:
    return next((s["paragraphs"] for s in doc["sections"] if s["key"] == name), [])


def test_a_day_covered_only_by_imported_history_is_written_from_it(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    with DuckDBStore(db) as store:  # Coinalyze, two exchanges, 20 days; the 20th the largest
        store.write_aggregates(
            [
                AggregateRow("coinalyze", x, "BTC", D, T0 + k * D, 1e6 * (k + 1), 5e5)
                for k in range(20)
                for x in ("OKX", "Bybit")
            ]
        )
    doc = report(db, "--at", "2024-01-21T00:00:00Z")
    assert doc["headline"] == "Liquidations on 20 January 2024, from Coinalyze, 2 exchanges"
    lead = paragraphs(doc, "lead")[0]
    assert "not liqwatch's own records" in lead
    assert lead.endswith(
        "By Coinalyze's count (2 exchanges), BTC liquidations on 20 January 2024 came to $41 million: "
        "$40 million of longs and $1 million of shorts."
    )
    assert paragraphs(doc, "history") == [
        "BTC long liquidations ($40 million) on 20 January 2024 were the largest for a single day since "
        "records begin on 1 January 2024 (Coinalyze, 2 exchanges)."
    ]


def test_weekends_rank_against_weekends_and_nothing_comparable_is_said(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    events = []
    for k in range(35):  # five weeks of ten OKX shorts a day; weekend days grow, weekdays stay small
        saturday_or_sunday = (k % 7) in (5, 6)
        usd = 10_000.0 * (k + 1) if saturday_or_sunday else 15_000.0
        for j in range(10):  # more orders and dollars than a sample (report/common.py SMALL_*)
            at = T0 + k * D + 3_600_000 + j * 60_000
            events.append(ev(at, usd, venue="okx", side="short", id=f"e{k}-{j}", symbol="BTC-USDT-SWAP"))
    with DuckDBStore(db) as store:
        store.write_events(events)
    doc = report(db, "--period", "weekend", "--at", "2024-02-05T00:00:00Z")
    assert doc["window"] == "2d" and doc["start"] == T0 + 33 * D  # Saturday 3 February
    history = paragraphs(doc, "history")
    expected = (34 + 35) * 10_000.0 * 10
    assert any(
        p.startswith(
            f"Short liquidations ({money.prose(expected)}) over the weekend of 3 February 2024 were the largest "
            "for a weekend since records begin on 6 January 2024 (liqwatch's own records, 1 venue"
        )
        for p in history
    ), history
    first = report(db, "--at", "2024-01-02T00:00:00Z")  # the first day of the store: nothing before it
    assert paragraphs(first, "history") == [
        "Nothing comparable is on record for 1 January 2024: liqwatch did not collect liquidations from the "
        "same venues through it, and no imported series covers it."
    ]


def test_too_few_earlier_periods_are_said_in_one_sentence(tmp_path: Path) -> None:
    db = tmp_path / "f.duckdb"
    with DuckDBStore(db) as store:  # three days, the first from midnight: two whole earlier days
        store.write_events(
            [
                ev(T0 + k * D + 60_000 * (k + 1) + j, 50_000.0, venue="okx", id=f"f{k}-{j}")
                for k in range(3)
                for j in range(10)  # more than a sample (report/common.py SMALL_*)
            ]
        )
        store.write_events([ev(T0 + 5, 1.0, venue="okx", id="first")])
    doc = report(db, "--at", "2024-01-04T00:00:00Z")
    assert paragraphs(doc, "history") == [
        "Only 2 earlier 24-hour periods from the same venues without gaps are on record: too few to rank this one."
    ]

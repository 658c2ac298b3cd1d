"""Ranks over the real aggregate files in ../shared/data, against an independent computation
written here from the files' documented layouts (plain csv; no liqwatch code)."""

from __future__ import annotations

import csv
import gzip
import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from liqwatch.cli import app
from tests.conftest import SHARED

runner = CliRunner()
COINALYZE = SHARED / "data" / "coinalyze_btc_daily_by_exchange_2022_2024" / "liquidation_history.csv.gz"
COINGLASS = SHARED / "data" / "coinglass_btc_hourly_2025_2026" / "coinglass_BTC_liquidation_10y_1h.csv.gz"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not available (../shared is not beside the checkout)")
    return path


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("real") / "h.duckdb")
    result = runner.invoke(app, ["import", "--db", path, "-q", str(need(COINALYZE)), str(need(COINGLASS))])
    assert result.exit_code == 0, result.stderr
    return path


def coinalyze_by_exchange() -> dict[date, dict[str, tuple[float, float]]]:
    """day → exchange → (long, short): the exchanges with at least one non-empty cell that day."""
    out: dict[date, dict[str, list[float]]] = defaultdict(dict)
    with gzip.open(COINALYZE, "rt") as f:
        reader = csv.reader(f)
        header = next(reader)
        for cells in reader:
            day = date.fromisoformat(cells[0])
            for name, cell in zip(header[1:], cells[1:], strict=True):
                if cell == "":
                    continue
                exchange, side = name.split(" - ")[1].rsplit("_", 1)
                acc = out[day].setdefault(exchange, [0.0, 0.0])
                acc[0 if side == "long" else 1] += float(cell)
    return {d: {x: (v[0], v[1]) for x, v in ex.items()} for d, ex in out.items()}


def brute_rank(values: dict[date, dict[str, tuple[float, float]]], day: date, side: int) -> tuple[float, int, int]:
    """(value, rank, comparable days) of `day` over the earlier days on which every exchange of
    `day` has data, compared on those exchanges."""
    venues = set(values[day])
    current = sum(values[day][x][side] for x in venues)
    earlier = [sum(values[d][x][side] for x in venues) for d in values if d < day and venues <= set(values[d])]
    return current, 1 + sum(1 for v in earlier if v > current), len(earlier)


def cli_rank(db: str, *args: str) -> dict:
    result = runner.invoke(app, ["history", "rank", "--db", db, "--json", *args])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(("day", "side"), [("2024-02-28", "short"), ("2024-08-05", "long"), ("2022-06-13", "long")])
def test_coinalyze_day_ranks_match_an_independent_count(db: str, day: str, side: str) -> None:
    values = coinalyze_by_exchange()
    usd, rank, comparable = brute_rank(values, date.fromisoformat(day), 0 if side == "long" else 1)
    doc = cli_rank(db, "--period", "day", "--on", day, "--coin", "BTC", "--side", side)
    best = doc["best"]
    assert best["source"] == "coinalyze"
    assert best["usd"] == pytest.approx(usd, rel=1e-12)
    assert (best["rank"], best["comparable"]) == (rank, comparable)


def test_the_issue_example_sentence(db: str) -> None:
    doc = cli_rank(db, "--period", "day", "--on", "2024-02-28", "--coin", "BTC", "--side", "short")
    assert doc["sentence"].startswith(
        "BTC short liquidations ($164.7 million) on 28 February 2024 were the largest for a single day since "
        "records begin on 2 January 2022 (Coinalyze, "
    )


def test_coinglass_weekend_rank_matches_an_independent_count(db: str) -> None:
    hours: dict[int, tuple[float, float]] = {}
    with gzip.open(COINGLASS, "rt") as f:
        for row in csv.DictReader(f):
            hours[int(row["timestamp"])] = (float(row["longUsd"]), float(row["shortUsd"]))
    weekends: dict[date, float] = {}
    first = datetime.fromtimestamp(min(hours) / 1000, UTC).date()
    saturday = first + timedelta(days=(5 - first.weekday()) % 7)
    while True:
        start = int(datetime(saturday.year, saturday.month, saturday.day, tzinfo=UTC).timestamp() * 1000)
        keys = [start + k * 3_600_000 for k in range(48)]
        if keys[-1] > max(hours):
            break
        if all(k in hours for k in keys):
            weekends[saturday] = sum(hours[k][0] + hours[k][1] for k in keys)
        saturday += timedelta(days=7)
    target = max(weekends, key=lambda d: weekends[d])  # the largest weekend in the file
    earlier = [v for d, v in weekends.items() if d < target]
    doc = cli_rank(db, "--period", "weekend", "--on", target.isoformat(), "--coin", "BTC")
    best = doc["best"]
    assert best["source"] == "coinglass" and best["usd"] == pytest.approx(weekends[target], rel=1e-12)
    assert best["rank"] == 1 + sum(1 for v in earlier if v > weekends[target]) == 1
    assert best["comparable"] == len(earlier)
    assert "were the largest for a weekend since records begin" in doc["sentence"]


def test_coinalyze_week_rank_matches_an_independent_count(db: str) -> None:
    values = coinalyze_by_exchange()
    monday = date(2022, 6, 13)  # the week of the June 2022 crash
    week = [monday + timedelta(days=k) for k in range(7)]
    venues = set.intersection(*(set(values[d]) for d in week))
    current = sum(values[d][x][0] + values[d][x][1] for d in week for x in venues)
    earlier = []
    start = monday - timedelta(days=7)
    while start >= min(values):
        days = [start + timedelta(days=k) for k in range(7)]
        if all(d in values and venues <= set(values[d]) for d in days):
            earlier.append(sum(values[d][x][0] + values[d][x][1] for d in days for x in venues))
        start -= timedelta(days=7)
    doc = cli_rank(db, "--period", "week", "--on", "2022-06-15", "--coin", "BTC")
    best = doc["best"]
    assert best["usd"] == pytest.approx(current, rel=1e-12) and best["comparable"] == len(earlier)
    assert best["rank"] == 1 + sum(1 for v in earlier if v > current)
    assert best["venues"] == sorted(venues)

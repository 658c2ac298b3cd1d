"""/api/history/rank over a real DuckDB store: own events where they cover the span, an imported
series where they do not; the same document the CLI prints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from liqwatch import queries
from liqwatch.aggregates import AggregateRow
from liqwatch.analytics.basis import period_at
from liqwatch.analytics.summary import parse_windows
from liqwatch.model import Gap
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.web.app import create_app
from liqwatch.web.context import WebContext
from tests.analytics.factories import ev

D = 86_400_000
T0 = 1_704_067_200_000  # 2024-01-01, a Monday
NOW = T0 + 40 * D


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    with DuckDBStore(tmp_path_factory.mktemp("h") / "h.duckdb") as opened:
        # own events: okx BTC from 11 January, one long a day worth 1000·k; day 15 has a 6-hour gap
        opened.write_events([ev(T0 + k * D + 3_600_000, 1000.0 * k, venue="okx", id=f"e{k}") for k in range(10, 30)])
        opened.write_gaps([Gap("okx", T0 + 15 * D + 3_600_000, T0 + 15 * D + 7 * 3_600_000, "reconnect")])
        # Coinalyze: Binance BTC for all of January, long 500 + k
        opened.write_aggregates(
            [AggregateRow("coinalyze", "Binance", "BTC", D, T0 + k * D, 500.0 + k, 1.0) for k in range(31)]
        )
        yield opened


@pytest.fixture(scope="module")
def client(store: DuckDBStore) -> Iterator[TestClient]:
    ctx = WebContext(store=store, store_kind="duckdb", windows=parse_windows("1h,24h"), clock=lambda: NOW)
    with TestClient(create_app(ctx)) as running:
        yield running


def rank(client: TestClient, **params: str) -> dict:
    response = client.get("/api/history/rank", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_longest_comparable_series_is_chosen_and_named(client: TestClient, store: DuckDBStore) -> None:
    doc = rank(client, period="day", on=str(T0 + 28 * D + 1), coin="BTC", side="long")
    # own events on 29 January: 12–28 January (11 January began an hour late: a partial day) less
    # the day with a gap: 16 days; Coinalyze: 28 earlier days: the longer series wins
    assert doc["best"]["source"] == "coinalyze" and doc["best"]["comparable"] == 28
    own = next(r for r in doc["others"] if r["source"] == "liqwatch")
    assert own["comparable"] == 16 and own["unknown"] == 1 and own["usd"] == 28_000.0 and own["rank"] == 1
    assert doc == queries.history_ranks_json(
        queries.history_ranks(store, "day", period_at("day", T0 + 28 * D), "long", "BTC")
    )
    assert doc["sentence"].endswith("(Coinalyze, Binance).")


def test_own_events_rank_alone_for_all_coins(client: TestClient) -> None:
    doc = rank(client, period="day", on=str(T0 + 25 * D + 1))  # all coins: only liqwatch's own events
    assert doc["best"]["source"] == "liqwatch"
    assert doc["best"]["basis"] == "liqwatch's own records, 1 venue"
    assert doc["sentence"].startswith("Total liquidations ($25,000) on 26 January 2024 were the largest")


def test_nothing_comparable_and_bad_parameters(client: TestClient) -> None:
    doc = rank(client, period="week", at="2023-06-01T00:00:00Z", coin="ETH")
    assert doc["best"] is None and doc["sentence"].startswith("Nothing comparable is on record for the week of")
    assert client.get("/api/history/rank", params={"period": "year"}).status_code == 422
    assert (
        client.get("/api/history/rank", params={"on": "2024-01-02T00:00:00Z", "at": "2024-01-03T00:00:00Z"}).status_code
        == 422
    )


def test_a_period_still_running_is_refused(client: TestClient) -> None:
    response = client.get("/api/history/rank", params={"on": str(NOW + 1)})
    assert response.status_code == 422 and "has not ended yet" in response.text


def test_the_report_of_a_calendar_period(client: TestClient) -> None:
    response = client.get("/api/report", params={"period": "week", "at": str(T0 + 28 * D), "format": "json"})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert (doc["start"], doc["end"], doc["window"]) == (T0 + 21 * D, T0 + 28 * D, "7d")  # Monday to Monday
    # seven orders are a sample: the article keeps to the figures (report/common.py SMALL_*), and the
    # week's ranks on their named basis are in the document
    assert not any(s["key"] == "history" for s in doc["sections"])
    history = [r["sentence"] for r in doc["period_ranks"]]
    assert any("in the week of 22 January 2024" in p and "(Coinalyze, Binance)" in p for p in history), history


def test_the_far_future_is_a_422_not_a_500(client: TestClient) -> None:
    response = client.get("/api/history/rank", params={"period": "month", "on": "9999-12-15T00:00:00Z"})
    assert response.status_code == 422, response.text


def test_imported_daily_history_for_the_daily_chart(client: TestClient, store: DuckDBStore) -> None:
    """/api/history/imported: the aggregate series that knows the most whole days, named; without a
    coin, the coins that have one. Exchanges of a family are summed only on days all of them know."""
    assert client.get("/api/history/imported").json() == {"coins": ["BTC"]}
    doc = client.get("/api/history/imported", params={"coin": "BTC", "since": T0 + 5 * D, "until": T0 + 8 * D}).json()
    assert doc["basis"] == "Coinalyze, Binance"
    assert doc["points"] == [{"ts": T0 + k * D, "long_usd": 500.0 + k, "short_usd": 1.0} for k in (5, 6, 7)]
    assert client.get("/api/history/imported", params={"coin": "ETH"}).json()["basis"] is None
    assert client.get("/api/history/imported", params={"coin": "B-T"}).status_code == 422


def test_imported_days_never_sum_part_of_a_family(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "f.duckdb") as s:
        rows = [
            AggregateRow("coinalyze", v, "ETH", D, T0 + k * D, 10.0, 20.0)
            for v in ("Binance", "OKX")
            for k in range(20)
        ]
        rows.append(AggregateRow("coinalyze", "Bybit", "ETH", D, T0 + 3 * D, 1.0, 1.0))  # one day only
        rows = [r for r in rows if not (r.venues == "OKX" and r.start_ts == T0 + 7 * D)]  # OKX misses a day
        s.write_aggregates(rows)
        found = queries.imported_days(s, "ETH", T0, T0 + 20 * D)
    assert found is not None and found.basis == "Coinalyze, 2 exchanges"  # Bybit (one day) is not chosen
    assert [d for d, _, _ in found.days] == [T0 + k * D for k in range(20) if k != 7]
    assert found.days[0][1:] == (20.0, 40.0)

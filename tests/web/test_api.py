"""The REST API over a real DuckDB store of known events: its numbers are the query module's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from liqwatch import queries
from liqwatch.feed.collector import Status, VenueStatus
from liqwatch.model import Liquidation
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.venues import REGISTRY
from liqwatch.web.app import create_app
from liqwatch.web.context import WebContext
from tests.web.conftest import AT, HOUR

EVENT_FIELDS = ["venue", "symbol", "coin", "side", "price", "qty", "usd", "ts", "recv_ts", "coverage", "id"]


def get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_summary_is_the_cli_document(client: TestClient, store: DuckDBStore) -> None:
    assert get(client, "/api/summary", at=AT) == queries.summary_json(store, AT, "1h,4h,12h,24h")
    assert get(client, "/api/summary") == queries.summary_json(store, AT)  # default: now (the app's clock)
    doc = get(client, "/api/summary", at="2026-11-18T08:00:00Z", windows="30m,2d")
    assert list(doc["windows"]) == ["30m", "2d"]
    assert doc == queries.summary_json(store, doc["at"], "30m,2d")


def test_coins_and_exchanges_are_the_summary_breakdowns(client: TestClient, store: DuckDBStore) -> None:
    window = queries.summary_json(store, AT, "24h")["windows"]["24h"]
    coins = get(client, "/api/coins", window="24h", at=AT)
    assert coins["window"] == "24h" and coins["at"] == AT
    assert {c["coin"]: {k: v for k, v in c.items() if k != "coin"} for c in coins["coins"]} == window["by_coin"]
    assert [c["coin"] for c in coins["coins"]] == list(window["by_coin"])  # biggest total first
    assert len(get(client, "/api/coins", limit=2)["coins"]) == 2
    exchanges = get(client, "/api/exchanges", at=AT)["exchanges"]
    assert [e["venue"] for e in exchanges] == list(window["by_venue"])
    for row in exchanges:
        assert {k: v for k, v in row.items() if k not in ("venue", "coverage")} == window["by_venue"][row["venue"]]
        assert row["coverage"] == window["coverage"][row["venue"]]
    # the same line as the summary's for the same window: which venues, which sampled, which missing
    covers = get(client, "/api/exchanges", at=AT)["covers"]
    assert covers == queries.summary_json(store, AT, "24h")["covers"]
    assert covers["venues"] == sorted(window["coverage"], key=list(REGISTRY).index)


def all_pages(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        page = get(client, "/api/events", **params, **({"cursor": cursor} if cursor else {}))
        seen.extend(page["events"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("limit", [1, 7, 1000])
def test_cursor_pagination_covers_every_event_once_in_order(
    client: TestClient, events: list[Liquidation], limit: int
) -> None:
    expected = sorted(events, key=lambda e: (e.ts, e.id))
    ascending = all_pages(client, limit=limit)
    assert [e["id"] for e in ascending] == [e.id for e in expected]
    assert list(ascending[0]) == EVENT_FIELDS
    descending = all_pages(client, limit=limit, order="desc")
    assert [e["id"] for e in descending] == [e.id for e in reversed(expected)]


def test_events_filters_match_the_query_module(client: TestClient, store: DuckDBStore) -> None:
    where = EventFilter(since=AT - 10 * HOUR, until=AT - HOUR, venues=("bybit", "okx"), coins=("BTC",), side="short")
    expected = [e.id for e in queries.events(store, where)]
    params = {"since": AT - 10 * HOUR, "until": AT - HOUR, "venue": "bybit,okx", "coin": "btc", "side": "short"}
    assert [e["id"] for e in all_pages(client, limit=5, **params)] == expected
    big = get(client, "/api/events", min_usd=500_000, limit=1000)["events"]
    assert big and all(e["usd"] >= 500_000 for e in big)
    newest = get(client, "/api/events", order="desc", limit=50)
    assert len(newest["events"]) == 50 and newest["next_cursor"] is not None


def test_largest_gaps_history_prices(client: TestClient, store: DuckDBStore, events: list[Liquidation]) -> None:
    largest = get(client, "/api/largest", n=3, since=AT - 24 * HOUR, until=AT)["events"]
    assert [e["id"] for e in largest] == [e.id for e in queries.largest(store, AT - 24 * HOUR, AT, 3)]
    gaps = get(client, "/api/gaps", venue="okx")["gaps"]
    assert gaps == [
        {"venue": "okx", "start_ts": AT - 5 * HOUR, "end_ts": AT - 5 * HOUR + 30_000, "reason": "reconnect"}
    ]
    assert len(get(client, "/api/gaps")["gaps"]) == 2

    history = get(client, "/api/history", interval="1h", since=AT - 24 * HOUR, until=AT)
    points = history["points"]
    assert history["interval"] == "1h" and len(points) == 24 + (AT % HOUR > 0)
    assert [p["ts"] for p in points] == sorted(p["ts"] for p in points)
    day = queries.summary_json(store, AT, "24h")["windows"]["24h"]
    assert sum(p["long_count"] + p["short_count"] for p in points) == day["count"]
    assert round(sum(p["long_usd"] for p in points), 2) == round(day["long_usd"], 2)
    btc = get(client, "/api/history", interval="4h", coin="BTC", venue="bybit", since=AT - 24 * HOUR, until=AT)
    btc_count = sum(1 for e in events if e.coin == "BTC" and e.venue == "bybit" and AT - 24 * HOUR < e.ts <= AT)
    assert sum(p["long_count"] + p["short_count"] for p in btc["points"]) == btc_count
    assert len(get(client, "/api/history", interval="5m")["points"]) >= 288  # default: the last day

    prices = get(client, "/api/prices", coin="btc", interval="1h", since=AT - 10 * HOUR, until=AT)
    assert prices["coin"] == "BTC" and len(prices["candles"]) == 5
    assert prices["candles"][0] == {
        "ts": AT - 5 * HOUR, "open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5, "venue": "binance_usdm", "symbol": "BTCUSDT"
    }  # fmt: skip


def test_a_report_far_from_the_data_compares_with_a_bounded_history(client: TestClient) -> None:
    """Found by fuzzing: at 9,900 AD with 1-minute windows every past period since the data began
    was a bucket (5M of them). History ranks now reach back ten years and 100,000 periods at most."""
    for window in ("1m", "24h"):
        assert client.get("/api/report", params={"at": 250_000_000_000_000, "window": window}).status_code == 200


def test_report_venues_health_metrics_and_dashboard(client: TestClient, store: DuckDBStore) -> None:
    markdown = client.get("/api/report", params={"at": AT})
    assert markdown.status_code == 200 and markdown.headers["content-type"].startswith("text/markdown")
    assert "Liquidations" in markdown.text or "liquidat" in markdown.text.lower()
    assert client.get("/api/report", params={"at": AT, "format": "html"}).text.lstrip().lower().startswith("<!doctype")
    assert "headline" in get(client, "/api/report", at=AT, format="json")

    venues = get(client, "/api/venues")["venues"]
    assert [v["venue"] for v in venues] == ["binance_usdm", "bybit", "okx", "bitmex"]
    # no collector runs beside this store; BitMEX's exchange closed: never "down" or "unknown"
    assert {v["venue"]: v["state"] for v in venues if v["state"] != "unknown"} == {"bitmex": "closed"}
    assert [v["note"] for v in venues if v["venue"] == "bitmex"] == ["closed 2026-09-23"]
    assert sum(v["events_24h"] for v in venues) == queries.summary_json(store, AT, "24h")["windows"]["24h"]["count"]

    assert get(client, "/api/health") == {
        "ok": True,
        "store": "duckdb",
        "events": store.count(),
        "collector": "none",
        "venues_connected": [],
        "venues_down": [],
    }
    assert client.get("/").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "liqwatch"


BAD = [
    ("/api/summary", {"at": "yesterday"}, "at"),
    ("/api/summary", {"at": "1700000000"}, "at"),  # epoch seconds
    ("/api/summary", {"at": "99999999999999999999999"}, "at"),
    ("/api/summary", {"windows": "1h,1h"}, "windows"),
    ("/api/summary", {"windows": "5x"}, "windows"),
    ("/api/summary", {"windows": "99999999999w"}, "windows"),
    ("/api/coins", {"window": "0h"}, "window"),
    ("/api/coins", {"limit": "0"}, "limit"),
    ("/api/coins", {"limit": "many"}, "limit"),
    ("/api/exchanges", {"at": "2026-13-01"}, "at"),
    ("/api/events", {"venue": "nasdaq"}, "venue"),
    ("/api/events", {"coin": "BTC;DROP"}, "coin"),
    ("/api/events", {"side": "up"}, "side"),
    ("/api/events", {"min_usd": "-1"}, "min_usd"),
    ("/api/events", {"min_usd": "inf"}, "min_usd"),
    ("/api/events", {"limit": "1001"}, "limit"),
    ("/api/events", {"order": "sideways"}, "order"),
    ("/api/events", {"cursor": "not-a-cursor"}, "cursor"),
    ("/api/events", {"since": AT, "until": AT - 1}, "since"),
    ("/api/largest", {"n": "0"}, "n"),
    ("/api/gaps", {"venue": "okx,bybit"}, "venue"),
    ("/api/history", {"interval": "7m"}, "interval"),
    ("/api/history", {"interval": "5m", "since": 1_000_000_000_000, "until": AT}, "since"),
    ("/api/prices", {"coin": "BTC,ETH"}, "coin"),
    ("/api/prices", {"interval": "4h"}, "interval"),
    ("/api/report", {"format": "pdf"}, "format"),
    ("/api/report", {"window": "90d"}, "window"),
]


@pytest.mark.parametrize(("path", "params", "name"), BAD, ids=[f"{p}?{'&'.join(q)}" for p, q, _ in BAD])
def test_every_bad_parameter_is_a_one_line_422(
    client: TestClient, path: str, params: dict[str, Any], name: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and detail.startswith(f"{name}:"), detail


def test_a_cursor_of_the_other_order_is_refused(client: TestClient) -> None:
    cursor = get(client, "/api/events", limit=2)["next_cursor"]
    response = client.get("/api/events", params={"cursor": cursor, "order": "desc"})
    assert response.status_code == 422 and "other order" in response.json()["detail"]


def test_read_only(client: TestClient) -> None:
    assert client.post("/api/events", json={}).status_code == 405
    assert client.delete("/api/summary").status_code == 405


def test_health_is_not_ok_while_a_running_collector_reaches_no_venue(store: DuckDBStore) -> None:
    def venue(name: str, connected: bool) -> VenueStatus:
        since = AT - 5_000 if connected else None
        return VenueStatus(name, connected, since, since, since, 1, 0, 0, 0, 0, None if connected else AT - 60_000,
                           None, [])  # fmt: skip

    def context(*venues: VenueStatus) -> WebContext:
        status = Status(AT - 1_000, AT - 600_000, 1, 2.0, {v.venue: v for v in venues})

        async def statuses() -> list[Status]:
            return [status]

        return WebContext(store=store, store_kind="duckdb", windows=[], statuses=statuses, clock=lambda: AT)

    with TestClient(create_app(context(venue("okx", False), venue("bybit", False)))) as offline:
        health = offline.get("/api/health").json()
    assert health["ok"] is False and health["collector"] == "running"
    assert health["venues_connected"] == [] and health["venues_down"] == ["bybit", "okx"]
    with TestClient(create_app(context(venue("okx", True), venue("bybit", False)))) as partly:
        health = partly.get("/api/health").json()
    assert health["ok"] is True and health["venues_connected"] == ["okx"] and health["venues_down"] == ["bybit"]


def test_the_readme_quotes_the_api_word_for_word(client: TestClient) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    detail = client.get("/api/events", params={"coin": "B-T"}).json()["detail"]
    assert f"`GET /api/events?coin=B-T` →\n`{detail}`" in readme


def test_the_last_days_of_a_month_are_times_too(client: TestClient) -> None:
    # the schema's date pattern once stopped at day 28: the 29th-31st were refused before parsing
    assert client.get("/api/summary", params={"at": "2026-10-31T12:00:00Z"}).status_code == 200
    assert client.get("/api/events", params={"since": "2026-11-29", "until": "2026-11-30"}).status_code == 200
    refused = client.get("/api/summary", params={"at": "2026-02-30"})
    assert refused.status_code == 422 and refused.json()["detail"].startswith("at: ")

"""/api/levels/* and /api/wallets/* over a real DuckDB store filled with the generated levels tape and
generated Hyperliquid wallet polls: their numbers are the query module's, PnL is Σ szi × (mark − entry),
every bad parameter is a 422, and a store without data (or without wallet tables) answers 200, empty."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from liqwatch import queries
from liqwatch.analytics.levels import MODEL_VERSION
from liqwatch.analytics.levels_grid import MEASURED_LABEL, heatmap
from liqwatch.analytics.summary import parse_windows
from liqwatch.sim.levels_tape import LevelsTape
from liqwatch.sim.rest import hyperliquid as hl
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.wallets.aggregate import GROUP_BYS, coin_group
from liqwatch.web.api_levels import thin_heatmap
from liqwatch.web.app import create_app
from liqwatch.web.context import WebContext
from tests.web.levels_wallets_data import HOUR, fill_store, hourly

END = 1_768_090_000_000 + 1234  # 2026-01-11, the tape's last hour
LEVEL_PATHS = ("/api/levels/map", "/api/levels/heatmap", "/api/levels/events")
WALLET_PATHS = ("/api/wallets/pnl", "/api/wallets/worst", "/api/wallets/changes", "/api/wallets/liquidations")


def plain(value: Any) -> Any:
    """What a value looks like after a JSON round trip (Structs → dicts, tuples → lists)."""
    return json.loads(msgspec.json.encode(value))


def app_over(store: Any, clock: int = END) -> WebContext:
    return WebContext(store=store, store_kind="duckdb", windows=parse_windows("1h,24h"), clock=lambda: clock)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DuckDBStore, LevelsTape]]:
    with DuckDBStore(tmp_path_factory.mktemp("levels-wallets") / "filled.duckdb") as store:
        tape = fill_store(store, END)
        yield store, tape


@pytest.fixture(scope="module")
def store(filled: tuple[DuckDBStore, LevelsTape]) -> DuckDBStore:
    return filled[0]


@pytest.fixture(scope="module")
def client(store: DuckDBStore) -> Iterator[TestClient]:
    with TestClient(create_app(app_over(store))) as running:
        yield running


def get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


# ── liquidation levels ─────────────────────────────────────────────────────────────────────────


def test_levels_map_is_the_query_with_the_measured_layer_apart(client: TestClient, store: DuckDBStore) -> None:
    doc = get(client, "/api/levels/map", coin="btc", at=END)
    measured = queries.wallet_levels(store, END, coins=("BTC",))
    assert measured, "the generated wallets hold BTC positions with liquidation prices"
    assert doc["map"] == plain(queries.levels_map(store, "BTC", END, measured=measured))
    assert doc["model_version"] == doc["map"]["model_version"] == MODEL_VERSION
    assert doc["map"]["label"].startswith("modelled") and doc["reason"] is None
    layer = doc["map"]["measured"]
    assert layer["label"] == doc["measured_label"] == MEASURED_LABEL
    assert layer["positions"] == len(measured)
    assert layer["long_usd"] + layer["short_usd"] == pytest.approx(sum(r.position_usd for r in measured))
    assert doc["map"]["bins"] and doc["map"]["shorts"]["peak"]["usd"] > 0
    assert get(client, "/api/levels/map")["at"] == END  # default: now


def test_levels_heatmap_is_the_query(client: TestClient, store: DuckDBStore) -> None:
    doc = get(client, "/api/levels/heatmap", coin="BTC", since=END - 48 * HOUR, until=END)
    expected = queries.levels_heatmap(store, "BTC", END - 48 * HOUR, END)
    assert doc["heatmap"] == plain(expected)
    grid = doc["heatmap"]
    assert len(grid["times"]) == 48 and doc["every_bars"] == 1 and doc["bins_merged"] == 1
    assert len(grid["long_usd"][0]) == len(grid["prices"])
    assert any(any(row) for row in grid["long_usd"]) and any(any(row) for row in grid["short_usd"])
    default = get(client, "/api/levels/heatmap")
    assert (default["since"], default["until"]) == (END - 72 * HOUR, END)


def test_thinning_keeps_the_last_column_and_every_dollar(filled: tuple[DuckDBStore, LevelsTape]) -> None:
    tape = filled[1]
    grid = heatmap(hourly(tape.candles), tape.open_interest, since=END - 96 * HOUR, until=END)
    assert grid is not None
    thinned, every, merged = thin_heatmap(grid, max_times=10, max_prices=25)
    assert len(thinned.times) <= 10 and len(thinned.prices) <= 25
    assert every == -(-len(grid.times) // 10) and merged == -(-len(grid.prices) // 25)
    assert thinned.times[-1] == grid.times[-1] and thinned.bin_size == grid.bin_size * merged
    for column, ts in enumerate(thinned.times):
        original = grid.times.index(ts)
        assert sum(thinned.long_usd[column]) == pytest.approx(sum(grid.long_usd[original]))
        assert sum(thinned.short_usd[column]) == pytest.approx(sum(grid.short_usd[original]))
    assert thin_heatmap(grid, 10_000, 10_000) == (grid, 1, 1)


def test_levels_events_are_the_query_with_their_evidence(client: TestClient, store: DuckDBStore) -> None:
    since = END - 4 * 24 * HOUR
    doc = get(client, "/api/levels/events", coin="BTC", since=since, until=END)
    assert doc["events"] == plain(queries.levels_events(store, "BTC", since, END))
    assert doc["events"], "the tape's shocks break through levels"
    for event in doc["events"]:
        assert event["fuel_cleared_usd"] >= event["level_fuel_usd"] > 0
        assert event["realized_usd"] is not None and event["realized_count"] is not None
        assert since < event["bar_end"] <= END


# ── watched wallets ────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("by", GROUP_BYS)
def test_wallet_pnl_is_the_query(client: TestClient, store: DuckDBStore, by: str) -> None:
    doc = get(client, "/api/wallets/pnl", by=by)
    expected = queries.wallet_pnl_json(store, None, by)  # type: ignore[arg-type]
    assert {k: doc[k] for k in expected} == plain(expected)
    assert doc["reason"] is None
    assert doc["set_hash"] == expected["sets"][-1]["hash"] and doc["rule"] == expected["sets"][-1]["rule"]


def test_aggregate_unrealized_pnl_is_the_sum_over_the_stored_snapshots(client: TestClient, store: DuckDBStore) -> None:
    snapshots = [p for p in store.position_history(END - 1, END)]  # the newest poll, as stored
    assert len({p.wallet for p in snapshots}) > 15
    by_direction = get(client, "/api/wallets/pnl", by="direction", at=END)
    longs = sum(p.szi * (p.mark_px - p.entry_px) for p in snapshots if p.szi > 0)
    shorts = sum(p.szi * (p.mark_px - p.entry_px) for p in snapshots if p.szi < 0)
    assert by_direction["long_pnl"] == pytest.approx(longs, rel=1e-12)
    assert by_direction["short_pnl"] == pytest.approx(shorts, rel=1e-12)
    # …and the simulator's own unrealizedPnl (computed there independently) sums to the same
    assert sum(p.venue_pnl or 0.0 for p in snapshots) == pytest.approx(longs + shorts, rel=1e-9)
    by_group = {r["key"]: r for r in get(client, "/api/wallets/pnl", by="group", at=END)["rows"]}
    for group in ("BTC", "ETH", "altcoins"):
        mine = [p for p in snapshots if coin_group(p.coin) == group]
        assert by_group[group]["short_pnl"] == pytest.approx(
            sum(p.szi * (p.mark_px - p.entry_px) for p in mine if p.szi < 0), rel=1e-12, abs=1e-9
        )
        assert by_group[group]["long_pnl"] == pytest.approx(
            sum(p.szi * (p.mark_px - p.entry_px) for p in mine if p.szi > 0), rel=1e-12, abs=1e-9
        )


def test_worst_positions_are_the_query(client: TestClient, store: DuckDBStore) -> None:
    doc = get(client, "/api/wallets/worst", n=5)
    expected = queries.wallet_worst(store, None, 5)
    assert [(p["wallet"], p["coin"]) for p in doc["positions"]] == [(p.wallet, p.coin) for p in expected]
    pnls = [p["unrealized_pnl"] for p in doc["positions"]]
    assert len(pnls) == 5 and pnls == sorted(pnls) and pnls[-1] < 0
    for row, p in zip(doc["positions"], expected, strict=True):
        assert row["unrealized_pnl"] == pytest.approx(p.szi * (p.mark_px - p.entry_px))
        assert row["side"] == ("long" if p.szi > 0 else "short") and row["label"] == p.label
        assert row["liquidation_px"] == p.liquidation_px


def test_changes_between_the_two_polls(client: TestClient, store: DuckDBStore) -> None:
    doc = get(client, "/api/wallets/changes", before=END - HOUR // 2, after=END)
    expected = queries.wallet_exposure_changes(store, END - HOUR // 2, END)
    assert doc["changes"] == [plain(c) | {"change": c.change} for c in expected]
    assert sorted(c["change"] for c in doc["changes"]) == ["closed", "flipped"]


def test_wallet_liquidations_newest_first(client: TestClient, store: DuckDBStore) -> None:
    doc = get(client, "/api/wallets/liquidations")
    expected = queries.wallet_liquidations(store)
    liquidated = [w for w in hl.generate_wallets(7) if w.liquidated_coin]
    assert len(doc["liquidations"]) == len(expected) == len(liquidated) > 0
    assert [r["tid"] for r in doc["liquidations"]] == [f.tid for f in reversed(expected)]
    assert all(r["usd"] == pytest.approx(r["sz"] * r["px"]) and r["label"] for r in doc["liquidations"])
    assert len(get(client, "/api/wallets/liquidations", limit=1)["liquidations"]) == 1


# ── empty answers ──────────────────────────────────────────────────────────────────────────────


def test_an_empty_store_answers_with_explicit_empty_shapes(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "empty.duckdb") as empty, TestClient(create_app(app_over(empty))) as client:
        levels = get(client, "/api/levels/map", coin="BTC")
        assert levels["map"] is None and "no hourly candles of BTC" in levels["reason"]
        grid = get(client, "/api/levels/heatmap")
        assert grid["heatmap"] is None and grid["reason"]
        events = get(client, "/api/levels/events")
        assert events["events"] == [] and "no hourly candles" in events["reason"]
        pnl = get(client, "/api/wallets/pnl")
        assert pnl["rows"] == [] and pnl["wallets"] == 0
        assert "see README: Smart-money wallets" in pnl["reason"] and pnl["set_hash"] is None
        for path, key in (("/api/wallets/worst", "positions"), ("/api/wallets/changes", "changes")):
            assert get(client, path)[key] == []
        assert get(client, "/api/wallets/liquidations")["liquidations"] == []


# ── every parameter's 4xx ──────────────────────────────────────────────────────────────────────

BAD = [
    ("/api/levels/map", {"coin": "BTC,ETH"}, "coin: 'BTC,ETH' is not a coin"),
    ("/api/levels/map", {"coin": "B-T"}, "coin: 'B-T' is not a coin"),
    ("/api/levels/map", {"at": "yesterday"}, "at:"),
    ("/api/levels/map", {"at": "99999-01-01"}, "at:"),
    ("/api/levels/heatmap", {"coin": ""}, "coin: '' is not a coin"),
    ("/api/levels/heatmap", {"since": "nope"}, "since:"),
    ("/api/levels/heatmap", {"until": "-5"}, "until:"),
    ("/api/levels/heatmap", {"since": str(END), "until": str(END - 1)}, "since: must be before until"),
    ("/api/levels/heatmap", {"since": str(END - 40 * 24 * HOUR), "until": str(END)}, "since: at most 31 days"),
    ("/api/levels/events", {"coin": "ÉTH"}, "coin:"),
    ("/api/levels/events", {"since": "x"}, "since:"),
    ("/api/levels/events", {"until": "2026-13-01"}, "until:"),
    ("/api/levels/events", {"since": "2025-01-01", "until": str(END)}, "since: at most 31 days"),
    ("/api/wallets/pnl", {"by": "venue"}, "by:"),
    ("/api/wallets/pnl", {"at": "soon"}, "at:"),
    ("/api/wallets/worst", {"n": "0"}, "n:"),
    ("/api/wallets/worst", {"n": "201"}, "n:"),
    ("/api/wallets/worst", {"n": "ten"}, "n:"),
    ("/api/wallets/worst", {"at": "x"}, "at:"),
    ("/api/wallets/changes", {"before": str(END), "after": str(END)}, "before: must be earlier than after"),
    ("/api/wallets/changes", {"before": "x"}, "before:"),
    ("/api/wallets/changes", {"after": "x"}, "after:"),
    ("/api/wallets/liquidations", {"since": "x"}, "since:"),
    ("/api/wallets/liquidations", {"until": "x"}, "until:"),
    ("/api/wallets/liquidations", {"since": str(END), "until": str(END)}, "since: must be before until"),
    ("/api/wallets/liquidations", {"limit": "0"}, "limit:"),
    ("/api/wallets/liquidations", {"limit": "1001"}, "limit:"),
]


@pytest.mark.parametrize(("path", "params", "fragment"), BAD, ids=[f"{p}-{'&'.join(q)}" for p, q, _ in BAD])
def test_bad_parameters_are_422_in_one_line(
    client: TestClient, path: str, params: dict[str, str], fragment: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and detail.startswith(fragment), detail


def test_openapi_documents_every_new_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in LEVEL_PATHS + WALLET_PATHS:
        operation = spec["paths"][path]["get"]
        assert operation["summary"] and operation["parameters"], path
        assert all(p.get("description") for p in operation["parameters"]), path


def test_no_input_gives_a_server_error_over_the_filled_store(store: DuckDBStore) -> None:
    """Schemathesis over the new routes with data behind them (test_fuzz covers them over the known store)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(app_over(store)))
    operations = [r.ok() for r in schema.get_all_operations()]
    mine = [op for op in operations if op.path.startswith(("/api/levels/", "/api/wallets/"))]
    assert len(mine) == len(LEVEL_PATHS + WALLET_PATHS)
    for operation in mine:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_server_error(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        no_server_error()

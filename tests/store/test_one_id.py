"""One id across sources (issue 13 item 1): journal line, Tardis CSV row and REST row of the same
real recorded liquidation are stored once; stores written with the old ids migrate in place."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import msgspec
import psycopg
import pytest

from liqwatch import tardis
from liqwatch.importer import import_files
from liqwatch.instruments import bundled
from liqwatch.model import Liquidation
from liqwatch.store import id_rewrite
from liqwatch.store.base import EventFilter, Store
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.store.postgres import PostgresStore
from liqwatch.venues import deribit, okx, spec
from liqwatch.venues.ids import canonical_id, number_key
from tests.conftest import SHARED, shared_fixture

CORPUS = SHARED / "data" / "tardis_node_fixtures" / "liquidation_messages.jsonl"
RECV = 1_700_000_000_000


def recorded(line: int) -> dict[str, object]:
    """A real message of tardis-node's test corpus, by its source line."""
    if not CORPUS.exists():
        pytest.skip(f"{CORPUS} not available (../shared is not beside the checkout)")
    for text in CORPUS.read_text().splitlines():
        record = json.loads(text)
        if record["source_line"] == line:
            message: dict[str, object] = record["message"]
            return message
    raise AssertionError(f"no message at source line {line}")


def us(ms: int) -> int:
    return ms * 1000


def test_number_key_is_canonical_and_idempotent() -> None:
    cases = {
        "45171.00": "45171",
        "45171": "45171",
        "0.500": "0.5",
        "0.014": "0.014",
        "1e-05": "0.00001",
        "4.5171e4": "45171",
        "-124.50": "-124.5",
        "00.5": "0.5",
        "0": "0",
        "0.0": "0",
        "2329": "2329",
        # more significant digits than Decimal's default precision (28): never rounded
        "0012345678901234567890123456789.10": "12345678901234567890123456789.1",
        "1.00000000000000000000000000000001e2": "100.000000000000000000000000000001",
    }
    for text, key in cases.items():
        assert number_key(text) == key, text
        assert number_key(key) == key


def test_canonical_id_rewrites_the_old_forms_and_keeps_new_ones() -> None:
    old_new = [
        (
            "bybit",
            "bybit:BTCUSD:1632123949005:Sell:2329:45171.00",
            "short",
            "bybit:BTCUSD:1632123949005:Sell:2329:45171",
        ),
        ("okx", "okx:XRP-USD-230929:1:buy:short:39:0.55205", "short", "okx:XRP-USD-230929:1:short:39:0.55205"),
        ("okx", "okx:XRP-USD-230929:1:buy::39:0.55205", "short", "okx:XRP-USD-230929:1:short:39:0.55205"),
        ("deribit", "deribit:BTC-PERPETUAL:66460626:M", "long", "deribit:BTC-PERPETUAL:66460626:long"),
        ("binance_usdm", "binance_usdm:ETHUSDT:1:BUY:12.500", "short", "binance_usdm:ETHUSDT:1:BUY:12.5"),
        ("bitmex", "bitmex:XBTUSD:3f1c2a9e", "short", "bitmex:XBTUSD:3f1c2a9e"),
    ]
    for venue, old, side, new in old_new:
        assert canonical_id(venue, old, side) == new
        assert canonical_id(venue, new, side) == new


# --- the three forms of the same real liquidations ---------------------------------------------

BYBIT_V2 = 6930  # liquidation.BTCUSD, price "45171.00", Sell (a short position)
DERIBIT_T = 433  # trade 66460463, liquidation T, taker sell → long
DERIBIT_M = 454  # trade 66460626, liquidation M, taker buy → long
OKX_FUTURES = 1567  # liquidation-orders XRP-USD-230929, posSide short


def journal(tmp_path: Path) -> Path:
    lines = []
    for line, venue in ((BYBIT_V2, "bybit"), (DERIBIT_T, "deribit"), (DERIBIT_M, "deribit"), (OKX_FUTURES, "okx")):
        lines.append({"ts": RECV + line, "venue": venue, "frame": json.dumps(recorded(line))})
    lines.append({"ts": RECV, "venue": "okx", "frame": shared_fixture("okx_liquidation_orders_ws_doc.json")})
    path = tmp_path / "capture.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def tardis_csv(tmp_path: Path) -> Path:
    """The rows Tardis's liquidations dataset has for the same messages (numbers as Tardis writes them)."""
    bybit = recorded(BYBIT_V2)["data"]
    assert isinstance(bybit, dict)
    rows = [
        # Bybit Sell = a short position, closed by a buy: Tardis side "buy"; price 45171.00 → 45171
        ("bybit", "BTCUSD", us(bybit["time"]), us(bybit["time"]) + 9, "", "buy", "45171", "2329"),
        ("deribit", "BTC-PERPETUAL", us(1584058044032), us(1584058044032) + 5, "66460463", "sell", "4469.5", "1120"),
        ("deribit", "BTC-PERPETUAL", us(1584058067675), us(1584058067675) + 5, "66460626", "sell", "4458.5", "2500"),
        ("okex-futures", "XRP-USD-230929", us(1680173247614), us(1680173247614) + 1, "", "buy", "0.55205", "39"),
        ("okex-swap", "IOST-USDT-SWAP", us(1692266434010), us(1692266434010) + 1, "", "buy", "0.007831", "13"),
    ]
    path = tmp_path / "liquidations.csv"
    path.write_text(tardis.HEADER + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows))
    return path


def rest_events() -> list[Liquidation]:
    """The same liquidations through the REST backfill parsers (OKX liquidation-orders, Deribit trades)."""
    cat = bundled()
    okx_ws = recorded(OKX_FUTURES)["data"]
    okx_body = {"code": "0", "msg": "", "data": okx_ws}
    out = okx.parse_rest_liquidations(json.dumps(okx_body), RECV, cat)
    out += okx.parse_rest_liquidations(shared_fixture("okx_liquidation_orders_rest_UNVERIFIED_SHAPE.json"), RECV, cat)
    trades = [recorded(line)["params"]["data"][0] for line in (DERIBIT_T, DERIBIT_M)]  # type: ignore[index]
    body = {"jsonrpc": "2.0", "result": {"trades": trades, "has_more": False}}
    out += deribit.parse_rest_trades(json.dumps(body), RECV, cat)
    return out


def test_journal_tardis_and_rest_store_each_liquidation_once(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with DuckDBStore(db) as store:
        from_journal = import_files([journal(tmp_path)], store, catalogue=bundled())
        from_tardis = import_files([tardis_csv(tmp_path)], store, catalogue=bundled())
        from_rest = store.write_events(rest_events())
        stored = list(store.events(EventFilter()))
    assert from_journal.stored == 5 and from_journal.events == 5
    assert from_tardis.events == 5 and from_tardis.stored == 0, from_tardis.problems
    assert from_rest == 0
    assert len(stored) == 5
    ids = sorted(e.id for e in stored)
    assert ids == sorted(
        [
            "bybit:BTCUSD:1632123949005:Sell:2329:45171",
            "deribit:BTC-PERPETUAL:66460463:long",
            "deribit:BTC-PERPETUAL:66460626:long",
            "okx:IOST-USDT-SWAP:1692266434010:short:13:0.007831",
            "okx:XRP-USD-230929:1680173247614:short:39:0.55205",
        ]
    )


# --- stores written with the old ids migrate in place ----------------------------------------


def journal_events() -> list[Liquidation]:
    cat = bundled()
    out: list[Liquidation] = []
    for line, venue in ((BYBIT_V2, "bybit"), (DERIBIT_M, "deribit"), (OKX_FUTURES, "okx"), (DERIBIT_T, "deribit")):
        out += spec(venue).parse(json.dumps(recorded(line)), RECV + line, cat)
    return out


# old ids as schema-4 liqwatch stored them: (canonical id, [(old id, recv_ts delta, priced)])
OLD = {
    "bybit:BTCUSD:1632123949005:Sell:2329:45171": [
        ("bybit:BTCUSD:1632123949005:Sell:2329:45171.00", 7, True),  # journal
        ("bybit:BTCUSD:1632123949005:Sell:2329:45171", 0, True),  # Tardis (already canonical: kept)
    ],
    "deribit:BTC-PERPETUAL:66460626:long": [
        ("deribit:BTC-PERPETUAL:66460626:M", 0, True),  # journal
        ("deribit:BTC-PERPETUAL:66460626:T", -5, False),  # Tardis, unpriced: loses though received first
    ],
    "okx:XRP-USD-230929:1680173247614:short:39:0.55205": [
        ("okx:XRP-USD-230929:1680173247614:buy:short:39:0.55205", 0, True),  # journal (hedge mode)
        ("okx:XRP-USD-230929:1680173247614:buy::39:0.55205", 1, True),  # Tardis (no posSide), received later
    ],
    "deribit:BTC-PERPETUAL:66460463:long": [("deribit:BTC-PERPETUAL:66460463:T", 0, True)],  # alone
}


def old_store_events() -> list[Liquidation]:
    out = []
    for event in journal_events():
        for old_id, delta, priced in OLD[event.id]:
            usd = event.usd if priced else None
            out.append(msgspec.structs.replace(event, id=old_id, recv_ts=event.recv_ts + delta, usd=usd))
    return out


def snapshot(store: Store) -> tuple[list[Liquidation], int]:
    return sorted(store.events(EventFilter()), key=lambda e: e.id), store.count()


def test_a_duckdb_store_with_old_ids_is_rewritten_once(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "fresh.duckdb") as fresh:
        fresh.write_events(journal_events())
        want = snapshot(fresh)
        want_rollup = fresh._con.execute("SELECT * FROM rollup_hour ORDER BY ALL").fetchall()
    path = tmp_path / "old.duckdb"
    with DuckDBStore(path) as old:
        assert old.write_events(old_store_events()) == 7
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    con.close()
    with DuckDBStore(path) as migrated:
        assert snapshot(migrated) == want
        assert migrated._con.execute("SELECT * FROM rollup_hour ORDER BY ALL").fetchall() == want_rollup
        id_rewrite.rewrite_ids(migrated._con, "duckdb")  # again: nothing changes
        assert snapshot(migrated) == want


def test_a_postgres_store_with_old_ids_is_rewritten_once(pg_dsn: str, pg_server: str) -> None:
    from tests.store import pgserver

    fresh_dsn = pgserver.fresh_database(pg_server)
    with PostgresStore(fresh_dsn) as fresh:
        fresh.write_events(journal_events())
        want = snapshot(fresh)
    with PostgresStore(pg_dsn) as old:
        assert old.write_events(old_store_events()) == 7
    with psycopg.connect(pg_dsn, autocommit=True) as con:
        con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    with PostgresStore(pg_dsn) as migrated:
        assert snapshot(migrated) == want
        assert migrated.write_events(journal_events()) == 0  # the id registry follows the new ids
    with psycopg.connect(pg_dsn) as con, psycopg.connect(fresh_dsn) as ref:
        rollup = "SELECT * FROM rollup_hour ORDER BY 1, 2, 3, 4, 5"
        assert con.execute(rollup).fetchall() == ref.execute(rollup).fetchall()
        ids = "SELECT id, ts FROM event_ids ORDER BY id"
        assert con.execute(ids).fetchall() == ref.execute(ids).fetchall()

"""The catalogue travels with the data: a store keeps the contract sizes it priced with (versioned by
time of validity), a journal imported into any store is priced the same, and `liqwatch reprice`
fills events stored unpriced once their contract is known, rollups included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from liqwatch.analytics.summary import summarize
from liqwatch.catalogue_history import CatalogueTimeline, Version, plan
from liqwatch.cli import app
from liqwatch.instruments import Catalogue, Instrument, bundled
from liqwatch.model import Liquidation
from liqwatch.store.base import EventFilter, Store
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.store.open import open_store
from liqwatch.venues import REGISTRY

runner = CliRunner()
T0 = 1_763_712_000_000  # 2025-11-21T08:00Z
H = 3_600_000
WINDOWS = [("1h", H), ("4h", 4 * H), ("24h", 24 * H)]
SOL = Instrument("okx", "SOL-USDT-SWAP", "SOL", "linear", 1.0, "USDT", source="rest")  # not in the snapshot


def okx_frame(i: int, symbol: str = "SOL-USDT-SWAP") -> str:
    detail = {"bkLoss": "0", "bkPx": f"{150 + i % 7}.25", "ccy": "", "posSide": "net", "side": "sell"}
    detail |= {"sz": str(i % 40 + 1), "ts": str(T0 + i * 1000)}
    entry = {"details": [detail], "instFamily": "SOL-USDT", "instId": symbol, "instType": "SWAP", "uly": "SOL-USDT"}
    return json.dumps({"arg": {"channel": "liquidation-orders", "instType": "SWAP"}, "data": [entry]})


def binance_frame(i: int) -> str:
    order = {"s": "BTCUSDT", "S": "BUY", "o": "LIMIT", "f": "IOC", "q": "0.5", "p": "90000", "ap": "90010.5"}
    order |= {"X": "FILLED", "l": "0.5", "z": f"0.{i % 90 + 10}", "T": T0 + i * 1000 + 1}
    return json.dumps({"e": "forceOrder", "E": T0 + i * 1000, "o": order})


def records(n: int = 300) -> list[tuple[int, str, str]]:
    out = []
    for i in range(n):
        out.append((T0 + i * 1000 + 5, "okx", okx_frame(i)))
        out.append((T0 + i * 1000 + 6, "binance_usdm", binance_frame(i)))
    return out


def collector_state(folder: Path, n: int = 300) -> tuple[Path, list[Liquidation]]:
    """What `liqwatch run --db folder/c.duckdb` leaves: its journal, its instruments cache (with a
    contract only REST knew) and the events it parsed with that catalogue."""
    catalogue = bundled()
    catalogue.update([SOL])
    journal = folder / "c.state" / "journal"
    journal.mkdir(parents=True)
    lines = [json.dumps({"ts": ts, "venue": venue, "frame": frame}) for ts, venue, frame in records(n)]
    (journal / "2025-11-21.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "c.state" / "instruments.json").write_bytes(catalogue.to_json())
    events = [e for ts, venue, frame in records(n) for e in REGISTRY[venue].parse(frame, ts, catalogue)]
    return journal, events


def everything(store: Store) -> list[Liquidation]:
    return list(store.events(EventFilter()))


def test_a_journal_imported_into_a_fresh_store_is_priced_as_the_collector_priced_it(tmp_path: Path) -> None:
    journal, collected = collector_state(tmp_path / "collector")
    with DuckDBStore(tmp_path / "collector" / "c.duckdb") as own:  # the collector's own store
        own.write_instruments([*bundled().instruments(), SOL], at=T0 - H)
        own.write_events(collected)
        expected = own.summary(T0 + 2 * H, WINDOWS)
        expected_unpriced = own.unpriced_count()

    fresh = tmp_path / "elsewhere" / "fresh.duckdb"  # another name: its own cache knows nothing
    fresh.parent.mkdir()
    result = runner.invoke(app, ["import", str(journal), "--db", str(fresh), "-q"])
    assert result.exit_code == 0, result.stderr
    with DuckDBStore(fresh) as store:
        assert store.summary(T0 + 2 * H, WINDOWS) == expected
        assert store.unpriced_count() == expected_unpriced == 0
        assert everything(store) == sorted(collected, key=lambda e: (e.ts, e.id))
        # the catalogue came with the data: the fresh store now keeps the contract it priced with
        assert SOL in store.instruments()


def test_without_the_catalogue_events_are_unpriced_until_reprice_fills_them(tmp_path: Path) -> None:
    journal, collected = collector_state(tmp_path)
    (tmp_path / "c.state" / "instruments.json").unlink()  # a journal copied without its catalogue
    db = tmp_path / "c.duckdb"
    result = runner.invoke(app, ["import", str(journal), "--db", str(db), "-q"])
    assert result.exit_code == 0 and "300 without a USD value" in result.stderr
    with DuckDBStore(db) as store:
        assert store.unpriced_count() == 300
        before = store.summary(T0 + 2 * H, WINDOWS)

    catalogue = bundled()
    catalogue.update([SOL])
    (tmp_path / "c.state" / "instruments.json").write_bytes(catalogue.to_json())  # the catalogue learns the contract
    result = runner.invoke(app, ["reprice", "--db", str(db), "-q"])
    assert result.exit_code == 0, result.stderr
    assert "repriced 300 stored events; 0 stored events remain unpriced" in result.stderr

    with DuckDBStore(db) as store:
        stored = everything(store)
        assert stored == sorted(collected, key=lambda e: (e.ts, e.id))
        after = store.summary(T0 + 2 * H, WINDOWS)
        assert after == summarize(stored, T0 + 2 * H, WINDOWS)  # the rollups followed the events
        assert after.windows[-1].total_usd > before.windows[-1].total_usd
        assert after.windows[-1].count == before.windows[-1].count  # counted once, priced now
    again = runner.invoke(app, ["reprice", "--db", str(db), "-q"])
    assert "repriced 0 stored events" in again.stderr


def test_events_are_priced_with_the_contract_in_force_when_they_were_received(tmp_path: Path) -> None:
    change = T0 + 150 * 1000  # OKX changes SOL's contract value mid-journal (it has, for some coins)
    db = tmp_path / "s.duckdb"
    with DuckDBStore(db) as store:
        store.write_instruments([SOL], at=T0 - H)
        store.write_instruments([Instrument("okx", "SOL-USDT-SWAP", "SOL", "linear", 0.1, "USDT")], at=change)
        assert [(v.valid_from, v.valid_to, v.instrument.contract_size) for v in store.instrument_versions()] == [
            (0, change, 1.0),
            (change, None, 0.1),
        ]
    journal, _ = collector_state(tmp_path / "state")
    (tmp_path / "state" / "c.state" / "instruments.json").unlink()
    assert runner.invoke(app, ["import", str(journal), "--db", str(db), "-q"]).exit_code == 0
    with DuckDBStore(db, read_only=True) as store:
        sol = [e for e in everything(store) if e.coin == "SOL"]
    assert len(sol) == 300
    for event in sol:
        i = (event.ts - T0) // 1000
        size = 1.0 if event.recv_ts < change else 0.1
        assert event.qty == pytest.approx((i % 40 + 1) * size)


def test_the_same_journal_is_priced_identically_in_duckdb_and_postgresql(tmp_path: Path, pg_dsn: str) -> None:
    journal, collected = collector_state(tmp_path / "collector")
    summaries = []
    for db in (str(tmp_path / "d.duckdb"), pg_dsn):
        result = runner.invoke(app, ["import", str(journal), "--db", db, "-q"])
        assert result.exit_code == 0, result.stderr
        with open_store(db) as store:
            summaries.append((store.summary(T0 + 2 * H, WINDOWS), store.unpriced_count(), everything(store)))
            assert Version(SOL, 0) in store.instrument_versions() and SOL in store.instruments()
    assert summaries[0] == summaries[1]
    assert summaries[0][2] == sorted(collected, key=lambda e: (e.ts, e.id))


def test_reprice_fills_postgresql_too(tmp_path: Path, pg_dsn: str) -> None:
    journal, _collected = collector_state(tmp_path)
    beside = tmp_path / "c.state" / "instruments.json"
    kept = beside.read_bytes()
    beside.unlink()
    assert runner.invoke(app, ["import", str(journal), "--db", pg_dsn, "-q"]).exit_code == 0
    beside.write_bytes(kept)
    result = runner.invoke(app, ["reprice", str(journal), "--db", pg_dsn, "-q"])
    assert "repriced 300 stored events; 0 stored events remain unpriced" in result.stderr
    with open_store(pg_dsn) as store:
        stored = everything(store)
        assert store.summary(T0 + 2 * H, WINDOWS) == summarize(stored, T0 + 2 * H, WINDOWS)


def test_versions_plan_keeps_what_the_store_priced_with() -> None:
    old = Version(SOL, 0)
    changed = Instrument("okx", "SOL-USDT-SWAP", "SOL", "linear", 0.1, "USDT")
    relabelled = Instrument("okx", "SOL-USDT-SWAP", "SOL", "linear", 1.0, "USDT", source="snapshot")
    assert plan([old], [relabelled], 5) == []  # prices alike: no new version
    assert plan([old], [changed], None) == []  # an import never overrides the store's contract
    assert plan([old], [changed], 5) == [Version(SOL, 0, 5), Version(changed, 5)]
    assert plan([], [changed], 5) == [Version(changed, 0)]  # first known: in force since always


def test_timeline_gives_each_time_its_catalogue() -> None:
    small = Instrument("okx", "SOL-USDT-SWAP", "SOL", "linear", 0.1, "USDT")
    timeline = CatalogueTimeline(Catalogue(), [Version(SOL, 0, 100), Version(small, 100)])
    early, _lo, hi = timeline.at(99)
    late, lo2, hi2 = timeline.at(100)
    assert early.get("okx", "SOL-USDT-SWAP") == SOL and hi == 100
    assert late.get("okx", "SOL-USDT-SWAP") == small and lo2 == 100 and hi2 > 10**15
    beside = Catalogue([Instrument("okx", "SOL-USDT-SWAP", "SOL", "linear", 7.0, "USDT")])
    assert timeline.under(beside).at(5)[0].get("okx", "SOL-USDT-SWAP") == SOL  # the store wins


def test_a_store_written_before_versions_keeps_its_catalogue_as_the_first_version(tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "old.duckdb"
    with DuckDBStore(db) as store:
        store.write_instruments([SOL])
    con = duckdb.connect(str(db))  # as liqwatch with schema 4 left it: no instrument_versions
    con.execute("DROP TABLE instrument_versions")
    con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    con.close()
    for _ in range(2):  # the step is idempotent
        with DuckDBStore(db) as store:
            assert store.instrument_versions() == [Version(SOL, 0)]

"""Tardis liquidation CSV import: each exchange's rows through the venue's own size and side rules."""

from __future__ import annotations

import gzip
from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner

from liqwatch import tardis
from liqwatch.cli import app
from liqwatch.importer import import_files, is_tardis_csv
from liqwatch.instruments import bundled
from liqwatch.model import Liquidation
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore

runner = CliRunner()

T_2020 = 1_584_058_044_032  # 2020-03-13, ms
T_2025 = 1_763_712_000_000  # 2025-11-21, ms (after Bybit's allLiquidation)
T_2023 = 1_690_000_000_000  # 2023-07-22 (Bybit's deprecated 1-per-second topic)

ROWS = [
    # exchange, symbol, timestamp µs, local µs, id, side, price, amount
    ("binance-futures", "BTCUSDT", T_2020 * 1000, T_2020 * 1000 + 5_000, "", "sell", "9910", "0.014"),
    ("binance-delivery", "BTCUSD_200925", T_2020 * 1000 + 1000, T_2020 * 1000 + 9_000, "", "buy", "9352.7", "3"),
    ("bybit", "BTCUSDT", T_2025 * 1000, T_2025 * 1000 + 200, "", "sell", "80000", "0.5"),
    ("bybit", "BTCUSD", T_2023 * 1000, T_2023 * 1000 + 200, "", "buy", "30000", "1000"),
    ("okex-swap", "BTC-USDT-SWAP", T_2025 * 1000 + 7, T_2025 * 1000 + 900, "", "sell", "49674.2", "40"),
    ("okex-futures", "XRP-USD-230929", T_2023 * 1000 + 3_000, T_2023 * 1000 + 4_000, "", "buy", "0.55205", "39"),
    ("bitmex", "XBTUSD", T_2020 * 1000 + 2_000, T_2020 * 1000 + 2_000, "dd9cea25-207c-0dab", "buy", "10106", "9214"),
    ("deribit", "BTC-PERPETUAL", T_2020 * 1000 + 3_000, T_2020 * 1000 + 3_500, "66460463", "sell", "4469.5", "1120"),
    ("bitget-futures", "APEUSDT", T_2025 * 1000 + 11_000, T_2025 * 1000 + 12_000, "", "sell", "0.1649", "13.70319"),
    ("huobi-dm-swap", "BTC-USD", T_2020 * 1000, T_2020 * 1000, "", "buy", "9000", "10"),
    (
        "cryptofacilities",
        "PI_XBTUSD",
        T_2020 * 1000 + 4_000,
        T_2020 * 1000 + 4_500,
        "05af78ac-a774",
        "buy",
        "34969.5",
        "15000",
    ),
    (
        "bitfinex-derivatives",
        "BTCF0:USTF0",
        T_2025 * 1000 + 20_000,
        T_2025 * 1000 + 21_000,
        "145400868",
        "buy",
        "28483",
        "1.7",
    ),
    ("huobi-dm-linear-swap", "BTC-USDT", T_2025 * 1000 + 30_000, T_2025 * 1000 + 30_500, "", "sell", "23350.5", "227"),
    ("ftx", "BTC-PERP", T_2020 * 1000, T_2020 * 1000, "", "buy", "9000", "10"),
]

# venue, symbol, side, usd, coverage, id
EXPECTED = {
    "binance_usdm:BTCUSDT:1584058044032:SELL:0.014": ("binance_usdm", "long", 138.74, "sampled"),
    "binance_coinm:BTCUSD_200925:1584058044033:BUY:3": ("binance_coinm", "short", 300.0, "sampled"),
    "bybit:BTCUSDT:1763712000000:Buy:0.5:80000": ("bybit", "long", 40_000.0, "complete"),
    "bybit:BTCUSD:1690000000000:Sell:1000:30000": ("bybit", "short", 1000.0, "sampled"),
    "okx:BTC-USDT-SWAP:1763712000000:long:40:49674.2": ("okx", "long", 19_869.68, "sampled"),
    "okx:XRP-USD-230929:1690000000003:short:39:0.55205": ("okx", "short", 390.0, "sampled"),
    "bitmex:XBTUSD:dd9cea25-207c-0dab": ("bitmex", "short", 9214.0, "complete"),
    "deribit:BTC-PERPETUAL:66460463:long": ("deribit", "long", 1120.0, "complete"),
    "bitget:APEUSDT:1763712000011:buy:13.70319": ("bitget", "long", 13.70319, "sampled"),
    "htx:BTC-USD:1584058044032:buy:10:9000": ("htx", "short", 1000.0, "complete"),  # 10 × 100 USD
    "kraken_futures:05af78ac-a774": ("kraken_futures", "short", 15_000.0, "complete"),  # PI_: 1 USD contracts
    "bitfinex:145400868:1763712000020": ("bitfinex", "short", 48_421.1, "complete"),  # 1.7 × 28483 (base price)
    "htx:BTC-USDT:1763712000030:sell:227:23350.5": ("htx", "long", 5300.5635, "complete"),  # 227 × 0.001 BTC
}


def write_csv(path: Path, rows: list[tuple[object, ...]], header: bool = True, gz: bool = False) -> Path:
    lines = ([tardis.HEADER] if header else []) + [",".join(str(c) for c in row) for row in rows]
    text = "\n".join(lines) + "\n"
    if gz:
        with gzip.open(path, "wt") as stream:
            stream.write(text)
    else:
        path.write_text(text)
    return path


def stored(path: Path) -> dict[str, Liquidation]:
    with DuckDBStore(path, read_only=True) as s:
        return {e.id: e for e in s.events(EventFilter())}


def test_every_exchange_follows_its_venue_rules(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path / "liquidations.csv.gz", ROWS, gz=True)
    db = tmp_path / "s.duckdb"
    with DuckDBStore(db) as store:
        report = import_files([csv_path], store, catalogue=bundled())
    assert report.frames == len(ROWS) and report.events == len(EXPECTED) and report.stored == len(EXPECTED)
    assert report.bad_frames == 1 and any("'ftx'" in p for p in report.problems)
    events = stored(db)
    assert set(events) == set(EXPECTED)
    for event_id, (venue, side, usd, coverage) in EXPECTED.items():
        e = events[event_id]
        assert (e.venue, e.side, e.coverage) == (venue, side, coverage), event_id
        assert e.usd == pytest.approx(usd, rel=1e-12), event_id
    bitmex = events["bitmex:XBTUSD:dd9cea25-207c-0dab"]
    assert bitmex.ts == T_2020 + 2 and bitmex.coin == "BTC"
    binance = events["binance_usdm:BTCUSDT:1584058044032:SELL:0.014"]
    assert binance.ts == T_2020 and binance.recv_ts == T_2020 + 5 and binance.qty == 0.014
    assert events["okx:XRP-USD-230929:1690000000003:short:39:0.55205"].coin == "XRP"


def test_reimport_changes_nothing_and_matches_the_parser(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path / "a.csv", ROWS)
    db = tmp_path / "s.duckdb"
    with DuckDBStore(db) as store:
        first = import_files([csv_path], store, catalogue=bundled())
        again = import_files([csv_path], store, catalogue=bundled())
        assert store.count() == first.stored
    assert again.stored == 0 and again.events == first.events
    # the same liquidation received live (a Binance frame) has the same id: stored once
    frame = msgspec.json.encode(
        {
            "e": "forceOrder",
            "E": T_2020,
            "o": {"s": "BTCUSDT", "S": "SELL", "p": "9910", "ap": "9910", "X": "FILLED", "z": "0.014", "T": T_2020},
        }
    ).decode()
    journal = tmp_path / "j.jsonl"
    journal.write_text(msgspec.json.encode({"ts": T_2020 + 5, "venue": "binance_usdm", "frame": frame}).decode() + "\n")
    with DuckDBStore(db) as store:
        live = import_files([journal], store, catalogue=bundled())
    assert live.events == 1 and live.stored == 0


def test_detection_by_extension_or_header(tmp_path: Path) -> None:
    headed = write_csv(tmp_path / "liquidations.txt", ROWS[:1])
    assert is_tardis_csv(headed)
    assert is_tardis_csv(write_csv(tmp_path / "x.csv", ROWS[:1], header=False))
    journal = tmp_path / "2025-11-21.jsonl"
    journal.write_text('{"ts": 1, "venue": "bybit", "frame": "{}"}\n')
    assert not is_tardis_csv(journal)
    other = tmp_path / "notes.txt"
    other.write_text("hello\n")
    assert not is_tardis_csv(other)


def test_bad_rows_are_skipped_and_reported(tmp_path: Path) -> None:
    rows = [
        *ROWS[:2],
        ("bybit", "BTCUSDT", "not-a-time", "1", "", "buy", "1", "1"),
        ("bybit", "BTCUSDT", T_2025 * 1000, T_2025 * 1000, "", "up", "1", "1"),
        ("bybit", "BTCUSDT", T_2025 * 1000, T_2025 * 1000, "", "buy", "-1", "1"),
        ("deribit", "BTC-PERPETUAL", T_2025 * 1000, T_2025 * 1000, "1", "buy", "0", "5"),
        ("too", "few"),
    ]
    db = tmp_path / "s.duckdb"
    with DuckDBStore(db) as store:
        report = import_files([write_csv(tmp_path / "bad.csv", rows)], store, catalogue=bundled())
    assert report.stored == 2
    assert report.bad_lines == 4 and report.bad_frames == 1  # deribit price 0 is refused by its parser
    assert len(report.problems) == 5


def test_cli_imports_tardis_files(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path / "binance-futures_liquidations_2020-03-13_BTCUSDT.csv.gz", ROWS[:3], gz=True)
    db = str(tmp_path / "cli.duckdb")
    result = runner.invoke(app, ["import", str(csv_path), "--db", db, "-q"])
    assert result.exit_code == 0, result.stderr
    assert "3 events" in result.stderr and "3 new" in result.stderr
    result = runner.invoke(app, ["events", "--db", db, "--format", "jsonl"])
    venues = [msgspec.json.decode(line, type=Liquidation).venue for line in result.stdout.splitlines()]
    assert venues == ["binance_usdm", "binance_coinm", "bybit"]


def test_the_research_tardis_fixtures_side_convention() -> None:
    """Tardis 'buy' is a short liquidated, for every venue mapping (rows written back as frames)."""
    catalogue = bundled()
    from liqwatch.venues import REGISTRY

    for exchange, symbol, price, amount in (
        ("binance-futures", "ETHUSDT", "3000", "1"),
        ("bybit", "ETHUSDT", "3000", "1"),
        ("okex-futures", "ETH-USD-230929", "3000", "1"),
        ("bitmex", "XBTUSD", "30000", "100"),
        ("deribit", "ETH-PERPETUAL", "3000", "10"),
        ("bitget-futures", "ETHUSDT", "3000", "30"),
    ):
        for side, expected in (("buy", "short"), ("sell", "long")):
            row = tardis.row_of([exchange, symbol, str(T_2025 * 1000), str(T_2025 * 1000), "7", side, price, amount])
            venue, frame, recv = tardis.frame_of(row)
            (event,) = REGISTRY[venue].parse(frame, recv, catalogue)
            assert event.side == expected, (exchange, side)

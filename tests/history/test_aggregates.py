"""Aggregate history files recognised by content, read into rows; other files refused (exit 2)."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from liqwatch import aggregates, file_kinds, import_kinds
from liqwatch.aggregates import ALL, DAY_MS, AggregateRow
from liqwatch.cli import app
from liqwatch.store.duckdb import DuckDBStore

runner = CliRunner()
H = 3_600_000
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z

COINGLASS_CSV = (
    "timestamp,datetime_utc,longUsd,shortUsd,totalUsd\n"
    f"{T0},2024-01-01T00:00:00.000Z,100.5,200,300.5\n"
    f"{T0 + H},2024-01-01T01:00:00.000Z,0,50,50\n"
)
COINALYZE_CSV = (
    "t,BTC/USD - Bybit_short,BTC/USD - Bybit_long,BTC/USDT - Bybit_short,BTC/USDT - Bybit_long,"
    "BTC/USDT - Deribit_short,BTC/USDT - Deribit_long\n"
    "2024-01-02,1.0,2.0,10.0,20.0,,\n"
    "2024-01-01,3.0,4.0,,,5.0,6.0\n"
)
COINALYZE_JSON = [
    {
        "symbol": "BTCUSDT_PERP.A",
        "history": [{"t": T0 // 1000, "l": 7.5, "s": 1.5}, {"t": T0 // 1000 + 3600, "l": 1, "s": 2}],
    },
    {"symbol": "BTCUSD_PERP.A", "history": [{"t": T0 // 1000, "l": 0.5, "s": 0.5}]},
    {"symbol": "ETHUSDT.6", "history": [{"t": T0 // 1000, "l": 3, "s": 4}]},
]
COINGLASS_JSON = {
    "code": "0",
    "msg": "success",
    "data": [
        {
            "time": T0,
            "aggregated_long_liquidation_usd": 5916885.14234,
            "aggregated_short_liquidation_usd": 12969583.87632,
        },
        {
            "time": T0 + DAY_MS,
            "aggregated_long_liquidation_usd": 5345708.23191,
            "aggregated_short_liquidation_usd": 1.5,
        },
    ],
}


def write(path: Path, text: str, gz: bool = False) -> Path:
    if gz:
        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        path.write_text(text)
    return path


def test_kinds_by_content_whatever_the_name(tmp_path: Path) -> None:
    assert import_kinds.kind_of(write(tmp_path / "a.txt", COINGLASS_CSV)) == "coinglass_csv"
    assert import_kinds.kind_of(write(tmp_path / "b.csv.gz", COINALYZE_CSV, gz=True)) == "coinalyze_csv"
    assert import_kinds.kind_of(write(tmp_path / "c.csv", json.dumps(COINALYZE_JSON))) == "coinalyze_json"
    assert import_kinds.kind_of(write(tmp_path / "d", json.dumps(COINGLASS_JSON), gz=True)) == "coinglass_json"
    for unknown in (
        write(tmp_path / "e.csv", "date,price\n2024-01-01,3\n"),
        write(tmp_path / "f.json", '{"hello": 1}'),
    ):
        with pytest.raises(import_kinds.Unreadable):
            import_kinds.kind_of(unknown)
    journal = '{"ts": 1, "venue": "okx", "frame": "{}"}\n'
    assert import_kinds.kind_of(write(tmp_path / "g.log", journal)) == import_kinds.JOURNAL


def test_coinglass_csv_rows() -> None:
    rows = aggregates.read_coinglass_csv(COINGLASS_CSV, "BTC", "x")
    assert rows == [
        AggregateRow("coinglass", ALL, "BTC", H, T0, 100.5, 200.0),
        AggregateRow("coinglass", ALL, "BTC", H, T0 + H, 0.0, 50.0),
    ]


def test_coinalyze_wide_sums_markets_per_exchange_and_leaves_empty_cells_unknown() -> None:
    rows = aggregates.read_coinalyze_csv(COINALYZE_CSV, "x")
    assert rows == [
        AggregateRow("coinalyze", "Bybit", "BTC", DAY_MS, T0, 4.0, 3.0),
        AggregateRow("coinalyze", "Bybit", "BTC", DAY_MS, T0 + DAY_MS, 22.0, 11.0),
        AggregateRow("coinalyze", "Deribit", "BTC", DAY_MS, T0, 6.0, 5.0),
    ]  # Deribit on 2 January: no row (not covered), not a zero


def test_coinalyze_json_exchange_from_symbol_code_and_interval_from_spacing() -> None:
    rows = aggregates.read_coinalyze_json(COINALYZE_JSON, "x")
    assert rows == [
        AggregateRow("coinalyze", "Binance", "BTC", H, T0, 8.0, 2.0),
        AggregateRow("coinalyze", "Binance", "BTC", H, T0 + H, 1.0, 2.0),
        AggregateRow("coinalyze", "Bybit", "ETH", H, T0, 3.0, 4.0),
    ]


def test_coinglass_json_needs_a_coin_from_the_name_or_flag(tmp_path: Path) -> None:
    named = write(tmp_path / "coinglass_ETH_1d.json", json.dumps(COINGLASS_JSON))
    rows = file_kinds.read_aggregates(named, "coinglass_json", None)
    assert {r.coin for r in rows} == {"ETH"} and rows[0].interval_ms == DAY_MS
    anonymous = write(tmp_path / "history.json", json.dumps(COINGLASS_JSON))
    with pytest.raises(aggregates.BadAggregate, match="--coin"):
        file_kinds.read_aggregates(anonymous, "coinglass_json", None)
    assert file_kinds.read_aggregates(anonymous, "coinglass_json", "sol")[0].coin == "SOL"


def test_bad_cells_are_one_line_errors() -> None:
    with pytest.raises(aggregates.BadAggregate, match=r"x:2: 'lots' is not a number"):
        aggregates.read_coinglass_csv(COINGLASS_CSV.replace("100.5", "lots"), "BTC", "x")
    with pytest.raises(aggregates.BadAggregate, match="not a non-negative"):
        aggregates.read_coinalyze_csv(COINALYZE_CSV.replace("1.0", "-1"), "x")


def test_import_cli_loads_aggregates_idempotently_and_refuses_unknown_files(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    files = [
        write(tmp_path / "coinglass_BTC_1h.csv", COINGLASS_CSV),
        write(tmp_path / "liq.csv.gz", COINALYZE_CSV, gz=True),
        write(tmp_path / "api.json", json.dumps(COINALYZE_JSON)),
    ]
    for _ in range(2):
        result = runner.invoke(app, ["import", "--db", db, "-q", *map(str, files)])
        assert result.exit_code == 0, result.stderr
        assert "8 aggregate-history buckets" in result.stderr
    with DuckDBStore(Path(db)) as store:
        assert len(store.aggregates()) == 8 and store.count() == 0  # never events
    odd = write(tmp_path / "notes.csv", "date,price\n2024-01-01,3\n")
    result = runner.invoke(app, ["import", "--db", db, "-q", str(files[0]), str(odd)])
    assert result.exit_code == 2
    assert "notes.csv: not a format liqwatch knows" in result.stderr


def test_kline_files_plain_headed_and_zipped(tmp_path: Path) -> None:
    row = f"{T0},42000.1,42500,41900.5,42300,10,{T0 + H - 1},420000,100,5,210000,0"
    headed = write(
        tmp_path / "BTCUSDT-1h-2024-01-01.csv",
        "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
        f"taker_buy_quote_volume,ignore\n{row}\n",
    )
    bare = tmp_path / "ETHUSDT-1h-2024-01.zip"
    with zipfile.ZipFile(bare, "w") as z:
        z.writestr("ETHUSDT-1h-2024-01.csv", row.replace("42", "22").replace("41900", "21900") + "\n")
    assert import_kinds.kind_of(headed) == "klines" and import_kinds.kind_of(bare) == "klines"
    db = str(tmp_path / "k.duckdb")
    result = runner.invoke(app, ["import", "--db", db, "-q", str(headed), str(bare)])
    assert result.exit_code == 0, result.stderr
    with DuckDBStore(Path(db)) as store:
        (btc,) = store.candles("BTC", H)
        (eth,) = store.candles("ETH", H)
    assert (btc.open_ts, btc.high, btc.close, btc.symbol) == (T0, 42500.0, 42300.0, "BTCUSDT")
    assert (eth.coin, eth.high, eth.close) == ("ETH", 22500.0, 22300.0)
    wrong = write(tmp_path / "BTCUSDT-1d-2024-01-01.csv", row + "\n")
    result = runner.invoke(app, ["import", "--db", db, "-q", str(wrong)])
    assert "a bar of 3600000 ms in a file of 86400000 ms bars" in result.stderr


def test_kline_prices_are_per_coin() -> None:
    from liqwatch import klines

    (candle,) = klines.parse(
        f"{T0},0.012,0.013,0.011,0.0125,1,{T0 + H - 1},1,1,1,1,0\n", "binance_usdm", "1000PEPEUSDT", H, "x"
    )
    assert (candle.coin, candle.close) == ("PEPE", 0.0125 / 1000)


def test_coinglass_rows_must_add_up() -> None:
    with pytest.raises(aggregates.BadAggregate, match=r"x:3: longUsd \+ shortUsd is not totalUsd"):
        aggregates.read_coinglass_csv(COINGLASS_CSV.replace("0,50,50", "0,50,60"), "BTC", "x")


def test_history_series_lists_what_is_stored(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    path = write(tmp_path / "liq.csv", COINALYZE_CSV)
    assert runner.invoke(app, ["import", "--db", db, "-q", str(path)]).exit_code == 0
    result = runner.invoke(app, ["history", "series", "--db", db])
    assert result.exit_code == 0
    text = result.stdout
    assert text.count("Coinalyze") == 2 and "Bybit" in text and "Deribit" in text and "2024-01-01" in text

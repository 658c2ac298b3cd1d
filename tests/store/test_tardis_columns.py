"""Tardis rows read as columns say exactly what the row path says (tardis.frame_of → venue parser).

tardis_columns.split reads a chunk with Arrow and computes the events of the exchanges with column
rules; every other row goes to the row path. Here chunks of rows of every kind (listed and unlisted
symbols, inverse and linear contracts, bundles, options, numbers of every shape, times either side
of Bybit's switch, implausible times, broken lines) are read both ways: the events (every double to
the bit), dead letters, counts and skipped exchanges must be the same. A second test makes sure the
columns do read the plain rows (else the first would hold of a path never taken).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqwatch import import_chunks, tardis, tardis_columns
from liqwatch.catalogue_history import CatalogueTimeline, Version
from liqwatch.import_chunks import read_chunk, read_chunk_table
from liqwatch.instruments import Instrument, bundled
from liqwatch.model import Liquidation
from liqwatch.tardis_rules import RULES
from liqwatch.venues.base import MAX_AHEAD_MS

pytest.importorskip("pyarrow")

T0 = 1_767_225_600_000  # 2026-01-01T00:00Z
LISTED_AT = T0 + 60_000  # instruments the store's catalogue lists from this time on (a second span)
SYMBOLS = {
    "binance-futures": ["BTCUSDT", "1000PEPEUSDT", "ETHUSDT", "BTCUSDC", "BTCUSD_PERP", "NEWCOINUSDT", "ODD"],
    "binance-delivery": ["BTCUSD_PERP", "ETHUSD_PERP", "ADAUSD_250328", "BTCUSDT"],
    "bybit": ["BTCUSDT", "BTCUSD", "1000PEPEUSDT", "SHIB1000USDT", "BTCUSDH25", "NEWCOINUSDT", "ETHPERP", "ODD"],
    "okex-swap": ["BTC-USDT-SWAP", "BTC-USD-SWAP", "DOGE-USDT-SWAP", "NEWCOIN-USDT-SWAP", "ETH-USDC-SWAP"],
    "okex-futures": ["BTC-USD-230929", "ETH-USDT-250926", "BTC-USD-240329-60000-C", "BTC-USDT"],
    "deribit": ["BTC-PERPETUAL", "BTC-27DEC24", "BTC_USDC-PERPETUAL", "SOL_USDC-PERPETUAL", "ETH-3JAN25-3000-P", "ODD"],
    "bitmex": ["XBTUSD", "ETHUSD", "XBTUSDT", "XBTZ24", "ETHUSDT", "SOLUSDT", "NEWUSD", "ODD"],
    "bitget-futures": ["BTCUSDT", "ETHUSDT", "APEUSDT", "BTCUSD", "NEWCOINUSDT", "1000PEPEUSDT", "BTCPERP", "ODD"],
    "huobi-dm": ["BTC_CQ", "BTC200703", "ETH_NW", "BTC-USDT"],
    "huobi-dm-swap": ["BTC-USD", "ETH-USD", "BSV-USD", "ODD"],
    "huobi-dm-linear-swap": ["BTC-USDT", "ETH-USDT", "NEWCOIN-USDT", "TINY-USDT", "QUANTO-USDT"],
    "cryptofacilities": ["PI_XBTUSD", "PI_ETHUSD", "PF_XBTUSD", "PF_ETHUSD", "FI_XBTUSD_240329", "PF_NEWUSD"],
    "bitfinex-derivatives": ["BTCF0:USTF0", "ETHF0:USTF0", "tBTCF0:USTF0", "tBTCUSD", "ETHBTC", "t", "tTESTF0:EURF0"],
    "ftx": ["BTC-PERP"],
}
TIMELINE = CatalogueTimeline(
    bundled(),
    [
        Version(Instrument("binance_usdm", "NEWCOINUSDT", "NEWCOIN", "linear", 1.0, "USDT"), LISTED_AT),
        Version(Instrument("bybit", "NEWCOINUSDT", "NEWCOIN", "linear", 10.0, "USDT"), LISTED_AT),
        Version(Instrument("okx", "NEWCOIN-USDT-SWAP", "NEWCOIN", "linear", 0.01, "USDT"), LISTED_AT),
        Version(Instrument("deribit", "SOL_USDC-PERPETUAL", "SOL", "linear", 0.1, "USDC"), LISTED_AT),
        Version(Instrument("bitmex", "SOLUSDT", "SOL", "linear", 0.0001, "USDT", price_unit=0.001), LISTED_AT),
        Version(Instrument("bitmex", "NEWUSD", "NEW", "inverse", 0.5, "USD"), LISTED_AT),
        Version(Instrument("bitget", "APEUSDT", "APE", "linear", 1.0, "EUR"), LISTED_AT),  # a quote not USD
        Version(Instrument("htx", "NEWCOIN-USDT", "NEWCOIN", "linear", 0.1, "USDT"), LISTED_AT),
        Version(Instrument("htx", "TINY-USDT", "TINY", "linear", 1000.0, "USDT", 0.001), LISTED_AT),
        Version(Instrument("htx", "QUANTO-USDT", "QUANTO", "quanto", 0.0001, "USDT", 0.01), LISTED_AT),
        Version(Instrument("kraken_futures", "PF_NEWUSD", "NEW", "linear", 0.1, "USD"), LISTED_AT),
    ],
)


@st.composite
def decimals(draw: st.DrawFn) -> str:
    """Decimal text as Tardis writes it, and now and then as it never should."""
    if draw(st.integers(0, 19)) == 0:
        odd = ["0", "0.0", "1e-5", "2E3", "12345678901234567", "1.", ".5", "", "abc", "-1", "1_5", "9" * 30]
        return draw(st.sampled_from([*odd, "0.000000000000000000000001", "00", "1.0000000000000001"]))
    value = draw(st.one_of(st.integers(1, 999), st.integers(1, 10**15), st.integers(1, 10**9)))
    places = draw(st.integers(0, 12))
    text = str(value).rjust(places + 1, "0")
    if places:
        text = f"{text[:-places]}.{text[-places:]}"
    text = "0" * draw(st.integers(0, 1) if draw(st.booleans()) else st.just(0)) + text
    return text + ("0" * draw(st.integers(0, 2)) if "." in text else "")


SWITCH = tardis.BYBIT_ALL_LIQUIDATION_SINCE
TIMES = [T0, LISTED_AT - 1, LISTED_AT, LISTED_AT + 5, T0 + 123_456, T0 - 86_400_000, 1_600_000_000_000, SWITCH - 1]
TIMES += [SWITCH, 1_400_000_000_000, 1_000]  # both sides of Bybit's switch; 2014 and 1970: implausible


@st.composite
def rows(draw: st.DrawFn) -> str:
    exchange = draw(st.sampled_from(sorted(SYMBOLS)))
    symbol = draw(st.sampled_from(SYMBOLS[exchange]))
    ms = draw(st.sampled_from(TIMES))
    timestamp = ms * 1000 + draw(st.integers(0, 999))
    delay_ms = draw(st.sampled_from([0, 5, 250, 1, 90, -MAX_AHEAD_MS, -MAX_AHEAD_MS - 1, 86_400_000]))
    local = max(0, timestamp + delay_ms * 1000)
    stamp = draw(st.sampled_from([str(timestamp)] * 16 + ["", "12a", "9" * 19, "0"]))
    side = draw(st.sampled_from(["buy", "sell"] * 10 + ["BUY", ""]))
    cells = [exchange, symbol, stamp, str(local), draw(st.sampled_from(["", "123", "abc-1"])), side]
    return ",".join([*cells, draw(decimals()), draw(decimals())])


BROKEN = st.sampled_from(
    [
        "",
        tardis.HEADER,
        "binance-futures,BTCUSDT,1767225600000000,1767225600100000,,sell,10,0.5,extra",
        "binance-futures,BTCUSDT,1767225600000000",
        'binance-futures,"BTCUSDT",1767225600000000,1767225600100000,,sell,10,0.5',
        "binance-futures, BTCUSDT,1767225600000000,1767225600100000,,sell,10,0.5",
        "binance-futures,BTCUSDT,1767225600000000,1767225600100000,,sell,10,0.5\r",
        "binance-futures,BTC\xffUSDT,1767225600000000,1767225600100000,,sell,10,0.5",
        "bybit,BTCUSDT,1767225600000000,1767225600100000,,sell,10,0.5\t",
    ]
)


def chunk_lines(draw: st.DrawFn) -> list[bytes]:
    lines = draw(st.lists(st.one_of(rows(), rows(), rows(), BROKEN), min_size=0, max_size=50))
    out = [line.encode("utf-8") for line in lines]
    return [b.replace("\xff".encode(), b"\xff") for b in out]  # a byte that is not UTF-8


def as_bits(event: Liquidation) -> tuple[Any, ...]:
    """An event with each double as its exact bits (so that 0.1 + 0.2 and 0.3 differ)."""
    return tuple(v.hex() if isinstance(v, float) else v for v in msgspec_fields(event))


def msgspec_fields(event: Liquidation) -> tuple[Any, ...]:
    return tuple(getattr(event, name) for name in event.__struct_fields__)


def row_path(first: int, data: bytes) -> import_chunks.Outcome:
    lines = data[:-1].split(b"\n") if data.endswith(b"\n") else data.split(b"\n") if data else []
    numbered: list[tuple[int, str | bytes]] = list(enumerate(lines, first))
    out = import_chunks._tardis_rows("f.csv", numbered, TIMELINE, MAX_AHEAD_MS)
    out.unpriced = [e.usd for e in out.events].count(None)
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data(), st.sampled_from([1, 1, 2, 40_001]), st.booleans(), st.booleans())
def test_columns_and_rows_give_the_same_events_letters_and_counts(
    data: st.DataObject, first: int, header: bool, newline_at_end: bool
) -> None:
    lines = chunk_lines(data.draw)
    if header and first == 1:
        lines = [tardis.HEADER.encode(), *lines]
    chunk = b"\n".join(lines) + (b"\n" if newline_at_end and lines else b"")
    expected = row_path(first, chunk)
    out, table = read_chunk_table("tardis_csv", "f.csv", first, chunk, TIMELINE, MAX_AHEAD_MS, len(lines))
    got = import_chunks.events_of(table)
    assert [as_bits(e) for e in got] == [as_bits(e) for e in expected.events]
    assert out.letters == expected.letters
    assert (out.frames, out.skipped, out.unpriced) == (expected.frames, expected.skipped, expected.unpriced)
    as_list = read_chunk("tardis_csv", "f.csv", first, chunk, TIMELINE, MAX_AHEAD_MS, len(lines))
    assert [as_bits(e) for e in as_list.events] == [as_bits(e) for e in expected.events]
    assert (as_list.letters, as_list.unpriced) == (expected.letters, expected.unpriced)


PLAIN = {  # a listed symbol of each exchange with column rules, a plain price and amount
    "binance-futures": [
        ("BTCUSDT", "87123.4", "0.012"),
        ("1000PEPEUSDT", "0.0071234", "150000"),
        ("BTCUSD_PERP", "87000.1", "12"),
    ],
    "binance-delivery": [("ETHUSD_PERP", "2950.55", "40")],
    "bybit": [("BTCUSDT", "87123.40", "0.5"), ("BTCUSD", "87123.5", "2500"), ("1000PEPEUSDT", "0.0071", "1000")],
    "okex-swap": [("BTC-USDT-SWAP", "87123.4", "40"), ("BTC-USD-SWAP", "87000", "12")],
    "okex-futures": [("ETH-USDT-250926", "2950.5", "3")],
    "deribit": [("BTC-PERPETUAL", "87123.5", "12340"), ("BTC_USDC-PERPETUAL", "87123.4", "0.013"), ("ODD", "1.5", "2")],
    "bitmex": [("XBTUSD", "87123.5", "1200"), ("XBTUSDT", "87123.4", "3000"), ("ETHUSD", "2950.55", "15")],
    "bitget-futures": [("BTCUSDT", "87123.4", "1523.97"), ("1000PEPEUSDT", "0.00712", "250.5"), ("BTCUSD", "870", "1")],
    "huobi-dm": [("BTC_CQ", "87123.4", "12")],
    "huobi-dm-swap": [("BTC-USD", "87123.4", "25"), ("ETH-USD", "2950.55", "3.0")],
    "huobi-dm-linear-swap": [("BTC-USDT", "87123.4", "150"), ("ETH-USDT", "2950.5", "0.5")],
    "cryptofacilities": [("PF_XBTUSD", "87123.5", "0.0125"), ("PI_XBTUSD", "87123", "5000")],
    "bitfinex-derivatives": [("BTCF0:USTF0", "87123", "0.05"), ("tETHF0:USTF0", "2950.5", "1.5")],
}


@pytest.mark.parametrize("exchange", sorted(RULES))
def test_plain_rows_of_every_exchange_with_rules_are_read_as_columns(exchange: str) -> None:
    lines = [tardis.HEADER]
    for i in range(300):
        symbol, price, amount = PLAIN[exchange][i % len(PLAIN[exchange])]
        for ms in (T0 + i * 1000, tardis.BYBIT_ALL_LIQUIDATION_SINCE - 10_000_000 + i):
            lines.append(
                f"{exchange},{symbol},{ms * 1000 + 7},{ms * 1000 + 90_000},,{'buy' if i % 3 else 'sell'},{price},{amount}"
            )
    chunk = ("\n".join(lines) + "\n").encode()
    split = tardis_columns.split(1, chunk, TIMELINE, MAX_AHEAD_MS)
    assert split is not None and split.rest == [] and split.frames == len(lines) - 1
    expected = row_path(1, chunk)
    assert [as_bits(e) for e in import_chunks.events_of(split.events)] == [as_bits(e) for e in expected.events]
    assert not expected.letters and len(expected.events) == len(lines) - 1


EDGE_CELLS = {  # cells the venues' JSON frames read otherwise than as written, and their neighbours
    "id": ["", "0", "7", "007", "123456789", "9" * 19, "9" * 20, "abc-1"],
    "number": ["0.00001", "0.0000812", "0.00000000000001", "0.0001", "0.00010", "5", "5.0", "5.50", "007", "0"],
}


@pytest.mark.parametrize("exchange", sorted(RULES))
def test_cells_that_frames_read_otherwise_come_out_as_the_row_path_reads_them(exchange: str) -> None:
    """Ids with leading zeros or too many digits, numbers whose float repr has an exponent or a
    ".0", zeros: each combination, both paths (ids and doubles to the bit, dead letters alike)."""
    lines = []
    for n, row_id in enumerate(EDGE_CELLS["id"]):
        for k, price in enumerate(EDGE_CELLS["number"]):
            for amount in EDGE_CELLS["number"]:
                ms = T0 + 61_000 + n * 1000 + k
                symbol = PLAIN[exchange][0][0]
                lines.append(f"{exchange},{symbol},{ms * 1000},{ms * 1000 + 5_000},{row_id},sell,{price},{amount}")
    chunk = ("\n".join(lines) + "\n").encode()
    split = tardis_columns.split(2, chunk, TIMELINE, MAX_AHEAD_MS)
    assert split is not None and split.frames > 0
    expected = row_path(2, chunk)
    out, table = read_chunk_table("tardis_csv", "f.csv", 2, chunk, TIMELINE, MAX_AHEAD_MS, len(lines))
    assert [as_bits(e) for e in import_chunks.events_of(table)] == [as_bits(e) for e in expected.events]
    assert out.letters == expected.letters


def test_many_values_come_out_to_the_bit() -> None:
    """Thousands of plain prices and sizes of every magnitude, each symbol with column rules: the
    doubles of the columns are the parser's, bit for bit (divisions by bundles and price units, the
    products of contract values, inverse quotients)."""
    import random

    draw = random.Random(7)
    lines = []
    for exchange in sorted(RULES):
        for symbol in SYMBOLS[exchange]:
            for i in range(400):
                places = draw.randint(0, 9)
                price = f"{draw.randint(1, 10 ** draw.randint(1, 12)) / 10**places:.{places}f}"
                amount = f"{draw.randint(1, 10 ** draw.randint(1, 8)) / 10 ** (places // 2):.{places // 2}f}"
                ms = T0 + 61_000 + i
                lines.append(
                    f"{exchange},{symbol},{ms * 1000},{ms * 1000 + 5_000},,{draw.choice(['buy', 'sell'])},{price},{amount}"
                )
    chunk = ("\n".join(lines) + "\n").encode()
    split = tardis_columns.split(2, chunk, TIMELINE, MAX_AHEAD_MS)
    assert split is not None and split.frames > len(lines) * 0.7  # unlisted symbols, options: the row path
    expected = row_path(2, chunk)
    out, table = read_chunk_table("tardis_csv", "f.csv", 2, chunk, TIMELINE, MAX_AHEAD_MS, len(lines))
    assert [as_bits(e) for e in import_chunks.events_of(table)] == [as_bits(e) for e in expected.events]
    assert out.letters == expected.letters


def test_a_row_of_other_cells_costs_only_itself() -> None:
    """A line of more or fewer cells than eight goes to the row path (its dead letter) alone: the
    rows around it are still read as columns."""
    rows = [f"binance-futures,BTCUSDT,{(T0 + i) * 1000},{(T0 + i) * 1000 + 900},,sell,87000.5,0.01" for i in range(50)]
    rows[20] = rows[20] + ",extra"
    rows[30] = "binance-futures,BTCUSDT"
    chunk = ("\n".join(rows) + "\n").encode()
    split = tardis_columns.split(7, chunk, TIMELINE, MAX_AHEAD_MS)
    assert split is not None and split.frames == 48
    assert [n for n, _ in split.rest] == [27, 37]
    out, table = read_chunk_table("tardis_csv", "f.csv", 7, chunk, TIMELINE, MAX_AHEAD_MS, len(rows))
    expected = row_path(7, chunk)
    assert [as_bits(e) for e in import_chunks.events_of(table)] == [as_bits(e) for e in expected.events]
    assert out.letters == expected.letters and [d.line for d in out.letters] == [27, 37]


def test_bitmex_rows_are_priced_with_the_catalogue_at_their_timestamp() -> None:
    """BitMEX rows are received at their `timestamp` (tardis.frame_of), which picks the catalogue:
    a row stamped before LISTED_AT and written down after it sizes nothing, as in the row path."""
    stamp = (LISTED_AT - 1) * 1000
    lines = [f"bitmex,{symbol},{stamp},{stamp + 9000},,buy,150.25,100" for symbol in ("NEWUSD", "SOLUSDT")]
    chunk = ("\n".join(lines) + "\n").encode()
    split = tardis_columns.split(2, chunk, TIMELINE, MAX_AHEAD_MS)
    assert split is not None and split.frames == 2
    events = import_chunks.events_of(split.events)
    assert [as_bits(e) for e in events] == [as_bits(e) for e in row_path(2, chunk).events]
    assert [(e.qty, e.usd, e.recv_ts) for e in events] == [(None, None, LISTED_AT - 1)] * 2


@pytest.mark.parametrize("exchange", ["deribit", "bitmex"])
def test_cells_written_back_as_json_numbers_are_read_as_the_parser_reads_them(exchange: str) -> None:
    """BitMEX and Deribit rows become frames with bare JSON numbers: a leading zero ("07") breaks
    the frame (a dead letter, from the row path); trailing zeros, whole numbers with a point, a
    timestamp cell with a leading zero (the synthetic id holds it as an int) read as the parser does."""
    symbol = SYMBOLS[exchange][0]
    us = (T0 + 61_000) * 1000
    cells = [
        ("87123.50", "1200", "", str(us)),
        ("87123.5", "1200.0", "abc-1", str(us)),
        ("87123.5", "12", "", f"0{us}"),
        ("087123.5", "12", "", str(us)),
        ("87123.5", "012", "", str(us)),
    ]
    lines = [
        f"{exchange},{symbol},{stamp},{us + 5000},{id_},sell,{price},{amount}" for price, amount, id_, stamp in cells
    ]
    chunk = ("\n".join(lines) + "\n").encode()
    split = tardis_columns.split(2, chunk, TIMELINE, MAX_AHEAD_MS)
    assert split is not None and [n for n, _ in split.rest] == [5, 6]
    expected = row_path(2, chunk)
    out, table = read_chunk_table("tardis_csv", "f.csv", 2, chunk, TIMELINE, MAX_AHEAD_MS, len(lines))
    assert [as_bits(e) for e in import_chunks.events_of(table)] == [as_bits(e) for e in expected.events]
    assert out.letters == expected.letters and [letter.line for letter in out.letters] == [5, 6]

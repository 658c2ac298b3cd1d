"""BitMEX: the active-liquidation table (insert/partial count, update/delete do not), order-side rule,
inverse / linear / quanto sizes, receive-time timestamps, control frames and bad frames."""

from __future__ import annotations

import json
import os
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqwatch.instruments import Catalogue, Instrument, bundled
from liqwatch.model import Liquidation
from liqwatch.venues import bitmex, bitmex_rest
from liqwatch.venues.base import BadFrame
from tests.conftest import shared_fixture
from tests.venues.golden import RECV_TS, encode

FIXTURES = Path(__file__).parent / "fixtures" / "bitmex"
CAT = bundled()
UPDATE = os.environ.get("LIQWATCH_UPDATE_GOLDEN") == "1"


def frame(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes().strip()


def events(name: str, cat: Catalogue = CAT) -> list[Liquidation]:
    return bitmex.parse(frame(name), RECV_TS, cat)


def insert(symbol: str = "XBTUSD", side: object = "Buy", price: object = 43250.5, qty: object = 12000) -> str:
    row = {"orderID": "0e2d", "symbol": symbol, "side": side, "price": price, "leavesQty": qty}
    return json.dumps({"table": "liquidation", "action": "insert", "data": [row]})


# --- golden files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_golden(path: Path) -> None:
    got = encode(bitmex.parse(path.read_bytes().strip(), RECV_TS, CAT))
    golden = path.with_suffix(".expected.jsonl")
    if UPDATE or not golden.exists():
        golden.write_text(got)
    assert got == golden.read_text()


# --- the numbers, checked by hand -------------------------------------------------------------------


def test_inverse_xbtusd_buy_closes_a_short() -> None:
    (event,) = events("insert_xbtusd_buy_short")
    # Buy = the liquidation order buys back a short. XBTUSD: 1 contract = 1 USD →
    # usd = 12000 × 1 = 12000; qty = 12000 USD / 43250.5 USD per BTC = 0.27745… BTC
    assert (event.side, event.coin, event.usd, event.price) == ("short", "BTC", 12000.0, 43250.5)
    assert event.qty == 12000 / 43250.5
    # no timestamp on the wire: ts is the receive time
    assert event.ts == event.recv_ts == RECV_TS
    assert event.coverage == "complete"
    assert event.id == "bitmex:XBTUSD:3f1c2a9e-7b4d-4e51-9a0c-2d6e8f7a1b23"


def test_linear_rows_each_give_an_event() -> None:
    btc, eth = events("insert_linear_multi")
    # XBTUSDT: 1 contract = 1/1,000,000 BTC → qty = 250000 / 1e6 = 0.25 BTC;
    # usd = 0.25 × 64123.5 = 16030.875. Sell closes a long.
    assert (btc.symbol, btc.side, btc.qty, btc.usd) == ("XBTUSDT", "long", 0.25, 16030.875)
    # ETHUSDT: 1 contract = 1/100,000 ETH → qty = 120000 / 1e5 = 1.2 ETH; usd = 1.2 × 3150.25 = 3780.3
    assert (eth.symbol, eth.coin, eth.side, eth.qty, eth.usd) == ("ETHUSDT", "ETH", "short", 1.2, 3780.3)
    assert btc.id != eth.id


def test_quanto_has_no_usd() -> None:
    (event,) = events("insert_quanto_ethusd")
    # ETHUSD is quanto: 2000 × 100 sat × 3150.25 = 0.630… XBT, which needs the XBT price → None
    assert (event.coin, event.side, event.price, event.qty, event.usd) == ("ETH", "long", 3150.25, None, None)


def test_unknown_symbol_has_no_usd() -> None:
    (event,) = events("insert_unknown_symbol")
    assert (event.symbol, event.coin, event.side, event.qty, event.usd) == ("LINKUSDT", "LINK", "short", None, None)


def test_btc_renamed_symbol_uses_the_inverse_rule() -> None:
    (event,) = events("insert_btcusd_renamed")
    # BTCUSD (if the API drops XBT): 100 contracts × 1 USD = 100 USD; qty = 100 / 97000.5
    assert (event.coin, event.side, event.usd, event.qty) == ("BTC", "long", 100.0, 100 / 97000.5)


def test_exponent_price_kept_exact() -> None:
    (event,) = events("insert_tiny_price_exponent")
    # TRXZ19 is not in the catalogue (and quoted in XBT): price kept, size unknown
    assert (event.coin, event.side, event.price, event.usd, event.qty) == ("TRX", "long", 2.17e-06, None, None)
    cat = Catalogue([Instrument("bitmex", "TRXZ19", "TRX", "linear", 1.0, "USDT")])
    (priced,) = bitmex.parse(frame("insert_tiny_price_exponent"), RECV_TS, cat)
    # 5000 × 2.17e-06 = 0.01085 exactly (a plain float product gives 0.010849999999999999)
    assert priced.usd == 0.01085


def test_partial_replay_has_the_insert_id() -> None:
    (inserted,) = events("insert_xbtusd_buy_short")
    replayed, other = events("partial_replay")
    assert replayed.id == inserted.id  # a reconnect's partial never double counts
    assert replayed == inserted
    # the second active order: Sell 3500 contracts of 1 USD = 3500 USD, long
    assert (other.side, other.usd, other.qty) == ("long", 3500.0, 3500 / 43310)


@pytest.mark.parametrize(
    "name",
    [
        "update_leavesqty",
        "delete_done",
        "partial_empty",
        "welcome",
        "subscribe_ack",
        "instrument_update",
        "error_unknown_table",
        "pong",
    ],
)
def test_control_and_follow_up_frames_give_nothing(name: str) -> None:
    assert events(name) == []


def test_same_frame_twice_same_ids() -> None:
    first = [e.id for e in events("insert_linear_multi")]
    later = [e.id for e in bitmex.parse(frame("insert_linear_multi"), RECV_TS + 60_000, CAT)]
    assert first == later


def test_catalogue_sizes_win_over_the_snapshot() -> None:
    cat = Catalogue([Instrument("bitmex", "ETHUSDT", "ETH", "linear", 1e-04, "USDT", source="rest")])
    _, eth = bitmex.parse(frame("insert_linear_multi"), RECV_TS, cat)
    # 120000 × 1e-4 = 12 ETH; 12 × 3150.25 = 37803
    assert (eth.qty, eth.usd) == (12.0, 37803.0)


# --- research samples (verbatim captures) -----------------------------------------------------------


def test_tardis_insert() -> None:
    (event,) = bitmex.parse(shared_fixture("bitmex_liquidation_insert_tardis.json"), RECV_TS, CAT)
    # Buy → short; 9214 contracts × 1 USD = 9214 USD; qty = 9214 / 10106 BTC
    assert (event.symbol, event.side, event.usd, event.price) == ("XBTUSD", "short", 9214.0, 10106.0)
    assert event.qty == 9214 / 10106
    assert event.id == "bitmex:XBTUSD:dd9cea25-207c-0dab-15b5-b88da776f500"


def test_tardis_delete() -> None:
    assert bitmex.parse(shared_fixture("bitmex_liquidation_delete_tardis.json"), RECV_TS, CAT) == []


def test_pypi_2019_insert() -> None:
    (event,) = bitmex.parse(shared_fixture("bitmex_liquidation_insert_pypi_2019.json"), RECV_TS, CAT)
    assert (event.symbol, event.coin, event.side, event.price, event.usd) == ("TRXZ19", "TRX", "short", 2.17e-06, None)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # multiplier -100000000 / underlyingToSettleMultiplier -100000000 = 1 USD per contract
        ("bitmex_instrument_XBTUSD_captured_2021.json", Instrument("bitmex", "XBTUSD", "BTC", "inverse", 1.0, "USD")),
        # quanto: multiplier 100 (satoshi per USD of price), no USD value without the XBT price
        (
            "bitmex_instrument_ETHUSD_quanto_captured_2021.json",
            Instrument("bitmex", "ETHUSD", "ETH", "quanto", 100.0, "USD"),
        ),
    ],
)
def test_captured_instruments(name: str, expected: Instrument) -> None:
    body = b"[" + shared_fixture(name).encode() + b"]"
    page = bitmex_rest.parse_instruments(bitmex_rest.instrument_requests()[0], body)
    assert page.instruments == [msgspec.structs.replace(expected, source="rest")]
    assert page.next is None


def test_subscribe_matches_the_documented_request() -> None:
    documented = json.loads(shared_fixture("bitmex_ws_subscribe_request.json"))
    (conn,) = bitmex_rest.connections(bitmex.URLS, CAT)
    sent = json.loads(conn.subscribe[0])
    assert sent["op"] == documented["op"] == "subscribe"
    assert sent["args"] == ["liquidation", "instrument:XBTUSD"]
    assert conn.url == "wss://ws.bitmex.com/realtime"


# --- instruments, connection, liveness --------------------------------------------------------------


def test_parse_instruments_linear_and_skips() -> None:
    rows = [
        {
            "symbol": "XBTUSDT",
            "rootSymbol": "XBT",
            "typ": "FFWCSX",
            "underlying": "XBT",
            "quoteCurrency": "USDT",
            "settlCurrency": "USDt",
            "isQuanto": False,
            "isInverse": False,
            "multiplier": 1,
            "underlyingToPositionMultiplier": 1000000,
            "underlyingToSettleMultiplier": None,
            "newField": {"ignored": True},
        },
        {"symbol": ".BXBT", "typ": "MRCXXX", "underlying": "XBT", "quoteCurrency": "USD", "isInverse": False},
        {"symbol": "XBTEUR", "underlying": "XBT", "quoteCurrency": "EUR", "isInverse": True, "multiplier": -100000000},
    ]
    page = bitmex_rest.parse_instruments(bitmex_rest.instrument_requests()[0], json.dumps(rows).encode())
    assert page.instruments == [Instrument("bitmex", "XBTUSDT", "BTC", "linear", 1e-06, "USDT", 1.0, "rest")]
    with pytest.raises(BadFrame):
        bitmex_rest.parse_instruments(bitmex_rest.instrument_requests()[0], b'{"error":"rate limited"}')


def test_inverse_in_another_quote_has_qty_but_no_usd() -> None:
    cat = Catalogue([Instrument("bitmex", "XBTEUR", "BTC", "inverse", 1.0, "EUR", source="rest")])
    (event,) = bitmex.parse(insert("XBTEUR", "Sell", 40000, 800), RECV_TS, cat)
    # 800 contracts × 1 EUR = 800 EUR = 0.02 BTC at 40000 EUR; no USD figure
    assert (event.qty, event.usd) == (0.02, None)


def test_companion_follows_a_rest_rename() -> None:
    renamed = Catalogue(
        [*CAT.instruments(), Instrument("bitmex", "BTCUSD", "BTC", "inverse", 1.0, "USD", source="rest")]
    )
    (conn,) = bitmex_rest.connections(bitmex.URLS, renamed)
    assert json.loads(conn.subscribe[0])["args"] == ["liquidation", "instrument:BTCUSD"]
    (override,) = bitmex_rest.connections({"realtime": "ws://127.0.0.1:9001/realtime"}, CAT)
    assert override.url == "ws://127.0.0.1:9001/realtime"


def test_derive_rule() -> None:
    assert bitmex.derive("XBTUSD") == Instrument("bitmex", "XBTUSD", "BTC", "inverse", 1.0, "USD")
    assert bitmex.derive("BTCUSD") is not None
    assert bitmex.derive("ETHUSD") is None  # quanto, not inverse: never guessed
    assert bitmex.derive("SOLUSDT") is None
    symbols = ("XBTUSD", "XBTUSDTZ24", "TRXZ19", "XBT_USDT", "1000PEPEUSDT")
    assert [bitmex.coin_of(s) for s in symbols] == [("BTC", 1), ("BTC", 1), ("TRX", 1), ("BTC", 1), ("PEPE", 1000)]
    (event,) = bitmex.parse(insert("1000PEPEUSDT", "Sell", 0.0125, 40), RECV_TS, Catalogue())
    # unlisted bundle symbol: price per PEPE = 0.0125 / 1000; size unknown
    assert (event.coin, event.price, event.qty, event.usd) == ("PEPE", 0.0125 / 1000, None, None)


def test_is_data_and_heartbeat() -> None:
    for name in ("insert_xbtusd_buy_short", "instrument_update", "update_leavesqty"):
        assert bitmex.is_data(frame(name)) and bitmex.is_data(frame(name).decode())
    for name in ("welcome", "subscribe_ack", "error_unknown_table", "pong"):
        assert not bitmex.is_data(frame(name)) and not bitmex.is_data(frame(name).decode())
    spec = bitmex.BITMEX_SPEC
    assert spec.heartbeat.ping is not None and spec.heartbeat.ping(0) == "ping"
    assert spec.heartbeat.interval_s == bitmex_rest.PING_INTERVAL_S
    assert spec.silence_s > spec.heartbeat.interval_s
    assert (spec.id, spec.coverage) == ("bitmex", "complete")


# --- bad frames ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        b"{not json",
        b"\xff\xfe",
        "[1,2,3]",
        '{"table":"liquidation","action":"insert"}',  # no data
        '{"table":"liquidation","action":"insert","data":{"orderID":"x"}}',  # data not a list
        '{"table":"liquidation","action":"insert","data":[{"orderID":"x","symbol":"XBTUSD","side":"Buy"}]}',
        '{"table":"liquidation","action":"upsert","data":[]}',  # unknown action
        '{"table":"liquidation","action":"delete","data":[{"symbol":"XBTUSD"}]}',  # no key
        '{"table":7}',
        insert(price="43250.5"),  # numbers are JSON numbers on this venue
        insert(qty=None),
        insert(side="buy"),  # unknown side value (case matters)
        insert(side=None),
        insert(price=0),
        insert(price=-1.5),
        insert(qty=0),
        insert(qty=-100),
        insert(symbol="XBTUSDT", price=1e308, qty=1e308),  # usd = qty × price overflows
    ],
)
def test_bad_frames(bad: str | bytes) -> None:
    with pytest.raises(BadFrame, match="bitmex"):
        bitmex.parse(bad, RECV_TS, CAT)


# --- fuzz ---------------------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)
rows = st.fixed_dictionaries(
    {},
    optional={
        "orderID": st.text(max_size=8) | json_scalars,
        "symbol": st.sampled_from(["XBTUSD", "XBTUSDT", "ETHUSD", "ETHUSDT", "BTCUSD", "ZZZ"]) | json_scalars,
        "side": st.sampled_from(["Buy", "Sell"]) | json_scalars,
        "price": st.floats() | st.integers() | json_scalars,
        "leavesQty": st.integers() | st.floats() | json_scalars,
    },
)
frames = st.fixed_dictionaries(
    {
        "table": st.sampled_from(["liquidation", "instrument"]) | json_scalars,
        "action": st.sampled_from(["partial", "insert", "update", "delete"]) | json_scalars,
        "data": st.lists(rows, max_size=3) | json_values,
    }
)


def parse_or_bad_frame(data: str | bytes) -> None:
    try:
        out = bitmex.parse(data, RECV_TS, CAT)
    except BadFrame:
        return
    for event in out:
        assert event.side in ("long", "short")
        assert event.usd is None or event.usd > 0
        assert event.qty is None or event.qty > 0


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=120) | st.text(max_size=120))
def test_fuzz_arbitrary_input(data: str | bytes) -> None:
    parse_or_bad_frame(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values)
def test_fuzz_arbitrary_json(value: object) -> None:
    parse_or_bad_frame(json.dumps(value))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=frames)
def test_fuzz_table_shaped_json(value: object) -> None:
    parse_or_bad_frame(json.dumps(value))

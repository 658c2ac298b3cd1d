"""Bitget UTA v3 adapter: golden fixtures, verbatim research samples, nasty cases, subscribe, fuzz."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqwatch.instruments import Catalogue, Instrument, bundled
from liqwatch.model import Liquidation
from liqwatch.venues.base import BadFrame, RestRequest
from liqwatch.venues.bitget import (
    BITGET_SPEC,
    connections,
    derive,
    is_data,
    parse,
)
from tests.conftest import shared_fixture

RECV = 1_700_000_000_000
BUNDLED = bundled()
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "bitget"


def events(frame: str | bytes, cat: Catalogue | None = None) -> list[Liquidation]:
    return parse(frame, RECV, cat if cat is not None else Catalogue())


def frame_of(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


ENTRY = {"symbol": "BTCUSDT", "side": "buy", "price": "89000", "amount": "37.722858", "ts": "1736371332162"}


def liq_frame(*entries: object, inst_type: str = "usdt-futures") -> str:
    return frame_of(
        {
            "action": "update",
            "arg": {"instType": inst_type, "topic": "liquidation"},
            "data": list(entries),
            "ts": 1736371332200,
        }
    )


# --- golden fixtures -------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_golden(path: Path) -> None:
    # Same catalogue as tests/venues/golden.py: the bundled snapshot.
    got = [msgspec.json.encode(e).decode() for e in events(path.read_bytes(), BUNDLED)]
    expected = path.with_suffix("").with_suffix(".expected.jsonl").read_text().splitlines()
    assert got == expected


def one(name: str) -> list[Liquidation]:
    return events((FIXTURES / f"{name}.json").read_bytes())


def test_usdt_futures_multi_entry_numbers() -> None:
    btc, eth = one("usdt_futures_multi")
    # side buy = a LONG position was liquidated; amount is quote (USDT) → usd = 37.722858,
    # qty = 37.722858 / 89000 BTC.
    assert (btc.side, btc.coin, btc.usd, btc.price) == ("long", "BTC", 37.722858, 89000.0)
    assert btc.qty == 37.722858 / 89000
    # sell = short; 5001 USDT / 2500.5 = 2 ETH.
    assert (eth.side, eth.coin, eth.usd, eth.qty) == ("short", "ETH", 5001.0, 2.0)
    assert btc.coverage == eth.coverage == "sampled"
    assert (btc.ts, btc.recv_ts) == (1736371332162, RECV)


def test_coin_and_usdc_futures() -> None:
    (inverse,) = one("coin_futures")
    # coin-futures BTCUSD: amount 2500 USD → usd 2500, qty = 2500 / 100000 = 0.025 BTC.
    assert (inverse.side, inverse.coin, inverse.usd, inverse.qty) == ("short", "BTC", 2500.0, 0.025)
    (usdc,) = one("usdc_futures")
    # usdc-futures BTCPERP: 1900 USDC / 95000 = 0.02 BTC.
    assert (usdc.side, usdc.coin, usdc.usd, usdc.qty) == ("long", "BTC", 1900.0, 0.02)


def test_bundled_coin() -> None:
    (pepe,) = one("prefix_1000pepe")
    # 250 USDT / 0.0125 per 1000 PEPE = 20,000 bundles = 20,000,000 PEPE; price 0.0125 / 1000.
    assert (pepe.coin, pepe.usd, pepe.qty, pepe.price) == ("PEPE", 250.0, 20_000_000.0, 0.0000125)


def test_unknown_symbol_is_unpriced() -> None:
    # One rule for every venue (venues/base.py): a symbol no rule can size is stored, unpriced.
    (ev,) = one("unknown_symbol")
    assert (ev.coin, ev.usd, ev.qty, ev.price) == ("WEIRD", None, None, 4.0)


def test_unknown_inst_type_uses_symbol_quote() -> None:
    (ev,) = events(liq_frame(ENTRY, inst_type="new-futures"))
    assert ev.usd == 37.722858
    (odd,) = events(liq_frame({**ENTRY, "symbol": "WEIRD"}, inst_type="new-futures"))
    assert (odd.usd, odd.qty) == (None, None)  # quote unknown: no USD claim


def test_catalogue_coin_is_used() -> None:
    cat = Catalogue([Instrument("bitget", "BTCUSDT", "XBTX", "linear", 1.0, "USDT")])
    (ev,) = events(liq_frame(ENTRY), cat)
    assert ev.coin == "XBTX"


@pytest.mark.parametrize("name", ["ack_subscribe", "error", "ticker", "empty_data"])
def test_control_and_companion_frames(name: str) -> None:
    assert one(name) == []


@pytest.mark.parametrize("frame", ["pong", b"pong", "pong\n", b" pong "])
def test_pong(frame: str | bytes) -> None:
    assert events(frame) == []
    assert not is_data(frame)


# --- verbatim research samples ---------------------------------------------------------------


def test_shared_doc_sample() -> None:
    (ev,) = events(shared_fixture("bitget_liquidation_uta_doc.json"))
    # buy = long; usd = amount = 37.722858 USDT; qty = 37.722858 / 89000.
    assert (ev.side, ev.coin, ev.usd, ev.qty, ev.ts) == ("long", "BTC", 37.722858, 37.722858 / 89000, 1736371332162)
    assert ev.id == "bitget:BTCUSDT:1736371332162:buy:37.722858"


def test_shared_tardis_sample() -> None:
    ape, ip = events(shared_fixture("bitget_liquidation_uta_tardis_2026.json"))
    # APE: 13.70319 / 0.1649 = 83.1 APE (a round lot: amount really is quote-denominated).
    assert (ape.side, ape.coin, ape.usd) == ("long", "APE", 13.70319)
    assert ape.qty == pytest.approx(83.1, rel=1e-12)
    # IP: 143.330431857868 / 0.500280739469 = 286.5 IP.
    assert (ip.side, ip.coin, ip.usd) == ("long", "IP", 143.330431857868)
    assert ip.qty == pytest.approx(286.5, rel=1e-12)


@pytest.mark.parametrize("name", ["bitget_ws_subscribe_ack_doc.json", "bitget_ws_subscribe_request_doc.json"])
def test_shared_control(name: str) -> None:
    frame = shared_fixture(name)
    assert events(frame) == []
    assert not is_data(frame)


# --- malformed frames ------------------------------------------------------------------------

BAD = {
    "bad json": '{"action":"update",',
    "ping text": "ping",
    "not an object": "[]",
    "no data": frame_of({"action": "update", "arg": {"instType": "usdt-futures", "topic": "liquidation"}}),
    "data is an object": liq_frame().replace('"data":[]', f'"data":{frame_of(ENTRY)}'),
    "missing amount": liq_frame({k: v for k, v in ENTRY.items() if k != "amount"}),
    "missing ts": liq_frame({k: v for k, v in ENTRY.items() if k != "ts"}),
    "amount is a number": liq_frame({**ENTRY, "amount": 37.7}),
    "ts is a number": liq_frame({**ENTRY, "ts": 1736371332162}),
    "ts not digits": liq_frame({**ENTRY, "ts": "17363713e2"}),
    "ts negative": liq_frame({**ENTRY, "ts": "-1"}),
    "ts zero": liq_frame({**ENTRY, "ts": "0"}),
    "ts huge": liq_frame({**ENTRY, "ts": "9" * 5000}),
    "ts non-ascii digits": liq_frame({**ENTRY, "ts": "١٢٣"}),
    "zero amount": liq_frame({**ENTRY, "amount": "0"}),
    "negative price": liq_frame({**ENTRY, "price": "-89000"}),
    "nan price": liq_frame({**ENTRY, "price": "NaN"}),
    "qty overflow": liq_frame({**ENTRY, "amount": "1e300", "price": "1e-300"}),
    "qty underflow": liq_frame({**ENTRY, "amount": "1e-300", "price": "1e300"}),
    "unknown side": liq_frame({**ENTRY, "side": "long"}),
    "capitalised side": liq_frame({**ENTRY, "side": "Buy"}),
    "empty symbol": liq_frame({**ENTRY, "symbol": ""}),
    "arg not an object": frame_of({"action": "update", "arg": "liquidation", "data": []}),
    "invalid utf-8": b'{"action":"\xff"}',
    "lone surrogate": '{"action":"\ud800"}',
}


@pytest.mark.parametrize("frame", BAD.values(), ids=list(BAD))
def test_bad_frames(frame: str | bytes) -> None:
    with pytest.raises(BadFrame, match=r"^bitget"):
        events(frame)


def test_price_is_read_by_value_as_text_or_number() -> None:
    # only the price's value is used (no id holds it): a JSON number gives the same event
    assert events(liq_frame({**ENTRY, "price": 89000})) == events(liq_frame(ENTRY))
    odd = liq_frame({**ENTRY, "price": 89000}, {**ENTRY, "symbol": "X"})  # the rules path too
    assert events(odd)[0] == events(liq_frame(ENTRY))[0]


def test_ids_are_stable() -> None:
    frame = (FIXTURES / "usdt_futures_multi.json").read_text()
    a = events(frame)
    b = parse(frame.encode(), RECV + 60_000, Catalogue())
    assert [e.id for e in a] == [e.id for e in b]
    assert [e.id for e in a] == [
        "bitget:BTCUSDT:1736371332162:buy:37.722858",
        "bitget:ETHUSDT:1736371332170:sell:5001",
    ]


# --- rules, connections, heartbeat -----------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "coin", "quote", "bundle"),
    [
        ("BTCUSDT", "BTC", "USDT", 1.0),
        ("BTCUSDC", "BTC", "USDC", 1.0),
        ("BTCPERP", "BTC", "USDC", 1.0),
        ("BTCUSD", "BTC", "USD", 1.0),
        ("ETHUSDZ25", "ETH", "USD", 1.0),
        ("1000PEPEUSDT", "PEPE", "USDT", 1000.0),
    ],
)
def test_derive(symbol: str, coin: str, quote: str, bundle: float) -> None:
    inst = derive(symbol)
    assert inst is not None
    assert (inst.coin, inst.quote, inst.price_unit) == (coin, quote, bundle)


@pytest.mark.parametrize("symbol", ["WEIRD", "USDT", "PERP"])
def test_derive_unknown(symbol: str) -> None:
    assert derive(symbol) is None


def test_connection_subscribes_all_inst_types_and_ticker() -> None:
    (conn,) = connections(BITGET_SPEC.urls, Catalogue())
    assert (conn.name, conn.url) == ("public", "wss://ws.bitget.com/v3/ws/public")
    (text,) = conn.subscribe
    assert json.loads(text) == {
        "op": "subscribe",
        "args": [
            {"instType": "usdt-futures", "topic": "liquidation"},
            {"instType": "coin-futures", "topic": "liquidation"},
            {"instType": "usdc-futures", "topic": "liquidation"},
            {"instType": "usdt-futures", "topic": "ticker", "symbol": "BTCUSDT"},
        ],
    }
    (override,) = connections({"public": "ws://127.0.0.1:9001/v3/ws/public"}, Catalogue())
    assert override.url == "ws://127.0.0.1:9001/v3/ws/public"


def test_heartbeat_is_data_and_spec() -> None:
    hb = BITGET_SPEC.heartbeat
    assert hb.ping is not None and hb.ping(123) == "ping" and hb.interval_s < 30
    assert BITGET_SPEC.coverage == "sampled"
    assert is_data((FIXTURES / "usdt_futures_multi.json").read_bytes())
    assert is_data((FIXTURES / "ticker.json").read_text())
    assert not is_data((FIXTURES / "ack_subscribe.json").read_text())
    assert not is_data((FIXTURES / "error.json").read_text())


def test_no_instrument_requests() -> None:
    assert BITGET_SPEC.instrument_requests() == []
    assert BITGET_SPEC.parse_instruments(RestRequest("/x"), b"{}").instruments == []


# --- fuzz ------------------------------------------------------------------------------------

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["0", "-1", "1e400", "1e-300", "89000", "37.722858", "buy", "sell", "1736371332162", "pong"]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
ENTRY_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "symbol": st.one_of(st.sampled_from(["BTCUSDT", "BTCUSD", "1000PEPEUSDT", "BTCPERP", "X"]), JSON_VALUES),
        "side": st.one_of(st.sampled_from(["buy", "sell"]), JSON_VALUES),
        "price": JSON_VALUES,
        "amount": JSON_VALUES,
        "ts": JSON_VALUES,
    },
)
ARGS = st.fixed_dictionaries(
    {},
    optional={
        "instType": st.one_of(st.sampled_from(["usdt-futures", "coin-futures", "usdc-futures"]), JSON_VALUES),
        "topic": st.one_of(st.sampled_from(["liquidation", "ticker"]), JSON_VALUES),
        "symbol": JSON_VALUES,
    },
)
FRAMES = st.fixed_dictionaries(
    {},
    optional={
        "action": st.one_of(st.sampled_from(["update", "snapshot"]), JSON_VALUES),
        "arg": st.one_of(ARGS, JSON_VALUES),
        "data": st.one_of(st.lists(ENTRY_FIELDS, max_size=3), JSON_VALUES),
        "event": JSON_VALUES,
        "ts": JSON_VALUES,
    },
)


def must_not_crash(frame: str | bytes) -> None:
    try:
        out = events(frame)
    except BadFrame:
        return
    assert isinstance(out, list)
    for ev in out:
        msgspec.json.encode(ev)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), st.binary()))
def test_fuzz_arbitrary_input(frame: str | bytes) -> None:
    must_not_crash(frame)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FRAMES)
def test_fuzz_structured_json(obj: dict[str, object]) -> None:
    text = json.dumps(obj)
    must_not_crash(text)
    must_not_crash(text.encode())

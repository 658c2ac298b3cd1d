"""Bybit v5 adapter: golden fixtures, verbatim research samples, nasty cases, REST, subscribe, fuzz."""

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
from liqwatch.venues.bybit import BYBIT_SPEC, derive, is_data, parse
from liqwatch.venues.bybit_rest import instrument_requests, parse_instruments
from liqwatch.venues.bybit_subscribe import MAX_ARGS_CHARS, connections, subscribe_messages
from tests.conftest import shared_fixture

RECV = 1_700_000_000_000
BUNDLED = bundled()
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "bybit"


def events(frame: str | bytes, cat: Catalogue | None = None) -> list[Liquidation]:
    return parse(frame, RECV, cat if cat is not None else Catalogue())


def frame_of(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


def liq_frame(*entries: dict[str, object], topic: str = "allLiquidation.BTCUSDT") -> str:
    return frame_of({"topic": topic, "type": "snapshot", "ts": 1739502303204, "data": list(entries)})


ENTRY = {"T": 1739502302929, "s": "BTCUSDT", "S": "Buy", "v": "0.288", "p": "39021.00"}


# --- golden fixtures -------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_golden(path: Path) -> None:
    # Same catalogue as tests/venues/golden.py: the bundled snapshot.
    got = [msgspec.json.encode(e).decode() for e in events(path.read_bytes(), BUNDLED)]
    expected = path.with_suffix("").with_suffix(".expected.jsonl").read_text().splitlines()
    assert got == expected


def one(name: str) -> list[Liquidation]:
    return events((FIXTURES / f"{name}.json").read_bytes())


def test_linear_multi_entry_numbers() -> None:
    first, second = one("linear_multi")
    # Buy = a LONG position was liquidated. 0.288 BTC × 39021.00 = 11238.048 USDT exactly.
    assert (first.side, first.coin, first.qty, first.usd, first.price) == ("long", "BTC", 0.288, 11238.048, 39021.0)
    # Sell = short. 1.5 × 97000.5 = 145500.75.
    assert (second.side, second.qty, second.usd) == ("short", 1.5, 145500.75)
    assert first.coverage == "complete" and first.ts == 1739502302929 and first.recv_ts == RECV


def test_inverse_numbers() -> None:
    (perp,) = one("inverse_perp")
    # BTCUSD: v = 12500 contracts of 1 USD → usd 12500; qty = 12500 / 100000 = 0.125 BTC.
    assert (perp.side, perp.coin, perp.usd, perp.qty, perp.price) == ("short", "BTC", 12500.0, 0.125, 100000.0)
    (dated,) = one("inverse_dated")
    # BTCUSDH25 (March 2025 inverse future): 3000 USD, qty = 3000 / 80000 = 0.0375 BTC.
    assert (dated.side, dated.coin, dated.usd, dated.qty) == ("long", "BTC", 3000.0, 0.0375)


def test_bundled_coins() -> None:
    (pepe,) = one("prefix_1000pepe")
    # 2500 bundles of 1000 PEPE = 2,500,000 PEPE; price 0.012345 per 1000 → 0.000012345;
    # usd = 2500 × 0.012345 = 30.8625.
    assert (pepe.coin, pepe.qty, pepe.price, pepe.usd) == ("PEPE", 2_500_000.0, 0.000012345, 30.8625)
    (mog,) = one("prefix_1000000mog")
    # 3 × 1,000,000 MOG; 1.2345 / 1e6 per MOG; usd = 3 × 1.2345 = 3.7035.
    assert (mog.coin, mog.qty, mog.price, mog.usd, mog.side) == ("MOG", 3_000_000.0, 1.2345e-6, 3.7035, "short")
    (shib,) = one("suffix_shib1000")
    # Bybit's suffix form SHIB1000USDT: 10000 × 1000 SHIB; 0.01234 / 1000; usd = 10000 × 0.01234 = 123.4.
    assert (shib.coin, shib.qty, shib.price, shib.usd) == ("SHIB", 10_000_000.0, 0.00001234, 123.4)


def test_dated_and_usdc_linear() -> None:
    (dated,) = one("linear_dated")
    # BTCUSDT-26DEC25: 0.5 × 90000.1 = 45000.05.
    assert (dated.coin, dated.qty, dated.usd) == ("BTC", 0.5, 45000.05)
    (usdc,) = one("usdc_perp")
    # ETHPERP (USDC perpetual): 0.25 × 2700.40 = 675.1.
    assert (usdc.coin, usdc.qty, usdc.usd, usdc.side) == ("ETH", 0.25, 675.1, "short")


def test_deprecated_and_legacy_frames_are_sampled() -> None:
    (old,) = one("deprecated_inverse")
    # liquidation.ETHUSD (deprecated v5): side Buy = long; 5000 USD, qty 5000 / 2500 = 2 ETH.
    assert (old.side, old.usd, old.qty, old.ts, old.coverage) == ("long", 5000.0, 2.0, 1703485299999, "sampled")
    (legacy,) = one("legacy_v2_inverse")
    # Pre-v5 frame: qty/time instead of size/updatedTime; 9001 USD, qty = 9001 / 45000.5.
    assert (legacy.side, legacy.usd, legacy.coverage) == ("long", 9001.0, "sampled")
    assert legacy.qty == 9001 / 45000.5


def test_unknown_symbol_has_no_size() -> None:
    (ev,) = one("unknown_symbol")
    assert (ev.coin, ev.usd, ev.qty, ev.price, ev.side) == ("FOOBAR", None, None, 1.5, "long")


@pytest.mark.parametrize("name", ["ack_subscribe", "ack_subscribe_failed", "pong", "tickers_delta", "empty_data"])
def test_control_and_companion_frames(name: str) -> None:
    assert one(name) == []


# --- verbatim research samples ---------------------------------------------------------------

SHARED_CASES = {
    # file: (side, coin, qty, usd, coverage) computed by hand
    "bybit_allliquidation_doc.json": ("short", "ROSE", 20000.0, 899.8, "complete"),  # 20000 × 0.04499
    "bybit_allliquidation_linear_tardis_2025.json": ("short", "PIPPIN", 2846.0, 69.89776, "complete"),  # × 0.02456
    "bybit_allliquidation_linear_tardis_type_2025.json": ("long", "KAITO", 43.0, 75.3833, "complete"),  # × 1.7531
    "bybit_liquidation_deprecated_doc.json": ("short", "BTC", 0.003, 130.5351, "sampled"),  # 0.003 × 43511.70
    "bybit_liquidation_deprecated_linear_tardis_2023.json": ("long", "GALA", 1637.0, 62.25511, "sampled"),
    # XRPUSD inverse: 6949 USD, qty = 6949 / 0.5149
    "bybit_liquidation_deprecated_inverse_tardis_2023.json": ("short", "XRP", 6949 / 0.5149, 6949.0, "sampled"),
    "bybit_liquidation_legacy_v2_tardis_2021.json": ("short", "BTC", 0.009, 406.9125, "sampled"),  # × 45212.50
}
SHARED_CONTROL = [
    "bybit_ws_subscribe_response_linear_doc.json",
    "bybit_ws_pong_linear_doc.json",
    "bybit_ws_ping_request_doc.json",
    "bybit_ws_subscribe_request_doc.json",
    "bybit_tickers_ws_linear_doc.json",
]


@pytest.mark.parametrize("name", sorted(SHARED_CASES))
def test_shared_samples(name: str) -> None:
    (ev,) = events(shared_fixture(name))
    assert (ev.side, ev.coin, ev.qty, ev.usd, ev.coverage) == SHARED_CASES[name]


@pytest.mark.parametrize("name", SHARED_CONTROL)
def test_shared_control(name: str) -> None:
    frame = shared_fixture(name)
    assert events(frame) == []
    assert is_data(frame) == ("tickers" in name)  # only the companion push is data


# --- malformed frames ------------------------------------------------------------------------

BAD = {
    "bad json": '{"topic":"allLiquidation.BTCUSDT",',
    "not an object": "[1,2,3]",
    "no data": frame_of({"topic": "allLiquidation.BTCUSDT", "ts": 1}),
    "data is an object": frame_of({"topic": "allLiquidation.BTCUSDT", "data": ENTRY}),
    "missing v": liq_frame({k: v for k, v in ENTRY.items() if k != "v"}),
    "missing side": liq_frame({k: v for k, v in ENTRY.items() if k != "S"}),
    "v is a number": liq_frame({**ENTRY, "v": 0.288}),
    "T is a string": liq_frame({**ENTRY, "T": "1739502302929"}),
    "topic not a string": frame_of({"topic": 5, "data": []}),
    "zero size": liq_frame({**ENTRY, "v": "0"}),
    "negative price": liq_frame({**ENTRY, "p": "-1"}),
    "size not a number": liq_frame({**ENTRY, "v": "abc"}),
    "infinite price": liq_frame({**ENTRY, "p": "inf"}),
    "overflowing product": liq_frame({**ENTRY, "v": "1e300", "p": "1e300"}),
    "underflowing product": liq_frame({**ENTRY, "v": "1e-200", "p": "1e-200"}),
    "overflowing inverse qty": liq_frame({**ENTRY, "s": "BTCUSD", "v": "1e300", "p": "1e-300"}),
    "unknown side": liq_frame({**ENTRY, "S": "Long"}),
    "lower-case side": liq_frame({**ENTRY, "S": "buy"}),
    "no time at all": frame_of({"topic": "allLiquidation.X", "data": [{k: v for k, v in ENTRY.items() if k != "T"}]}),
    "negative time": liq_frame({**ENTRY, "T": -5}),
    "empty symbol": liq_frame({**ENTRY, "s": ""}),
    "old topic without size": frame_of(
        {"topic": "liquidation.BTCUSDT", "data": {"symbol": "BTCUSDT", "side": "Buy", "price": "1", "updatedTime": 1}}
    ),
    "old topic without time": frame_of(
        {"topic": "liquidation.BTCUSDT", "data": {"symbol": "BTCUSDT", "side": "Buy", "price": "1", "size": "1"}}
    ),
    "old topic with a list": frame_of({"topic": "liquidation.BTCUSDT", "data": [ENTRY]}),
    "invalid utf-8": b'{"topic":"allLiquidation.\xff"}',
    "lone surrogate": '{"topic":"\ud800"}',
}


@pytest.mark.parametrize("frame", BAD.values(), ids=list(BAD))
def test_bad_frames(frame: str | bytes) -> None:
    with pytest.raises(BadFrame, match=r"^bybit"):
        events(frame)


@pytest.mark.parametrize("places", [30, 40, 70])
def test_long_decimals_never_crash(places: int) -> None:
    tiny = "0." + "0" * places + "1"
    try:
        (ev,) = events(liq_frame({**ENTRY, "v": tiny, "p": tiny}))
    except BadFrame:
        return
    assert ev.usd is not None and ev.usd > 0


def test_time_falls_back_to_push_time() -> None:
    (ev,) = events(liq_frame({k: v for k, v in ENTRY.items() if k != "T"}))
    assert ev.ts == 1739502303204
    assert ev.id == "bybit:BTCUSDT:1739502303204:Buy:0.288:39021"  # canonical decimals (venues/ids.py)


def test_ids_are_stable() -> None:
    frame = (FIXTURES / "linear_multi.json").read_text()
    a = events(frame)
    b = parse(frame.encode(), RECV + 5000, Catalogue())  # received again later, as bytes
    assert [e.id for e in a] == [e.id for e in b]
    assert a[0].id == "bybit:BTCUSDT:1739502302929:Buy:0.288:39021"  # canonical decimals (venues/ids.py)
    assert len({e.id for e in a}) == 2


# --- instrument rules and catalogue ----------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "kind", "coin", "quote", "bundle"),
    [
        ("BTCUSDT", "linear", "BTC", "USDT", 1.0),
        ("BTCUSDC", "linear", "BTC", "USDC", 1.0),
        ("BTCPERP", "linear", "BTC", "USDC", 1.0),
        ("BTCUSDT-26DEC25", "linear", "BTC", "USDT", 1.0),
        ("BTC-26DEC25", "linear", "BTC", "USDC", 1.0),
        ("10000LADYSUSDT", "linear", "LADYS", "USDT", 10000.0),
        ("SHIB1000USDT", "linear", "SHIB", "USDT", 1000.0),
        ("BTCUSD", "inverse", "BTC", "USD", 1.0),
        ("ETHUSDZ25", "inverse", "ETH", "USD", 1.0),
    ],
)
def test_derive(symbol: str, kind: str, coin: str, quote: str, bundle: float) -> None:
    inst = derive(symbol)
    assert inst is not None
    assert (inst.kind, inst.coin, inst.quote, inst.contract_size) == (kind, coin, quote, bundle)


@pytest.mark.parametrize("symbol", ["FOOBAR", "USDT", "BTC-27MAR26-70000-P", "PERP"])
def test_derive_unknown(symbol: str) -> None:
    assert derive(symbol) is None


def test_catalogue_wins_over_rule() -> None:
    # A listed instrument decides linear vs inverse even when the name would say otherwise.
    cat = Catalogue([Instrument("bybit", "ODDUSD", "ODD", "linear", 1.0, "USDT")])
    (ev,) = events(liq_frame({**ENTRY, "s": "ODDUSD", "v": "2", "p": "3.5"}), cat)
    assert (ev.usd, ev.qty, ev.coin) == (7.0, 2.0, "ODD")  # 2 × 3.5, linear


LINEAR_BODY = {
    "retCode": 0,
    "retMsg": "OK",
    "result": {
        "category": "linear",
        "list": [
            {"symbol": "BTCUSDT", "contractType": "LinearPerpetual", "status": "Trading", "baseCoin": "BTC",
             "quoteCoin": "USDT", "settleCoin": "USDT", "priceScale": "2", "lotSizeFilter": {"qtyStep": "0.001"}},
            {"symbol": "1000PEPEUSDT", "contractType": "LinearPerpetual", "status": "Trading",
             "baseCoin": "1000PEPE", "quoteCoin": "USDT", "settleCoin": "USDT"},
            {"symbol": "SHIB1000USDT", "contractType": "LinearPerpetual", "status": "Trading",
             "baseCoin": "SHIB1000", "quoteCoin": "USDT", "settleCoin": "USDT"},
            {"symbol": "ETHPERP", "contractType": "LinearPerpetual", "status": "Trading", "baseCoin": "ETH",
             "quoteCoin": "USDC", "settleCoin": "USDC"},
            {"symbol": "BTCUSDT-26DEC25", "contractType": "LinearFutures", "status": "Trading", "baseCoin": "BTC",
             "quoteCoin": "USDT", "settleCoin": "USDT"},
            {"symbol": "BTC-26DEC25-100000-C", "status": "Trading", "baseCoin": "BTC", "quoteCoin": "USDC"},
        ],
        "nextPageCursor": "first%3DBIOUSDT%26last%3DBIOUSDT",
    },
    "retExtInfo": {},
    "time": 1735809771618,
}  # fmt: skip
INVERSE_BODY = {
    "retCode": 0,
    "retMsg": "OK",
    "result": {
        "category": "inverse",
        "list": [
            {"symbol": "BTCUSD", "contractType": "InversePerpetual", "status": "Trading", "baseCoin": "BTC",
             "quoteCoin": "USD", "settleCoin": "BTC"},
            {"symbol": "BTCUSDH26", "contractType": "InverseFutures", "status": "Trading", "baseCoin": "BTC",
             "quoteCoin": "USD", "settleCoin": "BTC"},
        ],
        "nextPageCursor": "",
    },
}  # fmt: skip


def test_instrument_requests() -> None:
    reqs = instrument_requests()
    assert [r.path for r in reqs] == ["/v5/market/instruments-info"] * 2
    assert [dict(r.params) for r in reqs] == [
        {"category": "linear", "limit": "1000"},
        {"category": "inverse", "limit": "1000"},
    ]


def test_parse_instruments_linear_page() -> None:
    req = instrument_requests()[0]
    page = parse_instruments(req, json.dumps(LINEAR_BODY).encode())
    by_symbol = {i.symbol: i for i in page.instruments}
    assert set(by_symbol) == {"BTCUSDT", "1000PEPEUSDT", "SHIB1000USDT", "ETHPERP", "BTCUSDT-26DEC25"}
    pepe = by_symbol["1000PEPEUSDT"]
    assert (pepe.coin, pepe.kind, pepe.contract_size, pepe.price_unit, pepe.source) == (
        "PEPE", "linear", 1000.0, 1000.0, "rest"
    )  # fmt: skip
    assert (by_symbol["SHIB1000USDT"].coin, by_symbol["SHIB1000USDT"].contract_size) == ("SHIB", 1000.0)
    assert by_symbol["ETHPERP"].quote == "USDC"
    assert page.next == RestRequest(
        "/v5/market/instruments-info",
        {"category": "linear", "limit": "1000", "cursor": "first%3DBIOUSDT%26last%3DBIOUSDT"},
    )


def test_parse_instruments_inverse_last_page() -> None:
    page = parse_instruments(instrument_requests()[1], json.dumps(INVERSE_BODY).encode())
    assert [(i.symbol, i.kind, i.contract_size, i.quote) for i in page.instruments] == [
        ("BTCUSD", "inverse", 1.0, "USD"),
        ("BTCUSDH26", "inverse", 1.0, "USD"),
    ]
    assert page.next is None


def test_parse_instruments_error() -> None:
    body = b'{"retCode":10001,"retMsg":"params error","result":{},"time":1}'
    with pytest.raises(BadFrame):
        parse_instruments(instrument_requests()[0], body)


# --- connections, heartbeat, liveness --------------------------------------------------------


def test_default_connections() -> None:
    conns = connections(BYBIT_SPEC.urls, Catalogue())
    assert [(c.name, c.url) for c in conns] == [
        ("linear", "wss://stream.bybit.com/v5/public/linear"),
        ("inverse", "wss://stream.bybit.com/v5/public/inverse"),
    ]
    linear_args = json.loads(conns[0].subscribe[0])["args"]
    assert linear_args[0] == "tickers.BTCUSDT" and "allLiquidation.BTCUSDT" in linear_args
    inverse_args = json.loads(conns[1].subscribe[0])["args"]
    assert inverse_args[0] == "tickers.BTCUSD" and "allLiquidation.BTCUSD" in inverse_args


def test_connections_split_catalogue_by_kind() -> None:
    linear = parse_instruments(instrument_requests()[0], json.dumps(LINEAR_BODY).encode()).instruments
    inverse = parse_instruments(instrument_requests()[1], json.dumps(INVERSE_BODY).encode()).instruments
    cat = Catalogue([*linear, *inverse])
    linear_conn, inverse_conn = connections({"linear": "ws://l", "inverse": "ws://i"}, cat)
    assert linear_conn.url == "ws://l"
    assert json.loads(linear_conn.subscribe[0])["args"] == ["tickers.BTCUSDT"] + [
        f"allLiquidation.{s}" for s in sorted(i.symbol for i in linear)
    ]
    assert json.loads(inverse_conn.subscribe[0])["args"] == [
        "tickers.BTCUSD",
        "allLiquidation.BTCUSD",
        "allLiquidation.BTCUSDH26",
    ]


def test_subscribe_requests_respect_args_limit() -> None:
    topics = ["tickers.BTCUSDT"] + [f"allLiquidation.{i:07d}COINUSDT" for i in range(2000)]
    messages = subscribe_messages(topics)
    assert len(messages) > 1
    seen: list[str] = []
    for text in messages:
        msg = json.loads(text)
        assert msg["op"] == "subscribe"
        assert len(json.dumps(msg["args"], separators=(",", ":"))) <= MAX_ARGS_CHARS
        seen += msg["args"]
    assert seen == topics


def test_heartbeat_and_is_data() -> None:
    assert BYBIT_SPEC.heartbeat.interval_s == 20.0
    assert BYBIT_SPEC.heartbeat.ping is not None
    assert json.loads(BYBIT_SPEC.heartbeat.ping(0)) == {"op": "ping"}
    assert BYBIT_SPEC.coverage == "complete"
    assert is_data((FIXTURES / "linear_multi.json").read_bytes())
    assert is_data((FIXTURES / "tickers_delta.json").read_text())
    for name in ("ack_subscribe", "ack_subscribe_failed", "pong"):
        assert not is_data((FIXTURES / f"{name}.json").read_text())


# --- fuzz ------------------------------------------------------------------------------------

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["0", "-1", "1e400", "1e-400", "nan", "0.288", "39021.00", "Buy", "Sell", "1e300"]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
ENTRY_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "T": JSON_VALUES,
        "s": st.one_of(st.sampled_from(["BTCUSDT", "BTCUSD", "1000PEPEUSDT", "BTCUSDH25", "X"]), JSON_VALUES),
        "S": st.one_of(st.sampled_from(["Buy", "Sell"]), JSON_VALUES),
        "v": JSON_VALUES,
        "p": JSON_VALUES,
        "symbol": JSON_VALUES,
        "side": JSON_VALUES,
        "size": JSON_VALUES,
        "qty": JSON_VALUES,
        "price": JSON_VALUES,
        "updatedTime": JSON_VALUES,
        "time": JSON_VALUES,
    },
)
FRAMES = st.fixed_dictionaries(
    {},
    optional={
        "topic": st.one_of(st.sampled_from(["allLiquidation.BTCUSDT", "liquidation.BTCUSD", "tickers.X"]), JSON_VALUES),
        "ts": JSON_VALUES,
        "data": st.one_of(st.lists(ENTRY_FIELDS, max_size=3), ENTRY_FIELDS, JSON_VALUES),
        "op": JSON_VALUES,
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

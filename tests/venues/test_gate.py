"""Gate `futures.public_liquidates`: golden fixtures, sign/size/time rules, control frames, fuzz."""

from __future__ import annotations

import contextlib
import json
import math
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqwatch.instruments import Catalogue, Instrument, bundled
from liqwatch.model import Liquidation
from liqwatch.venues import gate, gate_rest
from liqwatch.venues.base import BadFrame, RestRequest
from tests.conftest import shared_fixture
from tests.venues.golden import FIXTURES, RECV_TS, encode

FOLDER = FIXTURES / "gate"
CAT = bundled()
AFTER = 1_787_200_009_123  # ms, after the 2026-08-20 cut-over
USDT_CONTRACTS = RestRequest("/api/v4/futures/usdt/contracts")
BTC_CONTRACTS = RestRequest("/api/v4/futures/btc/contracts")


def frame(*results: dict[str, Any]) -> str:
    push = {"time": 1787200010, "time_ms": 1787200010456, "channel": "futures.public_liquidates"}
    push |= {"event": "update", "result": list(results)}
    return json.dumps(push, separators=(",", ":"))


def liq(
    size: int | str = "-124.5", price: str = "64000.1", time: int = AFTER, contract: str = "BTC_USDT"
) -> dict[str, Any]:
    return {"price": price, "size": size, "time": time, "contract": contract}


def one(text: str | bytes, cat: Catalogue = CAT) -> Liquidation:
    events = gate.parse(text, RECV_TS, cat)
    assert len(events) == 1
    return events[0]


# --- golden fixtures (hand-written frames; expected output checked by hand) ---------------------


@pytest.mark.parametrize("path", sorted(FOLDER.glob("*.json")), ids=lambda p: p.stem)
def test_golden(path: Path) -> None:
    got = encode(gate.parse(path.read_bytes().strip(), RECV_TS, bundled()))
    assert got == path.with_suffix(".expected.jsonl").read_text()


def test_golden_numbers_aggregated_push() -> None:
    first, second = gate.parse((FOLDER / "aggregated_decimal_ms.json").read_bytes(), RECV_TS, CAT)
    # size -124.5 (a sell order) → a LONG was liquidated; BTC_USDT quanto_multiplier 0.0001 BTC:
    # qty = 124.5 × 0.0001 = 0.01245 BTC; usd = 0.01245 × 64000.1 = 796.801245
    assert (first.side, first.qty, first.usd) == ("long", 0.01245, 796.801245)
    # size +30 (a buy order) → short; qty = 30 × 0.0001 = 0.003 BTC; usd = 0.003 × 64010 = 192.03
    assert (second.side, second.qty, second.usd) == ("short", 0.003, 192.03)
    # `time` is already ms (≥ 1e12) and after 2026-08-20: every order is pushed → complete
    assert (first.ts, first.coverage, second.coverage) == (1787200009123, "complete", "complete")


def test_golden_numbers_legacy_integer_seconds() -> None:
    event = one((FOLDER / "legacy_integer_seconds.json").read_bytes())
    # time 1755000000 s (< 1e12) → 1755000000000 ms, before the cut-over → sampled (≤1/contract/s)
    assert (event.ts, event.coverage) == (1755000000000, "sampled")
    # size -37 (JSON integer) → long; ETH_USDT 0.01 ETH: qty = 0.37 ETH; usd = 0.37 × 3120.55 = 1154.6035
    assert (event.side, event.qty, event.usd) == ("long", 0.37, 1154.6035)


def test_golden_numbers_unknown_sizes() -> None:
    inverse = one((FOLDER / "btc_settled_inverse_unknown.json").read_bytes())
    # BTC_USD is BTC-settled inverse: its USD contract value is UNCONFIRMED → no size, no usd.
    assert (inverse.coin, inverse.side, inverse.qty, inverse.usd) == ("BTC", "short", None, None)
    unknown = one((FOLDER / "unknown_contract.json").read_bytes())
    assert (unknown.coin, unknown.side, unknown.qty, unknown.usd) == ("DOGE", "long", None, None)


# --- the verbatim research samples ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # (side, qty, usd, ts, coverage) per result entry, BTC_USDT 0.0001 BTC a contract.
        # 124.5 × 0.0001 = 0.01245 BTC × 215.1 = 2.677995 (research §8 rounds it to "2.678 USDT")
        # 10.5 × 0.0001 = 0.00105 BTC × 215.2 = 0.22596
        (
            "gate_public_liquidates_doc_2026-08-20_decimal.json",
            [
                ("long", 0.01245, 2.677995, 1541486601123, "sampled"),
                ("long", 0.00105, 0.22596, 1541486601456, "sampled"),
            ],
        ),
        # integer sizes: 124 × 0.0001 = 0.0124 × 215.1 = 2.66724; 10 × 0.0001 = 0.001 × 215.2 = 0.2152
        (
            "gate_public_liquidates_doc_2026-08-20_integer.json",
            [
                ("long", 0.0124, 2.66724, 1541486601123, "sampled"),
                ("long", 0.001, 0.2152, 1541486601456, "sampled"),
            ],
        ),
        # the pre-change doc: `time` in seconds → × 1000
        (
            "gate_public_liquidates_doc_pre-2026-08_decimal.json",
            [("long", 0.01245, 2.677995, 1541486601000, "sampled")],
        ),
        ("gate_public_liquidates_doc_pre-2026-08_integer.json", [("long", 0.0124, 2.66724, 1541486601000, "sampled")]),
    ],
)
def test_shared_liquidates(name: str, expected: list[tuple[str, float, float, int, str]]) -> None:
    # The doc examples date from 2018 (before the cut-over), hence "sampled".
    events = gate.parse(shared_fixture(name), RECV_TS, CAT)
    assert [(e.side, e.qty, e.usd, e.ts, e.coverage) for e in events] == expected


def test_shared_contract_rest() -> None:
    body = "[" + shared_fixture("gate_contract_BTC_USDT_rest_captured_2023.json") + "]"
    page = gate_rest.parse_instruments(USDT_CONTRACTS, body.encode())
    assert page.instruments == [Instrument("gate", "BTC_USDT", "BTC", "linear", 0.0001, "USDT", 1.0, "rest")]


def test_shared_contract_info_push() -> None:
    text = shared_fixture("gate_contract_info_ws_doc_2026.json")
    assert gate.parse(text, RECV_TS, CAT) == []
    assert gate_rest.parse_contract_info(text) == [
        Instrument("gate", "BTC_USDT", "BTC", "linear", 0.0001, "USDT", 1.0, "rest")
    ]


def test_shared_subscribe_request_shape() -> None:
    doc = json.loads(shared_fixture("gate_ws_contract_info_subscribe_doc.json"))
    ours = json.loads(gate_rest.subscribe_frame("futures.contract_info", ["BTC_USDT"]))
    assert set(ours) == set(doc) and ours["event"] == doc["event"] and ours["payload"] == doc["payload"]


# --- rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "side"),
    [("-1", "long"), (-1, "long"), ("2.5", "short"), (7, "short"), ("-0.001", "long")],
)
def test_sign_rule(size: int | str, side: str) -> None:
    # UNCONFIRMED convention: negative size = sell liquidation order = a long closed.
    assert one(frame(liq(size=size))).side == side
    assert gate.NEGATIVE_SIZE_SIDE == "long" and gate.POSITIVE_SIZE_SIDE == "short"


@pytest.mark.parametrize(
    ("time", "ts", "coverage"),
    [
        (1787183999, 1787183999000, "sampled"),  # seconds, one second before the cut-over
        (1787184000, 1787184000000, "complete"),  # seconds, exactly 2026-08-20 00:00 UTC
        (1787183999999, 1787183999999, "sampled"),  # ms, 1 ms before
        (1787184000000, 1787184000000, "complete"),
    ],
)
def test_time_units_and_cut_over(time: int, ts: int, coverage: str) -> None:
    event = one(frame(liq(time=time)))
    assert (event.ts, event.coverage) == (ts, coverage)


def test_multiplier_prefixed_contract() -> None:
    contracts = [
        {"name": "1000PEPE_USDT", "type": "direct", "quanto_multiplier": "10"},
        {"name": "BTC_USD", "type": "inverse", "quanto_multiplier": "0"},  # value UNCONFIRMED: skipped
        {"name": "ETH_USDT", "type": "direct", "quanto_multiplier": None},
    ]
    page = gate_rest.parse_instruments(USDT_CONTRACTS, json.dumps(contracts).encode())
    (inst,) = page.instruments
    # one contract = 10 bundles of 1000 PEPE; prices are per 1000 PEPE
    assert (inst.coin, inst.contract_size, inst.price_unit) == ("PEPE", 10000.0, 1000.0)
    event = one(frame(liq(size="-3", price="0.0123", contract="1000PEPE_USDT")), Catalogue([inst]))
    # qty = 3 × 10000 = 30000 PEPE; price 0.0123 / 1000 per PEPE; usd = 3 × 10 × 0.0123 = 0.369
    assert (event.coin, event.qty) == ("PEPE", 30000.0)
    assert event.price == pytest.approx(0.0000123)
    assert event.usd == pytest.approx(0.369)


def test_inverse_with_a_known_contract_value() -> None:
    cat = Catalogue([Instrument("gate", "BTC_USD", "BTC", "inverse", 1.0, "USD", 1.0, "rest")])
    event = one(frame(liq(size=1500, price="64000", contract="BTC_USD")), cat)
    # 1 USD a contract: usd = 1500 × 1 = 1500; qty = 1500 / 64000 = 0.0234375 BTC
    assert (event.side, event.usd, event.qty) == ("short", 1500.0, 0.0234375)


def test_inverse_contracts_listed_without_value_are_skipped() -> None:
    body = json.dumps([{"name": "BTC_USD", "type": "inverse", "quanto_multiplier": "0"}]).encode()
    assert gate_rest.parse_instruments(BTC_CONTRACTS, body).instruments == []


def test_stable_ids_across_size_formats() -> None:
    decimal = one(frame(liq(size="-124.0")))
    integer = one(frame(liq(size=-124)))
    assert decimal.id == integer.id == "gate:BTC_USDT:1787200009123:-124:64000.1"
    again = gate.parse(frame(liq(size="-124.0")).encode(), RECV_TS + 1, bundled())
    assert [e.id for e in again] == [decimal.id]


def test_contract_info_feeds_the_catalogue() -> None:
    cat = Catalogue()
    text = (FOLDER / "contract_info_push.json").read_text()
    cat.update(gate_rest.parse_contract_info(text, "usdt"))
    assert one(frame(liq()), cat).usd == 796.801245
    assert gate_rest.parse_contract_info(text, "btc") == []  # inverse: value UNCONFIRMED
    assert gate_rest.parse_contract_info((FOLDER / "subscribe_ack.json").read_text()) == []
    with pytest.raises(BadFrame):
        gate_rest.parse_contract_info('{"channel":"futures.contract_info","event":"all","result":[1]}')


# --- control frames ------------------------------------------------------------------------------


def test_is_data() -> None:
    for name in ("aggregated_decimal_ms", "tickers_companion", "empty_result", "contract_info_push"):
        raw = (FOLDER / f"{name}.json").read_bytes()
        assert gate.is_data(raw) and gate.is_data(raw.decode())
    for name in ("subscribe_ack", "pong"):
        assert not gate.is_data((FOLDER / f"{name}.json").read_text())


@pytest.mark.parametrize(
    "text",
    [
        '{"time":1,"time_ms":1,"channel":"futures.public_liquidates","event":"subscribe",'
        '"error":{"code":2,"message":"unknown contract"},"result":{"status":"fail"}}',
        '{"time":1,"channel":"futures.public_liquidates","event":"unsubscribe","result":{"status":"success"}}',
        '{"time":1,"channel":"futures.tickers","event":"update","result":[{"contract":"BTC_USD","last":"1"}]}',
    ],
)
def test_other_control_frames(text: str) -> None:
    assert gate.parse(text, RECV_TS, CAT) == []


# --- bad frames ----------------------------------------------------------------------------------


BAD = {
    "not json": "futures.pong",
    "truncated": '{"channel":"futures.public_liquidates","event":"update","result":[',
    "no result": '{"channel":"futures.public_liquidates","event":"update"}',
    "result a string": '{"channel":"futures.public_liquidates","event":"update","result":"x"}',
    "size zero": frame(liq(size=0)),
    "size zero text": frame(liq(size="-0.000")),
    "size float": frame(liq(size=1.5)),  # type: ignore[arg-type]
    "size text": frame(liq(size="ten")),
    "size exponent": frame(liq(size="1e3")),
    "size huge": frame(liq(size=10**400)),
    "price zero": frame(liq(price="0")),
    "price negative": frame(liq(price="-215.1")),
    "price a number": frame({**liq(), "price": 215.1}),
    "price nan": frame(liq(price="NaN")),
    "time zero": frame(liq(time=0)),
    "time a string": frame({**liq(), "time": "1541486601"}),
    "time huge": frame(liq(time=10**20)),
    "no contract": frame({k: v for k, v in liq().items() if k != "contract"}),
    "no size": frame({k: v for k, v in liq().items() if k != "size"}),
    "usd overflow": frame(liq(size="9" * 39, price="1e308")),
}


@pytest.mark.parametrize("text", list(BAD.values()), ids=list(BAD))
def test_bad_frames(text: str) -> None:
    with pytest.raises(BadFrame, match=r"^gate"):
        gate.parse(text, RECV_TS, CAT)


def test_bad_contracts_response() -> None:
    with pytest.raises(BadFrame):
        gate_rest.parse_instruments(USDT_CONTRACTS, b'{"label":"TOO_MANY_REQUESTS","message":"slow down"}')


# --- spec, requests, connections -----------------------------------------------------------------


def test_connections_and_heartbeat() -> None:
    spec = gate.GATE_SPEC
    usdt, btc = spec.connections(spec.urls, CAT)
    assert (usdt.url, btc.url) == ("wss://fx-ws.gateio.ws/v4/ws/usdt", "wss://fx-ws.gateio.ws/v4/ws/btc")
    # built at send time: the request carries the sending second, which Gate checks
    liquidates, tickers = (json.loads(s if isinstance(s, str) else s(1787200000999)) for s in usdt.subscribe)
    expected = {"time": 1787200000, "channel": "futures.public_liquidates", "event": "subscribe", "payload": ["!all"]}
    assert liquidates == expected
    assert tickers["channel"] == "futures.tickers" and tickers["payload"] == ["BTC_USDT"]
    btc_tickers = btc.subscribe[1]
    assert not isinstance(btc_tickers, str)
    assert json.loads(btc_tickers(0))["payload"] == ["BTC_USD"]
    assert spec.heartbeat.ping is not None
    assert json.loads(spec.heartbeat.ping(1787200000999)) == {"time": 1787200000, "channel": "futures.ping"}
    assert spec.heartbeat.interval_s == 10.0
    assert spec.coverage == "complete"


def test_instrument_requests() -> None:
    assert [r.path for r in gate_rest.instrument_requests()] == [
        "/api/v4/futures/usdt/contracts",
        "/api/v4/futures/btc/contracts",
    ]


def test_snapshot_values() -> None:
    btc = bundled().get("gate", "BTC_USDT")
    assert btc is not None and (btc.kind, btc.contract_size, btc.quote, btc.source) == (
        "linear",
        0.0001,
        "USDT",
        "snapshot",
    )


# --- fuzz ----------------------------------------------------------------------------------------


def check_never_raises_other(text: str | bytes) -> None:
    try:
        events = gate.parse(text, RECV_TS, CAT)
    except BadFrame:
        return
    for event in events:
        assert event.side in ("long", "short")
        assert event.price > 0 and math.isfinite(event.price)
        assert event.usd is None or (event.usd > 0 and math.isfinite(event.usd))
        msgspec.json.encode(event)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    st.text(max_size=12),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)
# Per result field: (valid values, invalid values).
PLAUSIBLE: dict[str, tuple[list[Any], list[Any]]] = {
    "contract": (["BTC_USDT", "ETH_USDT", "BTC_USD", "1000PEPE_USDT", "X"], ["", "_"]),
    "size": ([-124, 3, "-124.5", "30", "0.001"], [0, "0", "-0.0", "1e5", " 1", 10**40]),
    "price": (["215.1", "64000", "0.00001"], ["0", "-1", "inf", "1e400"]),
    "time": ([1541486601, 1787200009123, 1787184000], [0, -1, 10**16, 1.5]),
}


@st.composite
def gate_result(draw: st.DrawFn) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, (valid, invalid) in PLAUSIBLE.items():
        roll = draw(st.integers(0, 39))
        if roll == 0:
            continue  # missing
        if roll == 1:
            out[key] = draw(SCALARS)
        else:
            out[key] = draw(st.sampled_from(invalid if roll == 2 else valid))
    return out


@st.composite
def gate_like(draw: st.DrawFn) -> str:
    results = draw(st.lists(gate_result(), min_size=1, max_size=3))
    channel = draw(st.sampled_from(["futures.public_liquidates"] * 4 + ["futures.tickers", "futures.pong"]))
    event = draw(st.sampled_from(["update"] * 4 + ["subscribe", ""]))
    result = results if draw(st.integers(0, 4)) else draw(JSON)
    return json.dumps({"time": 1, "channel": channel, "event": event, "result": result}, allow_nan=True)


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.text(max_size=200))
def test_fuzz_text(text: str) -> None:
    check_never_raises_other(text)


@FUZZ
@given(st.binary(max_size=200))
def test_fuzz_bytes(raw: bytes) -> None:
    check_never_raises_other(raw)


@FUZZ
@given(JSON)
def test_fuzz_any_json(value: object) -> None:
    check_never_raises_other(json.dumps(value))


@FUZZ
@given(gate_like())
def test_fuzz_structured(text: str) -> None:
    check_never_raises_other(text)
    check_never_raises_other(text.encode())
    with contextlib.suppress(BadFrame):
        gate_rest.parse_contract_info(text.replace("futures.public_liquidates", "futures.contract_info"))

"""OKX `liquidation-orders`: golden fixtures, side/size rules, control frames, bad frames, fuzz."""

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
from liqwatch.venues import okx, okx_rest
from liqwatch.venues.base import BadFrame, RestRequest
from tests.conftest import shared_fixture
from tests.venues.golden import FIXTURES, RECV_TS, encode

FOLDER = FIXTURES / "okx"
CAT = bundled()


def frame(*entries: dict[str, Any], inst_type: str = "SWAP") -> str:
    push = {"arg": {"channel": "liquidation-orders", "instType": inst_type}, "data": list(entries)}
    return json.dumps(push, separators=(",", ":"))


def entry(inst_id: str, *details: dict[str, str]) -> dict[str, Any]:
    return {"instId": inst_id, "details": list(details)}


def detail(
    sz: str = "25", bk_px: str = "61234.5", side: str = "sell", pos_side: str = "net", ts: str = "1787200000123"
) -> dict[str, str]:
    return {"bkLoss": "0", "bkPx": bk_px, "ccy": "", "posSide": pos_side, "side": side, "sz": sz, "ts": ts}


def one(text: str | bytes, cat: Catalogue = CAT) -> Liquidation:
    events = okx.parse(text, RECV_TS, cat)
    assert len(events) == 1
    return events[0]


# --- golden fixtures (hand-written frames; expected output checked by hand) ---------------------


@pytest.mark.parametrize("path", sorted(FOLDER.glob("*.json")), ids=lambda p: p.stem)
def test_golden(path: Path) -> None:
    got = encode(okx.parse(path.read_bytes().strip(), RECV_TS, bundled()))
    assert got == path.with_suffix(".expected.jsonl").read_text()


def test_golden_numbers_linear_one_way() -> None:
    event = one((FOLDER / "swap_linear_one_way_sell.json").read_bytes())
    # posSide net, side sell → the sell order closed a LONG.
    assert event.side == "long"
    # BTC-USDT-SWAP ctVal 0.01 BTC, ctMult 1: qty = 25 × 0.01 = 0.25 BTC; usd = 0.25 × 61234.5 = 15308.625
    assert event.qty == 0.25
    assert event.usd == 15308.625
    assert event.price == 61234.5 and event.coin == "BTC" and event.ts == 1787200000123


def test_golden_numbers_every_entry_and_detail() -> None:
    events = okx.parse((FOLDER / "multi_entry_multi_detail.json").read_bytes(), RECV_TS, CAT)
    # two entries, the first with two details: three events (peers keep only details[0]).
    assert [(e.symbol, e.side) for e in events] == [
        ("ETH-USDT-SWAP", "long"),  # net + sell
        ("ETH-USDT-SWAP", "short"),  # net + buy
        ("BTC-USD-SWAP", "long"),  # hedge mode: posSide long wins
    ]
    # ETH-USDT-SWAP ctVal 0.1 ETH: 3 × 0.1 = 0.3 ETH, 0.3 × 3100.27 = 930.081 USD
    assert (events[0].qty, events[0].usd) == (0.3, 930.081)
    # 12 × 0.1 = 1.2 ETH, 1.2 × 3102.5 = 3723 USD
    assert (events[1].qty, events[1].usd) == (1.2, 3723.0)
    # BTC-USD-SWAP inverse, ctVal 100 USD: usd = 7 × 100 = 700, qty = 700 / 60001.7 BTC
    assert events[2].usd == 700.0
    assert events[2].qty == 700.0 / 60001.7
    assert len({e.id for e in events}) == 3


def test_golden_numbers_inverse_hedge_short() -> None:
    event = one((FOLDER / "swap_inverse_hedge_short.json").read_bytes())
    # posSide short → short; ETH-USD-SWAP 10 USD a contract: usd = 39 × 10 = 390, qty = 390 / 2500.5
    assert event.side == "short"
    assert event.usd == 390.0
    assert event.qty == 390.0 / 2500.5


def test_golden_numbers_margin_and_unknown() -> None:
    margin = one((FOLDER / "margin_base_currency.json").read_bytes())
    # MARGIN sz is base currency: qty = 0.5 BTC, usd = 0.5 × 60000.1 = 30000.05
    assert (margin.side, margin.qty, margin.usd) == ("long", 0.5, 30000.05)
    unknown = one((FOLDER / "futures_unknown_instrument.json").read_bytes())
    # XRP-USDT-261225 (linear) is not in the catalogue: the contract value is unknown → never guessed.
    assert (unknown.coin, unknown.side, unknown.qty, unknown.usd) == ("XRP", "long", None, None)
    inverse = one((FOLDER / "futures_inverse_convention.json").read_bytes())
    # XRP-USD-261225 (inverse, not listed): OKX's convention of 10 USD per non-BTC contract:
    # usd = 150 × 10 = 1500, qty = 1500 / 0.6012 XRP
    assert (inverse.side, inverse.usd, inverse.qty) == ("long", 1500.0, 1500 / 0.6012)


# --- the verbatim research samples ---------------------------------------------------------------


def test_shared_doc_sample_unknown_instrument() -> None:
    event = one(shared_fixture("okx_liquidation_orders_ws_doc.json"))
    # IOST-USDT-SWAP is not in the bundled catalogue: side and price only.
    assert event.symbol == "IOST-USDT-SWAP" and event.coin == "IOST"
    assert event.side == "short"  # posSide short
    assert (event.price, event.qty, event.usd, event.ts) == (0.007831, None, None, 1692266434010)
    assert event.id == "okx:IOST-USDT-SWAP:1692266434010:short:13:0.007831"


def test_shared_doc_sample_with_instrument() -> None:
    cat = Catalogue([Instrument("okx", "IOST-USDT-SWAP", "IOST", "linear", 10.0, "USDT")])
    event = one(shared_fixture("okx_liquidation_orders_ws_doc.json"), cat)
    # with a 10 IOST contract: qty = 13 × 10 = 130 IOST, usd = 130 × 0.007831 = 1.01803
    assert (event.qty, event.usd) == (130.0, 1.01803)


def test_shared_tardis_futures_inverse() -> None:
    # research §4: XRP-USD futures are inverse contracts of 10 USD (captured 2022).
    cat = Catalogue([Instrument("okx", "XRP-USD-230929", "XRP", "inverse", 10.0, "USD")])
    event = one(shared_fixture("okx_liquidation_orders_ws_futures_tardis_2023.json"), cat)
    # posSide short → short; usd = 39 × 10 = 390; qty = 390 / 0.55205 XRP
    assert (event.side, event.coin, event.usd, event.ts) == ("short", "XRP", 390.0, 1680173247614)
    assert event.qty == 390.0 / 0.55205


def test_shared_rest_shape() -> None:
    body = shared_fixture("okx_liquidation_orders_rest_UNVERIFIED_SHAPE.json")
    events = okx.parse_rest_liquidations(body, RECV_TS, CAT)
    ws = okx.parse(shared_fixture("okx_liquidation_orders_ws_doc.json"), RECV_TS, CAT)
    assert events == ws  # same liquidation, same id: the backfill overlapping the stream is stored once


@pytest.mark.parametrize("name", ["okx_mark_price_ws_doc.json", "okx_ws_subscribe_ack_instruments_channel_doc.json"])
def test_shared_control_frames(name: str) -> None:
    text = shared_fixture(name)
    assert okx.parse(text, RECV_TS, CAT) == []


def test_shared_subscribe_request_matches_ours() -> None:
    doc = json.loads(shared_fixture("okx_ws_subscribe_request_doc.json"))
    ours = json.loads(okx.subscribe_message())
    assert ours["op"] == doc["op"]
    assert doc["args"][0] in ours["args"]


@pytest.mark.parametrize(
    ("name", "symbol", "kind", "size", "quote"),
    [
        ("okx_instrument_BTC-USDT-SWAP_captured_2022.json", "BTC-USDT-SWAP", "linear", 0.01, "USDT"),
        ("okx_instrument_BTC-USD-SWAP_captured_2022.json", "BTC-USD-SWAP", "inverse", 100.0, "USD"),
    ],
)
def test_shared_instruments(name: str, symbol: str, kind: str, size: float, quote: str) -> None:
    body = '{"code":"0","msg":"","data":[' + shared_fixture(name) + "]}"
    page = okx_rest.parse_instruments(okx_rest.instrument_requests()[0], body.encode())
    assert page.instruments == [Instrument("okx", symbol, "BTC", kind, size, quote, 1.0, "rest")]  # type: ignore[arg-type]
    assert page.next is None


# --- rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pos_side", "side", "expected"),
    [
        ("long", "sell", "long"),
        ("short", "buy", "short"),
        ("long", "buy", "long"),  # hedge mode: posSide IS the liquidated position
        ("short", "", "short"),
        ("net", "sell", "long"),  # one-way: the sell order closed a long
        ("net", "buy", "short"),
        ("", "sell", "long"),
        ("", "buy", "short"),
    ],
)
def test_side_rule(pos_side: str, side: str, expected: str) -> None:
    assert one(frame(entry("BTC-USDT-SWAP", detail(side=side, pos_side=pos_side)))).side == expected


def test_contract_multiplier_linear_and_inverse() -> None:
    rows = [
        {
            "instId": "ABC-USDT-SWAP",
            "ctVal": "0.1",
            "ctMult": "10",
            "ctType": "linear",
            "ctValCcy": "ABC",
            "settleCcy": "USDT",
        },
        {
            "instId": "ABC-USD-SWAP",
            "ctVal": "10",
            "ctMult": "3",
            "ctType": "inverse",
            "ctValCcy": "USD",
            "settleCcy": "ABC",
        },
        {"instId": "BTC-USDT", "instType": "SPOT"},  # no contract value: skipped
    ]
    body = json.dumps({"code": "0", "msg": "", "data": rows}).encode()
    cat = Catalogue(okx_rest.parse_instruments(RestRequest("/api/v5/public/instruments"), body).instruments)
    assert len(cat) == 2
    linear = one(frame(entry("ABC-USDT-SWAP", detail(sz="2", bk_px="1.23"))), cat)
    # qty = 2 × 0.1 × 10 = 2 ABC; usd = 2 × 1.23 = 2.46
    assert (linear.qty, linear.usd) == (2.0, 2.46)
    inverse = one(frame(entry("ABC-USD-SWAP", detail(sz="5", bk_px="2.5"))), cat)
    # usd = 5 × 10 × 3 = 150; qty = 150 / 2.5 = 60 ABC
    assert (inverse.usd, inverse.qty) == (150.0, 60.0)


def test_multiplier_prefixed_coin() -> None:
    row = {
        "instId": "1000PEPE-USDT-SWAP",
        "ctVal": "10",
        "ctMult": "1",
        "ctType": "linear",
        "ctValCcy": "1000PEPE",
        "settleCcy": "USDT",
    }
    body = json.dumps({"code": "0", "data": [row]}).encode()
    (inst,) = okx_rest.parse_instruments(RestRequest("/api/v5/public/instruments"), body).instruments
    assert (inst.coin, inst.contract_size, inst.price_unit) == ("PEPE", 10000.0, 1000.0)
    event = one(frame(entry("1000PEPE-USDT-SWAP", detail(sz="3", bk_px="0.0123"))), Catalogue([inst]))
    # 3 contracts × 10 bundles × 1000 PEPE = 30000 PEPE; price 0.0123 per 1000 PEPE = 0.0000123 per PEPE
    # usd = 3 × 10 × 0.0123 = 0.369
    assert event.coin == "PEPE"
    assert event.qty == 30000.0
    assert event.price == pytest.approx(0.0000123)
    assert event.usd == pytest.approx(0.369)


def test_usdc_settlement_counts_as_usd() -> None:
    cat = Catalogue([Instrument("okx", "BTC-USDC-SWAP", "BTC", "linear", 0.0001, "USDC")])
    event = one(frame(entry("BTC-USDC-SWAP", detail(sz="40", bk_px="60000"))), cat)
    # 40 × 0.0001 = 0.004 BTC × 60000 = 240 USD
    assert (event.qty, event.usd) == (0.004, 240.0)


def test_a_catalogue_update_reprices_the_next_frame() -> None:
    # parse keeps the last catalogue's routes memo between frames; an update empties it in place
    cat = Catalogue([Instrument("okx", "BTC-USDC-SWAP", "BTC", "linear", 0.0001, "USDC")])
    memo = cat.memo("okx")
    text = frame(entry("BTC-USDC-SWAP", detail(sz="40", bk_px="60000")))
    assert one(text, cat).usd == 240.0
    cat.update([Instrument("okx", "BTC-USDC-SWAP", "BTC", "linear", 0.001, "USDC")])
    assert cat.memo("okx") is memo
    assert one(text, cat).usd == 2400.0
    assert one(text, Catalogue()).usd is None  # another catalogue: its own memo


def test_unknown_instrument_has_no_size() -> None:
    event = one(frame(entry("NEW-USDT-SWAP", detail())))
    assert (event.coin, event.qty, event.usd, event.price) == ("NEW", None, None, 61234.5)


def test_option_entries_are_skipped() -> None:
    text = frame(entry("BTC-USD-260925-70000-C", detail(bk_px="0.05")), inst_type="OPTION")
    assert okx.parse(text, RECV_TS, CAT) == []


def test_stable_ids() -> None:
    text = (FOLDER / "multi_entry_multi_detail.json").read_text()
    first = okx.parse(text, RECV_TS, CAT)
    again = okx.parse(text.encode(), RECV_TS + 5000, bundled())
    assert [e.id for e in first] == [e.id for e in again]


# --- control frames ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["pong", b"pong"])
def test_pong(text: str | bytes) -> None:
    assert okx.parse(text, RECV_TS, CAT) == []
    assert not okx.is_data(text)


def test_is_data() -> None:
    for name in ("swap_linear_one_way_sell", "mark_price_companion", "empty_data"):
        raw = (FOLDER / f"{name}.json").read_bytes()
        assert okx.is_data(raw) and okx.is_data(raw.decode())
    for name in ("subscribe_ack", "error_event"):
        assert not okx.is_data((FOLDER / f"{name}.json").read_text())


@pytest.mark.parametrize(
    "text",
    [
        '{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade."}',
        '{"event":"unsubscribe","arg":{"channel":"liquidation-orders","instType":"SWAP"},"connId":"1"}',
        '{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"last":"1"}]}',
    ],
)
def test_other_control_frames(text: str) -> None:
    assert okx.parse(text, RECV_TS, CAT) == []


# --- bad frames ----------------------------------------------------------------------------------


BAD = {
    "not json": "ping pong",
    "truncated": '{"arg":{"channel":"liquidation-orders"',
    "not an object": "[1,2]",
    "no data": '{"arg":{"channel":"liquidation-orders","instType":"SWAP"}}',
    "data not a list": '{"arg":{"channel":"liquidation-orders","instType":"SWAP"},"data":{"instId":"x"}}',
    "no details": frame({"instId": "BTC-USDT-SWAP"}),
    "no instId": frame({"details": [detail()]}),
    "sz missing": frame(entry("BTC-USDT-SWAP", {k: v for k, v in detail().items() if k != "sz"})),
    "sz a number": frame(entry("BTC-USDT-SWAP", {**detail(), "sz": 25})),  # type: ignore[dict-item]
    "sz zero": frame(entry("BTC-USDT-SWAP", detail(sz="0"))),
    "sz negative": frame(entry("BTC-USDT-SWAP", detail(sz="-3"))),
    "sz text": frame(entry("BTC-USDT-SWAP", detail(sz="many"))),
    "bkPx zero": frame(entry("BTC-USDT-SWAP", detail(bk_px="0"))),
    "bkPx negative": frame(entry("BTC-USDT-SWAP", detail(bk_px="-1.5"))),
    "bkPx nan": frame(entry("BTC-USDT-SWAP", detail(bk_px="NaN"))),
    "bkPx inf": frame(entry("BTC-USDT-SWAP", detail(bk_px="Infinity"))),
    "unknown side": frame(entry("BTC-USDT-SWAP", detail(side="hold"))),
    "unknown posSide": frame(entry("BTC-USDT-SWAP", detail(pos_side="both"))),
    "no side one-way": frame(entry("BTC-USDT-SWAP", detail(side=""))),
    "ts not digits": frame(entry("BTC-USDT-SWAP", detail(ts="2026-08-20"))),
    "ts zero": frame(entry("BTC-USDT-SWAP", detail(ts="0"))),
    "ts huge": frame(entry("BTC-USDT-SWAP", detail(ts="9" * 5000))),
    "usd overflow": frame(entry("BTC-USDT-SWAP", detail(sz="1e300", bk_px="1e300"))),
}


@pytest.mark.parametrize("text", list(BAD.values()), ids=list(BAD))
def test_bad_frames(text: str) -> None:
    with pytest.raises(BadFrame, match=r"^okx"):
        okx.parse(text, RECV_TS, CAT)


def test_bad_rest_responses() -> None:
    with pytest.raises(BadFrame, match="50015"):
        okx.parse_rest_liquidations(
            b'{"code":"50015","msg":"Either parameter instFamily or uly is required","data":[]}', 0, CAT
        )
    with pytest.raises(BadFrame):
        okx.parse_rest_liquidations(b'{"data":[]}', 0, CAT)
    with pytest.raises(BadFrame):
        okx_rest.parse_instruments(
            okx_rest.instrument_requests()[0], b'{"code":"50011","msg":"Too Many Requests","data":[]}'
        )


# --- spec, requests, connection ------------------------------------------------------------------


def test_connection_and_heartbeat() -> None:
    spec = okx.OKX_SPEC
    (conn,) = spec.connections(spec.urls, CAT)
    assert conn.url == "wss://ws.okx.com:8443/ws/v5/public"
    args = json.loads(conn.subscribe[0])["args"]
    assert {"channel": "liquidation-orders", "instType": "SWAP"} in args
    assert {"channel": "liquidation-orders", "instType": "FUTURES"} in args
    assert {"channel": "mark-price", "instId": "BTC-USDT-SWAP"} in args
    assert spec.heartbeat.ping is not None and spec.heartbeat.ping(0) == "ping"
    assert spec.heartbeat.interval_s < 30 and spec.silence_s <= 30
    assert spec.coverage == "sampled"


def test_instrument_requests() -> None:
    assert [(r.path, dict(r.params)) for r in okx_rest.instrument_requests()] == [
        ("/api/v5/public/instruments", {"instType": "SWAP"}),
        ("/api/v5/public/instruments", {"instType": "FUTURES"}),
    ]


def test_liquidation_orders_request() -> None:
    req = okx.liquidation_orders_request("SWAP", inst_family="BTC-USDT", after="1787200000000")
    assert req.path == "/api/v5/public/liquidation-orders"
    assert dict(req.params) == {
        "instType": "SWAP",
        "limit": "100",
        "instFamily": "BTC-USDT",
        "state": "filled",
        "after": "1787200000000",
    }
    with pytest.raises(ValueError):
        okx.liquidation_orders_request("FUTURES")


def test_snapshot_values() -> None:
    cat = bundled()
    btc = cat.get("okx", "BTC-USDT-SWAP")
    assert btc is not None and (btc.kind, btc.contract_size, btc.source) == ("linear", 0.01, "snapshot")
    inverse = cat.get("okx", "BTC-USD-SWAP")
    assert inverse is not None and (inverse.kind, inverse.contract_size) == ("inverse", 100.0)


# --- fuzz ----------------------------------------------------------------------------------------


def check_never_raises_other(text: str | bytes) -> None:
    try:
        events = okx.parse(text, RECV_TS, CAT)
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
    st.sampled_from(
        ["0", "-1", "13", "0.007831", "1e400", "NaN", "sell", "buy", "long", "short", "net", "", "1692266434010"]
    ),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)
# Per detail field: (valid values, invalid values).
PLAUSIBLE = {
    "side": (["sell", "buy"], ["", "SELL", "hold"]),
    "posSide": (["net", "long", "short", ""], ["both", "LONG"]),
    "sz": (["25", "0.5", "13", "1_0", " 7 "], ["0", "-1", "1e300", "x"]),
    "bkPx": (["61234.5", "0.007831", "1e-300"], ["0", "-2", "inf", "nan"]),
    "ts": (["1787200000123", "1692266434010"], ["0", "-5", "12.5", "١٢٣", "9" * 30]),
}


def mostly(draw: st.DrawFn, plausible: st.SearchStrategy[Any]) -> Any:
    """A plausible value four times in five, else any JSON scalar."""
    return draw(SCALARS) if draw(st.integers(0, 4)) == 0 else draw(plausible)


@st.composite
def okx_detail(draw: st.DrawFn) -> dict[str, object]:
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
def okx_like(draw: st.DrawFn) -> str:
    details = draw(st.lists(okx_detail(), min_size=1, max_size=3))
    inst = mostly(draw, st.sampled_from(["BTC-USDT-SWAP", "BTC-USD-SWAP", "BTC-USDT", "X", "", "A-B-C-D-E"]))
    entries = [{"instId": inst, "details": details, "instType": mostly(draw, st.sampled_from(["", "SWAP"]))}]
    channel = draw(st.sampled_from(["liquidation-orders"] * 4 + ["mark-price"]))
    arg = {"channel": channel, "instType": mostly(draw, st.sampled_from(["SWAP", "FUTURES", "MARGIN"]))}
    data = entries if draw(st.integers(0, 4)) else draw(JSON)
    return json.dumps({"arg": arg, "data": data}, allow_nan=True)


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
@given(okx_like())
def test_fuzz_structured(text: str) -> None:
    check_never_raises_other(text)
    check_never_raises_other(text.encode())
    with contextlib.suppress(BadFrame):
        okx.parse_rest_liquidations(text.replace('"arg"', '"code":"0","x"'), RECV_TS, CAT)

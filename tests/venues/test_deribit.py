"""Deribit: liquidation-flagged trades (M / T / MT), taker-direction side rule, inverse vs linear
amounts, options skipped, JSON-RPC control frames, heartbeat replies, REST backfill, bad frames."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqwatch.instruments import Catalogue, Instrument, bundled
from liqwatch.model import Liquidation
from liqwatch.venues import deribit, deribit_rest
from liqwatch.venues.base import BadFrame
from tests.conftest import shared_fixture
from tests.venues.golden import RECV_TS, encode

FIXTURES = Path(__file__).parent / "fixtures" / "deribit"
CAT = bundled()
UPDATE = os.environ.get("LIQWATCH_UPDATE_GOLDEN") == "1"


def frame(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes().strip()


def events(name: str, cat: Catalogue = CAT) -> list[Liquidation]:
    return deribit.parse(frame(name), RECV_TS, cat)


def notification(**fields: object) -> str:
    trade: dict[str, object] = {
        "trade_id": "1",
        "instrument_name": "BTC-PERPETUAL",
        "timestamp": 1763712000000,
        "price": 67000.5,
        "amount": 1000,
        "direction": "sell",
        "liquidation": "T",
    }
    trade.update(fields)
    trade = {k: v for k, v in trade.items() if v is not ...}
    params = {"channel": "trades.future.BTC.100ms", "data": [trade]}
    return json.dumps({"jsonrpc": "2.0", "method": "subscription", "params": params})


# --- golden files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_golden(path: Path) -> None:
    got = encode(deribit.parse(path.read_bytes().strip(), RECV_TS, CAT))
    golden = path.with_suffix(".expected.jsonl")
    if UPDATE or not golden.exists():
        golden.write_text(got)
    assert got == golden.read_text()


# --- the numbers, checked by hand -------------------------------------------------------------------


def test_taker_sell_liquidated_a_long() -> None:
    (event,) = events("trade_T_sell_long")
    # T: the taker was liquidated and sold → its long was closed. Inverse: amount is USD →
    # usd = 25000; qty = 25000 / 67250.5 = 0.37174… BTC
    assert (event.side, event.coin, event.usd, event.price) == ("long", "BTC", 25000.0, 67250.5)
    assert event.qty == 25000 / 67250.5
    assert (event.ts, event.recv_ts, event.coverage) == (1763712000123, RECV_TS, "complete")
    assert event.id == "deribit:BTC-PERPETUAL:312987654:long"


def test_maker_liquidated_against_a_taker_sell_was_short() -> None:
    (event,) = events("trade_M_sell_short")
    # M: the maker was liquidated; the taker sold, so the maker bought → it closed a short. 7300 USD.
    assert (event.symbol, event.coin, event.side, event.usd) == ("ETH-PERPETUAL", "ETH", "short", 7300.0)
    assert event.qty == 7300 / 3120.45
    assert event.id == "deribit:ETH-PERPETUAL:ETH-224410871:short"


def test_both_sides_liquidated_gives_two_events() -> None:
    maker, taker = events("trade_MT_buy_both")
    # taker bought: the liquidated taker was short; the liquidated maker sold → was long. Same amount.
    assert (maker.side, maker.usd, maker.id) == ("long", 120000.0, "deribit:BTC-PERPETUAL:312987801:long")
    assert (taker.side, taker.usd, taker.id) == ("short", 120000.0, "deribit:BTC-PERPETUAL:312987801:short")
    assert maker.qty == taker.qty == 120000 / 67400


def test_linear_usdc_batch() -> None:
    btc, sol = events("trades_usdc_mixed_batch")  # the first trade is not a liquidation
    # BTC_USDC-PERPETUAL: amount is BTC → qty 0.35; usd = 0.35 × 67251 = 23537.85; T + buy → short
    assert (btc.symbol, btc.side, btc.qty, btc.usd) == ("BTC_USDC-PERPETUAL", "short", 0.35, 23537.85)
    # SOL_USDC-PERPETUAL (not in the snapshot, derived linear): 12.5 × 151.372 = 1892.15; M + buy → long
    assert (sol.coin, sol.side, sol.qty, sol.usd, sol.price) == ("SOL", "long", 12.5, 1892.15, 151.372)


def test_dated_future_is_inverse() -> None:
    (event,) = events("trade_dated_future_M_buy")
    # BTC-26DEC25: BASE-EXPIRY is an inverse future → 50000 USD; M + buy → maker sold → long
    assert (event.side, event.usd, event.qty) == ("long", 50000.0, 50000 / 68120)


def test_unknown_instrument_has_no_size() -> None:
    (event,) = events("trade_unknown_quote")
    assert (event.coin, event.side, event.qty, event.usd) == ("BTC", "long", None, None)


@pytest.mark.parametrize(
    "name",
    [
        "trade_option_skipped",
        "trades_no_liquidation",
        "trades_empty",
        "subscribe_response",
        "set_heartbeat_response",
        "heartbeat_test_request",
        "heartbeat",
        "test_response",
        "error_response",
    ],
)
def test_frames_without_liquidations(name: str) -> None:
    assert events(name) == []


def test_same_frame_twice_same_ids() -> None:
    first = [e.id for e in events("trade_MT_buy_both")]
    again = [e.id for e in deribit.parse(frame("trade_MT_buy_both").decode(), RECV_TS + 5, CAT)]
    assert first == again and len(set(first)) == 2


def test_catalogue_from_rest_wins() -> None:
    cat = Catalogue([Instrument("deribit", "SOL_USDC-PERPETUAL", "SOL", "linear", 10.0, "USDC", 10.0, "rest")])
    _, sol = events("trades_usdc_mixed_batch", cat)
    # a bundle instrument (10 SOL per unit, price per 10 SOL): qty 12.5 × 10 = 125 SOL, usd unchanged
    # (12.5 × 151.372 = 1892.15), price per SOL = 151.372 / 10 (a plain division)
    assert (sol.qty, sol.usd, sol.price) == (125.0, 1892.15, 151.372 / 10)


# --- research samples (verbatim captures) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "side", "usd", "price", "trade_id", "party", "ts"),
    [
        # T + sell → long; 1120 USD at 4469.5
        ("deribit_trades_liquidation_T_tardis_2020.json", "long", 1120.0, 4469.5, "66460463", "T", 1584058044032),
        # M + buy → maker sold → long; 2500 USD at 4458.5
        ("deribit_trades_liquidation_M_tardis_2020.json", "long", 2500.0, 4458.5, "66460626", "M", 1584058067675),
    ],
)
def test_tardis_samples(name: str, side: str, usd: float, price: float, trade_id: str, party: str, ts: int) -> None:
    (event,) = deribit.parse(shared_fixture(name), RECV_TS, CAT)
    assert (event.side, event.usd, event.price, event.ts) == (side, usd, price, ts)
    assert event.qty == usd / price
    assert event.id == f"deribit:BTC-PERPETUAL:{trade_id}:{side}"  # the liquidated side, not {party}


def test_connection_messages_match_the_documented_requests() -> None:
    (conn,) = deribit_rest.connections(deribit.URLS, CAT)
    heartbeat, subscribe = (json.loads(m) for m in conn.subscribe)
    documented_hb = json.loads(shared_fixture("deribit_ws_set_heartbeat_request.json"))
    assert (heartbeat["method"], heartbeat["params"]) == (documented_hb["method"], documented_hb["params"])
    documented_sub = json.loads(shared_fixture("deribit_ws_subscribe_request.json"))
    assert subscribe["method"] == documented_sub["method"] == "public/subscribe"
    assert subscribe["params"]["channels"][:2] == ["trades.future.BTC.100ms", "trades.future.ETH.100ms"]
    assert conn.url == "wss://www.deribit.com/ws/api/v2"


def test_heartbeat_reply() -> None:
    documented = json.loads(shared_fixture("deribit_ws_test_request_reply.json"))
    reply = deribit.DERIBIT_SPEC.heartbeat.reply
    assert reply is not None
    for request in (frame("heartbeat_test_request"), frame("heartbeat_test_request").decode()):
        answer = reply(request)
        assert answer is not None
        sent = json.loads(answer)
        assert (sent["jsonrpc"], sent["method"], sent["params"]) == ("2.0", documented["method"], {})
    for other in ("heartbeat", "trade_T_sell_long", "subscribe_response"):
        assert reply(frame(other)) is None
    assert reply(b'{"test_request"') is None  # malformed: no reply, no exception
    assert reply('"test_request"') is None


def test_is_data() -> None:
    for name in ("trade_T_sell_long", "trades_no_liquidation", "trades_empty"):
        assert deribit.is_data(frame(name)) and deribit.is_data(frame(name).decode())
    for name in ("heartbeat", "heartbeat_test_request", "subscribe_response", "test_response", "error_response"):
        assert not deribit.is_data(frame(name)) and not deribit.is_data(frame(name).decode())
    spec = deribit.DERIBIT_SPEC
    assert (spec.id, spec.coverage) == ("deribit", "complete")
    assert spec.heartbeat.ping is not None and json.loads(spec.heartbeat.ping(7))["method"] == "public/test"


# --- instruments and REST backfill ------------------------------------------------------------------


def test_parse_instruments() -> None:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "result": [
            {
                "tick_size": 0.5,
                "settlement_period": "perpetual",
                "settlement_currency": "BTC",
                "quote_currency": "USD",
                "kind": "future",
                "instrument_name": "BTC-PERPETUAL",
                "instrument_type": "reversed",
                "counter_currency": "USD",
                "contract_size": 10,
                "base_currency": "BTC",
                "state": "open",
            },
            {
                "settlement_currency": "USDC",
                "quote_currency": "USDC",
                "kind": "future",
                "instrument_name": "XRP_USDC-PERPETUAL",
                "instrument_type": "linear",
                "counter_currency": "USDC",
                "contract_size": 1,
                "base_currency": "XRP",
            },
            {"kind": "future_combo", "instrument_name": "BTC-FS-26DEC25_PERP", "base_currency": "BTC"},
            {"kind": "future", "instrument_name": "ETH-26DEC25", "base_currency": "ETH", "future_type": "reversed"},
        ],
        "usIn": 1,
        "usOut": 2,
        "usDiff": 1,
        "testnet": False,
    }
    (request,) = deribit_rest.instrument_requests()
    assert (request.path, dict(request.params)) == ("/public/get_instruments", {"currency": "any", "kind": "future"})
    page = deribit_rest.parse_instruments(request, json.dumps(body).encode())
    assert page.instruments == [
        # the REST contract_size (10 USD) is the order step; `amount` is already USD → 1.0
        Instrument("deribit", "BTC-PERPETUAL", "BTC", "inverse", 1.0, "USD", 1.0, "rest"),
        Instrument("deribit", "XRP_USDC-PERPETUAL", "XRP", "linear", 1.0, "USDC", 1.0, "rest"),
        Instrument("deribit", "ETH-26DEC25", "ETH", "inverse", 1.0, "USD", 1.0, "rest"),
    ]
    with pytest.raises(BadFrame):
        deribit_rest.parse_instruments(request, b"<html>")


def test_rest_backfill() -> None:
    body = (FIXTURES / "rest" / "trades_page.json").read_bytes()
    out = deribit.parse_rest_trades(body, RECV_TS, CAT)
    live = events("trade_T_sell_long") + events("trade_MT_buy_both")
    assert out == live  # same trade objects → same events, same ids (backfill never double counts)
    request = deribit.backfill_request("BTC", 1763712000000, 1763715600000)
    assert request.path == "/public/get_last_trades_by_currency_and_time"
    assert dict(request.params) == {
        "currency": "BTC",
        "kind": "future",
        "start_timestamp": "1763712000000",
        "end_timestamp": "1763715600000",
        "count": "1000",
        "sorting": "asc",
    }
    following = deribit.backfill_next(request, body)
    assert following is not None and following.params["start_timestamp"] == "1763712002789"
    done = json.dumps({"jsonrpc": "2.0", "result": {"trades": [], "has_more": False}})
    assert deribit.backfill_next(request, done) is None
    with pytest.raises(BadFrame, match="10028"):
        deribit.parse_rest_trades('{"jsonrpc":"2.0","error":{"code":10028,"message":"too_many_requests"}}', 1, CAT)
    with pytest.raises(BadFrame):
        deribit.parse_rest_trades('{"jsonrpc":"2.0"}', 1, CAT)


def test_derive_rule() -> None:
    assert deribit_rest.derive("BTC-PERPETUAL") == Instrument("deribit", "BTC-PERPETUAL", "BTC", "inverse", 1.0, "USD")
    assert deribit_rest.derive("ETH_USDT-PERPETUAL") == Instrument(
        "deribit", "ETH_USDT-PERPETUAL", "ETH", "linear", 1.0, "USDT", 1.0
    )
    assert deribit_rest.derive("BTC_EURR-PERPETUAL") is None
    assert deribit_rest.derive("BTC-26DEC25-100000-C") is None
    assert deribit_rest.derive("nodash") is None


# --- bad frames ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        b"{not json",
        b"\xff",
        "[]",
        '{"method":"subscription","params":{"channel":"trades.future.BTC.100ms"}}',  # no data
        '{"method":"subscription","params":{"channel":"trades.future.BTC.100ms","data":{"a":1}}}',
        '{"method":"subscription","params":"x"}',
        notification(price="67000.5"),  # numbers are JSON numbers on this venue
        notification(amount=...),  # missing
        notification(trade_id=...),
        notification(timestamp="soon"),
        notification(direction="short"),  # unknown direction
        notification(liquidation="X"),  # unknown flag
        notification(liquidation=""),
        notification(price=0),
        notification(amount=-5),
        notification(amount=0, instrument_name="BTC-26DEC25-100000-C"),  # validated before the option skip
        notification(amount=1e-300, price=1e-300, instrument_name="BTC_USDC-PERPETUAL"),  # underflow
    ],
)
def test_bad_frames(bad: str | bytes) -> None:
    with pytest.raises(BadFrame, match="deribit"):
        deribit.parse(bad, RECV_TS, CAT)


# --- fuzz ---------------------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)
trades = st.fixed_dictionaries(
    {},
    optional={
        "trade_id": st.text(max_size=6) | json_scalars,
        "instrument_name": st.sampled_from(
            ["BTC-PERPETUAL", "ETH-26DEC25", "BTC_USDC-PERPETUAL", "BTC-26DEC25-1-C", "X_Y-Z", "-", ""]
        )
        | json_scalars,
        "timestamp": st.integers() | json_scalars,
        "price": st.floats() | st.integers() | json_scalars,
        "amount": st.floats() | st.integers() | json_scalars,
        "direction": st.sampled_from(["buy", "sell"]) | json_scalars,
        "liquidation": st.sampled_from(["M", "T", "MT"]) | json_scalars,
    },
)
notifications = st.fixed_dictionaries(
    {
        "jsonrpc": st.just("2.0"),
        "method": st.sampled_from(["subscription", "heartbeat"]) | json_scalars,
        "params": st.fixed_dictionaries(
            {},
            optional={
                "channel": st.sampled_from(["trades.future.BTC.100ms", "ticker.x"]) | json_scalars,
                "data": st.lists(trades, max_size=3) | json_values,
                "type": st.sampled_from(["test_request", "heartbeat"]) | json_scalars,
            },
        )
        | json_values,
    }
)


def parse_or_bad_frame(data: str | bytes) -> None:
    try:
        out = deribit.parse(data, RECV_TS, CAT)
    except BadFrame:
        pass
    else:
        for event in out:
            assert event.side in ("long", "short")
            assert event.usd is None or event.usd > 0
            assert event.qty is None or event.qty > 0
    reply = deribit_rest.reply(data)
    assert reply is None or reply == deribit_rest.TEST_REPLY


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=120) | st.text(max_size=120))
def test_fuzz_arbitrary_input(data: str | bytes) -> None:
    parse_or_bad_frame(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values)
def test_fuzz_arbitrary_json(value: object) -> None:
    parse_or_bad_frame(json.dumps(value))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=notifications)
def test_fuzz_notification_shaped_json(value: object) -> None:
    parse_or_bad_frame(json.dumps(value))

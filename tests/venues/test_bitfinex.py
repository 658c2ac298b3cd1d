"""Bitfinex `liq:global`: rows recognised by shape (no channel state), triggers only, signed AMOUNT."""

from __future__ import annotations

import json
from typing import Any

import pytest

from liqwatch.instruments import bundled
from liqwatch.venues import bitfinex
from liqwatch.venues.base import BadFrame, RestRequest
from tests.venues.golden import RECV_TS

CAT = bundled()


def row(**fields: Any) -> list[Any]:
    values = {"pos": 145400868, "mts": 1609144352338, "symbol": "tBTCF0:USTF0", "amount": -1.7, "base": 28483.0}
    values |= {"match": 0, "liq": 28634.0} | fields
    return ["pos", values["pos"], values["mts"], None, values["symbol"], values["amount"], values["base"], None,
            values["match"], 1, None, values["liq"]]  # fmt: skip


def parse(*rows: list[Any], chan: int = 91684) -> list[Any]:
    return bitfinex.parse(json.dumps([chan, list(rows)]), RECV_TS, CAT)


def test_the_channel_id_does_not_matter_the_shape_does() -> None:
    """A journal that starts after the subscribe ack (a new day's file) imports the same events."""
    assert parse(row(), chan=91684) == parse(row(), chan=7)


def test_signed_amount_is_the_position() -> None:
    [short] = parse(row(amount=-1.7))
    [long] = parse(row(amount=2.0, pos=2))
    assert (short.side, short.qty, short.usd) == ("short", 1.7, 48677.8)
    assert (long.side, long.qty) == ("long", 2.0)


def test_matches_after_a_trigger_are_not_counted_again() -> None:
    events = parse(row(), row(match=1, amount=-0.85, mts=1609144352400), row(match=1, amount=-0.85))
    assert [e.id for e in events] == ["bitfinex:145400868:1609144352338"]


def test_quotes_that_are_not_usd_give_no_usd() -> None:
    [event] = parse(row(symbol="tETHBTC", liq=0.0251, amount=3))
    assert (event.coin, event.qty, event.usd) == ("ETH", 3.0, None)


@pytest.mark.parametrize(
    "frame",
    [
        '[91684,"hb"]',
        '{"event":"subscribed","channel":"status","chanId":91684,"key":"liq:global"}',
        '{"event":"info","code":20051,"msg":"Stop/Restart Websocket Server (please reconnect)"}',
        "[17082,[29000,12.5,29001,9.75,-120,-0.0041,29000.5,8125.3,29400,28600]]",
        "[91684,[]]",
    ],
)
def test_control_frames_and_other_channels_give_nothing(frame: str) -> None:
    assert bitfinex.parse(frame, RECV_TS, CAT) == []


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ([row(amount=0)], "non-zero"),
        ([row(liq=None, base=None)], "no price"),
        ([row(mts="soon")], "not an integer"),
        ([row()[:8]], "8 fields"),
    ],
)
def test_bad_rows_name_the_cause(rows: list[list[Any]], reason: str) -> None:
    with pytest.raises(BadFrame, match=reason):
        parse(*rows)


def test_error_events_are_bad_frames() -> None:
    with pytest.raises(BadFrame, match="10300"):
        bitfinex.parse('{"event":"error","msg":"Subscription failed (generic)","code":10300}', RECV_TS, CAT)


def test_is_data_and_subscriptions() -> None:
    assert bitfinex.is_data("[17082,[29000,12.5]]")
    assert not bitfinex.is_data('[91684,"hb"]')
    assert not bitfinex.is_data('{"event":"pong","ts":1,"cid":2}')
    [conn] = bitfinex.connections(bitfinex.URLS, CAT)
    requests = [json.loads(str(m)) for m in conn.subscribe]
    assert {"event": "subscribe", "channel": "status", "key": "liq:global"} in requests


def test_instruments_from_the_pair_lists() -> None:
    page = bitfinex.parse_instruments(RestRequest(bitfinex.FUTURES_PATH), b'[["BTCF0:USTF0","ETHF0:USTF0"]]')
    assert [(i.symbol, i.coin, i.quote) for i in page.instruments] == [
        ("tBTCF0:USTF0", "BTC", "USDT"),
        ("tETHF0:USTF0", "ETH", "USDT"),
    ]
    margin = bitfinex.parse_instruments(RestRequest(bitfinex.MARGIN_PATH), b'[["BTCUSD","DOGE:USD"]]')
    assert [(i.symbol, i.coin, i.quote) for i in margin.instruments] == [
        ("tBTCUSD", "BTC", "USD"),
        ("tDOGE:USD", "DOGE", "USD"),
    ]

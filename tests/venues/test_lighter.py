"""Lighter `trade/{market_id}`: liquidation trades only, taker side → position, venue USD, snapshots skipped."""

from __future__ import annotations

import json
from typing import Any

import pytest

from liqwatch.instruments import Catalogue, bundled
from liqwatch.venues import lighter
from liqwatch.venues.base import BadFrame, RestRequest
from tests.conftest import SHARED
from tests.venues.golden import FIXTURES, RECV_TS

FOLDER = FIXTURES / "lighter"
CAT = bundled()
CORPUS = SHARED / "data" / "tardis_node_fixtures" / "liquidation_messages.jsonl"


def liq(**fields: Any) -> dict[str, Any]:
    base = {"trade_id": 7, "trade_id_str": "7", "type": "liquidation", "market_id": 1, "size": "0.5"}
    return base | {"price": "90000.0", "usd_amount": "45000.000000", "is_maker_ask": True, "timestamp": 1796047401417}


def frame(*trades: dict[str, Any], kind: str = "update/trade", plain: tuple[dict[str, Any], ...] = ()) -> str:
    return json.dumps(
        {"type": kind, "channel": "trade:1", "nonce": 5, "trades": list(plain), "liquidation_trades": list(trades)}
    )


def test_each_liquidation_with_the_taker_as_the_liquidated_account() -> None:
    events = lighter.parse((FOLDER / "update_liquidations.json").read_bytes(), RECV_TS, CAT)
    assert [(e.symbol, e.coin, e.side, e.qty, e.usd) for e in events] == [
        ("1", "BTC", "short", 0.01664, 1519.278592),  # is_maker_ask: the taker bought, closing a short
        ("1", "BTC", "long", 2.5, 227975.0),  # the taker sold, closing a long
    ]


@pytest.mark.parametrize(("maker_ask", "position"), [(True, "short"), (False, "long")])
def test_side_from_is_maker_ask(maker_ask: bool, position: str) -> None:
    (event,) = lighter.parse(frame(liq() | {"is_maker_ask": maker_ask}), RECV_TS, CAT)
    assert event.side == position


def test_snapshot_deleverage_and_ordinary_trades_give_nothing() -> None:
    assert lighter.parse(frame(liq(), kind="subscribed/trade"), RECV_TS, CAT) == []
    assert lighter.parse(frame(liq() | {"type": "deleverage"}), RECV_TS, CAT) == []
    assert lighter.parse(frame(plain=(liq() | {"type": "trade"},)), RECV_TS, CAT) == []
    assert not lighter.is_data(frame(liq(), kind="subscribed/trade"))


def test_a_trade_in_both_lists_counts_once() -> None:
    events = lighter.parse(frame(liq(), plain=(liq(),)), RECV_TS, CAT)
    assert [e.id for e in events] == ["lighter:1:7"]


def test_usd_is_the_venue_amount_and_falls_back_to_size_times_price() -> None:
    (stated,) = lighter.parse(frame(liq()), RECV_TS, CAT)
    assert stated.usd == 45000.0
    (computed,) = lighter.parse(frame(liq() | {"usd_amount": None, "size": "0.288", "price": "39021.00"}), 1, CAT)
    assert computed.usd == 11238.048


def test_unlisted_market_has_no_usd() -> None:
    (event,) = lighter.parse(frame(liq() | {"market_id": 4242}), RECV_TS, CAT)
    assert (event.symbol, event.coin, event.qty, event.usd) == ("4242", "#4242", None, None)


@pytest.mark.parametrize(
    "bad",
    [
        {"is_maker_ask": None},
        {"size": "0"},
        {"price": "-3"},
        {"timestamp": None},
        {"market_id": None},
        {"usd_amount": "x"},
    ],
)
def test_broken_liquidation_is_a_bad_frame(bad: dict[str, Any]) -> None:
    with pytest.raises(BadFrame):
        lighter.parse(frame(liq() | bad), RECV_TS, CAT)


def test_other_messages_and_garbage() -> None:
    assert lighter.parse('{"type":"update/order_book","order_book":{"trades":1}}', 1, CAT) == []
    with pytest.raises(BadFrame):
        lighter.parse('{"type":"update/trade","liquidation_trades":{"a":1}}', 1, CAT)
    with pytest.raises(BadFrame):
        lighter.parse("not json", 1, CAT)


def test_heartbeat_answers_server_pings_only() -> None:
    assert lighter.reply('{"type":"ping"}') == '{"type":"pong"}'
    assert lighter.reply('{"type":"pong"}') is None
    assert lighter.reply((FOLDER / "update_liquidations.json").read_text()) is None


def test_connections_subscribe_every_listed_market() -> None:
    cat = Catalogue([inst for i in range(230) if (inst := lighter.instrument(i, f"C{i}", "rest"))])
    conns = lighter.connections(lighter.URLS, cat)
    assert [len(c.subscribe) for c in conns] == [100, 100, 30]
    assert json.loads(str(conns[0].subscribe[2])) == {"type": "subscribe", "channel": "trade/2"}


def test_order_books_into_the_catalogue() -> None:
    books = [
        {"symbol": "ETH", "market_id": 0, "market_type": "perp", "status": "active"},
        {"symbol": "1000PEPE", "market_id": 4, "market_type": "perp", "status": "active"},
        {"symbol": "ETH/USDC", "market_id": 2048, "market_type": "spot", "status": "active"},
    ]
    page = lighter.parse_instruments(
        RestRequest("/api/v1/orderBooks"), json.dumps({"code": 200, "order_books": books}).encode()
    )
    assert [(i.symbol, i.coin, i.contract_size, i.price_unit) for i in page.instruments] == [
        ("0", "ETH", 1.0, 1.0),
        ("4", "PEPE", 1000.0, 1000.0),
    ]


def test_recorded_frames_from_tardis_node() -> None:
    if not CORPUS.exists():
        pytest.skip(f"{CORPUS} not available (../shared is not beside the checkout)")
    records = [json.loads(line) for line in CORPUS.read_text().splitlines()]
    frames = [json.dumps(r["message"]) for r in records if r["tardis_test"].startswith("map lighter")]
    snapshot, update = frames
    assert lighter.parse(snapshot, RECV_TS, CAT) == []
    (event,) = lighter.parse(update, RECV_TS, CAT)
    # is_maker_ask true and taker_position_size_before -0.01664: a short of 0.01664 BTC closed
    assert (event.side, event.qty, event.usd, event.ts, event.id) == (
        "short",
        0.01664,
        1258.030592,
        1776687656653,
        "lighter:1:18237797923",
    )

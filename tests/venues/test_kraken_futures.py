"""Kraken Futures `trade` feed: liquidation trades only, taker side, 1 USD inverse contracts, snapshots."""

from __future__ import annotations

import json
from typing import Any

import pytest

from liqwatch.instruments import Catalogue, bundled
from liqwatch.venues import kraken_futures as kf
from liqwatch.venues import kraken_futures_rest
from liqwatch.venues.base import BadFrame, RestRequest
from tests.venues.golden import RECV_TS

CAT = bundled()


def trade(**fields: Any) -> dict[str, Any]:
    base = {"feed": "trade", "product_id": "PF_ETHUSD", "uid": "u-1", "side": "buy", "type": "liquidation"}
    return base | {"seq": 5, "time": 1_764_867_600_000, "qty": 2.5, "price": 3120.4} | fields


def parse(doc: Any, cat: Catalogue = CAT) -> list[Any]:
    return kf.parse(json.dumps(doc), RECV_TS, cat)


def test_a_buy_liquidation_closes_a_short_and_a_sell_a_long() -> None:
    [buy] = parse(trade(side="buy"))
    [sell] = parse(trade(side="sell"))
    assert (buy.side, sell.side) == ("short", "long")
    assert (buy.qty, buy.usd, buy.coin) == (2.5, 7801.0, "ETH")


def test_inverse_contracts_are_one_usd_even_unlisted() -> None:
    [event] = parse(trade(product_id="PI_SOLUSD", qty=1800, price=180.0), Catalogue())
    assert (event.coin, event.usd, event.qty) == ("SOL", 1800.0, 10.0)


def test_linear_product_missing_from_the_catalogue_is_unpriced() -> None:
    [event] = parse(trade(product_id="PF_SOLUSD"), Catalogue())
    assert (event.coin, event.qty, event.usd) == ("SOL", None, None)


@pytest.mark.parametrize("kind", ["fill", "termination", "block"])
def test_other_trade_types_are_not_liquidations(kind: str) -> None:
    assert parse(trade(type=kind)) == []


def test_snapshot_liquidations_keep_their_uid_so_a_replay_is_one_event() -> None:
    live = parse(trade(uid="abc"))
    snap = parse(
        {"feed": "trade_snapshot", "product_id": "PF_ETHUSD", "trades": [trade(uid="abc"), trade(type="fill")]}
    )
    assert [e.id for e in snap] == [e.id for e in live] == ["kraken_futures:abc"]
    assert snap == live


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (trade(side="up"), "unknown side"),
        (trade(price=0), "price must be positive"),
        (trade(qty=-1), "qty must be positive"),
        (trade(time=0), "time must be positive"),
        ({"event": "subscribed_failed", "feed": "trade", "product_ids": ["PF_NOPE"]}, "subscribed_failed"),
        ({"event": "error", "message": "Invalid product id"}, "Invalid product id"),
    ],
)
def test_bad_frames_name_the_cause(doc: Any, reason: str) -> None:
    with pytest.raises(BadFrame, match=reason):
        parse(doc)


def test_is_data_counts_live_trades_only() -> None:
    assert kf.is_data(json.dumps(trade(type="fill")))
    snapshot = json.dumps({"feed": "trade_snapshot", "product_id": "PF_ETHUSD", "trades": [trade()]})
    for frame in (snapshot, '{"feed":"heartbeat","time":1}', '{"event":"info","version":1}', "not json"):
        assert not kf.is_data(frame)


def test_subscribes_every_listed_product_and_the_heartbeat() -> None:
    [conn] = kraken_futures_rest.connections(kf.URLS, CAT)
    trade_request, ticker, heartbeat = (json.loads(m) for m in conn.subscribe if isinstance(m, str))
    assert trade_request["feed"] == "trade" and "PF_XBTUSD" in trade_request["product_ids"]
    assert ticker == {"event": "subscribe", "feed": "ticker_lite", "product_ids": ["PF_XBTUSD"]}
    assert heartbeat == {"event": "subscribe", "feed": "heartbeat"}
    assert kf.is_data('{"feed":"ticker_lite","product_id":"PF_XBTUSD","bid":94999.5,"time":1}')
    [empty] = kraken_futures_rest.connections(kf.URLS, Catalogue())
    assert json.loads(str(empty.subscribe[0]))["product_ids"] == list(kf.DEFAULT_PRODUCTS)


def test_instruments_keep_tradeable_futures_with_their_contract_size() -> None:
    body = {
        "result": "success",
        "instruments": [
            {"symbol": "PF_XBTUSD", "type": "flexible_futures", "contractSize": 1, "base": "XBT", "quote": "USD"},
            {"symbol": "PI_ETHUSD", "type": "futures_inverse", "contractSize": 1, "tradeable": True},
            {"symbol": "PF_OLDUSD", "type": "flexible_futures", "contractSize": 1, "tradeable": False},
            {"symbol": "in_xbtusd", "type": "spot index", "tradeable": False},
        ],
    }
    page = kraken_futures_rest.parse_instruments(RestRequest(kf.INSTRUMENTS_PATH), json.dumps(body).encode())
    got = {i.symbol: (i.coin, i.kind, i.contract_size, i.quote) for i in page.instruments}
    assert got == {"PF_XBTUSD": ("BTC", "linear", 1.0, "USD"), "PI_ETHUSD": ("ETH", "inverse", 1.0, "USD")}
    with pytest.raises(BadFrame, match="error"):
        kraken_futures_rest.parse_instruments(
            RestRequest(kf.INSTRUMENTS_PATH), b'{"result":"error","error":"apiLimitExceeded"}'
        )

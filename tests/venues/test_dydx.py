"""dYdX v4 `v4_trades`: liquidation trades only, taker side → position, exact USD, snapshots and ADL skipped."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from liqwatch.instruments import Catalogue, bundled
from liqwatch.venues import dydx
from liqwatch.venues.base import BadFrame, RestRequest
from tests.venues.golden import FIXTURES, RECV_TS

FOLDER = FIXTURES / "dydx"
CAT = bundled()


def trade(**fields: Any) -> dict[str, Any]:
    base = {"id": "01", "side": "SELL", "size": "0.5", "price": "90000", "type": "LIQUIDATED"}
    return base | {"createdAt": "2026-11-30T14:03:21.417Z"} | fields


def frame(*trades: dict[str, Any], kind: str = "channel_data", market: str = "BTC-USD") -> str:
    contents: Any = [{"trades": list(trades)}] if kind == "channel_batch_data" else {"trades": list(trades)}
    message = {"type": kind, "connection_id": "c", "message_id": 3, "id": market, "channel": "v4_trades"}
    return json.dumps(message | {"contents": contents})


def test_batched_frame_gives_each_liquidation_with_its_own_time_and_side() -> None:
    events = dydx.parse((FOLDER / "batched_liquidations.json").read_bytes(), RECV_TS, CAT)
    assert [(e.side, e.qty, e.usd) for e in events] == [("long", 0.0187, 1706.0758), ("short", 1.2503, 114138.01155)]
    expected_ts = datetime(2026, 11, 30, 14, 3, 22, 900_000, tzinfo=UTC).timestamp() * 1000
    assert events[1].ts == int(expected_ts)
    assert all(e.coverage == "complete" and e.coin == "BTC" for e in events)


@pytest.mark.parametrize(("side", "position"), [("SELL", "long"), ("BUY", "short")])
def test_taker_side_is_the_liquidation_order(side: str, position: str) -> None:
    (event,) = dydx.parse(frame(trade(side=side)), RECV_TS, CAT)
    assert event.side == position


@pytest.mark.parametrize("kind", ["LIMIT", "MARKET", "DELEVERAGED", "liquidated", "TWAP_SUBORDER"])
def test_other_trade_types_are_not_liquidations(kind: str) -> None:
    assert dydx.parse(frame(trade(type=kind)), RECV_TS, CAT) == []


def test_subscribe_snapshot_is_history_and_not_counted() -> None:
    snapshot = frame(trade(), kind="subscribed")
    assert dydx.parse(snapshot, RECV_TS, CAT) == []
    assert not dydx.is_data(snapshot)
    assert dydx.parse(frame(trade()), RECV_TS, CAT) != []


def test_same_trade_same_id_batched_or_not() -> None:
    (a,) = dydx.parse(frame(trade(), kind="channel_batch_data"), RECV_TS, CAT)
    (b,) = dydx.parse(frame(trade()), RECV_TS + 5, CAT)
    assert a.id == b.id == "dydx:BTC-USD:01"


def test_usd_is_the_exact_decimal_product() -> None:
    (event,) = dydx.parse(frame(trade(size="0.288", price="39021.00")), RECV_TS, CAT)
    assert event.usd == 11238.048


def test_unlisted_market_has_no_usd() -> None:
    (event,) = dydx.parse(frame(trade(), market="ZZZ-USD"), RECV_TS, Catalogue())
    assert (event.coin, event.qty, event.usd, event.price) == ("ZZZ", None, None, 90000.0)


@pytest.mark.parametrize(
    "bad",
    [
        {"side": "SHORT"},
        {"size": "0"},
        {"size": "-1"},
        {"price": "abc"},
        {"createdAt": None},
        {"createdAt": "yesterday"},
        {"id": ""},
    ],
)
def test_broken_liquidation_is_a_bad_frame(bad: dict[str, Any]) -> None:
    with pytest.raises(BadFrame):
        dydx.parse(frame(trade(**bad)), RECV_TS, CAT)


def test_other_channels_and_garbage() -> None:
    assert dydx.parse('{"type":"channel_data","channel":"v4_markets","contents":{"trades":5}}', 1, CAT) == []
    with pytest.raises(BadFrame):
        dydx.parse('{"type":"channel_data","channel":"v4_trades","contents":{"trades":5}}', 1, CAT)
    with pytest.raises(BadFrame):
        dydx.parse(b"\xff not json", 1, CAT)


def test_is_data_tells_pushes_from_acks() -> None:
    for name, data in [("block_height", True), ("batched_liquidations", True), ("connected", False), ("error", False)]:
        assert dydx.is_data((FOLDER / f"{name}.json").read_text()) is data, name


def test_connections_split_markets_and_keep_a_block_height_companion() -> None:
    cat = Catalogue([inst for i in range(70) if (inst := dydx.instrument(f"C{i:02d}-USD", "rest"))])
    conns = dydx.connections(dydx.URLS, cat)
    assert [len(c.subscribe) for c in conns] == [33, 33, 7]
    assert all(json.loads(str(c.subscribe[0])) == {"type": "subscribe", "channel": "v4_block_height"} for c in conns)
    first = json.loads(str(conns[0].subscribe[1]))
    assert first == {"type": "subscribe", "channel": "v4_trades", "id": "C00-USD", "batched": True}


def test_perpetual_markets_into_the_catalogue() -> None:
    body = json.dumps(
        {
            "markets": {
                "BTC-USD": {"ticker": "BTC-USD", "status": "ACTIVE", "atomicResolution": -10, "stepSize": "0.0001"},
                "1000PEPE-USD": {"ticker": "1000PEPE-USD", "status": "ACTIVE"},
                "ODD": {"ticker": "ODD", "status": "ACTIVE"},
            }
        }
    ).encode()
    page = dydx.parse_instruments(RestRequest("/v4/perpetualMarkets"), body)
    by_symbol = {i.symbol: i for i in page.instruments}
    assert sorted(by_symbol) == ["1000PEPE-USD", "BTC-USD"]
    assert (by_symbol["1000PEPE-USD"].coin, by_symbol["1000PEPE-USD"].contract_size) == ("PEPE", 1000.0)
    with pytest.raises(BadFrame):
        dydx.parse_instruments(RestRequest("/v4/perpetualMarkets"), b"[1,2]")

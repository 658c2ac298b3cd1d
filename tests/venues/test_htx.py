"""HTX `public.*.liquidation_orders`: gzip frames, order-side direction, contracts × contract size, pings."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest

from liqwatch.instruments import Catalogue, bundled
from liqwatch.venues import htx, htx_rest
from liqwatch.venues.base import BadFrame, RestRequest
from tests.venues.golden import RECV_TS

CAT = bundled()


def order(**fields: Any) -> dict[str, Any]:
    base = {"symbol": "ETH", "contract_code": "ETH-USDT", "direction": "buy", "offset": "close", "volume": 500}
    return base | {"price": 2446.26, "created_at": 1789670297212, "amount": 5, "trade_turnover": 12231.3} | fields


def notify(*orders: dict[str, Any]) -> str:
    topic = f"public.{orders[0]['contract_code']}.liquidation_orders"
    return json.dumps({"op": "notify", "topic": topic, "ts": 1789670297217, "data": list(orders)})


def test_gzip_frame_and_its_text_give_the_same_event() -> None:
    text = notify(order())
    [plain] = htx.parse(text, RECV_TS, CAT)
    [zipped] = htx.parse(gzip.compress(text.encode()), RECV_TS, CAT)
    assert plain == zipped
    assert (plain.side, plain.qty, plain.usd) == ("short", 5.0, 12231.3)
    assert htx.inflate(gzip.compress(text.encode())) == text


def test_numbers_as_text_or_json_give_the_same_id() -> None:
    [number] = htx.parse(notify(order(volume=500, price=2446.26)), RECV_TS, CAT)
    [text] = htx.parse(notify(order(volume="500.00", price="2446.260", created_at="1789670297212")), RECV_TS, CAT)
    assert number == text


def test_coin_margined_contracts_are_usd_and_unknown_linear_ones_unpriced() -> None:
    swap = order(contract_code="BTC-USD", symbol="BTC", direction="sell", volume=20, price=19183.8)
    [listed] = htx.parse(notify(swap), RECV_TS, CAT)
    assert (listed.side, listed.usd) == ("long", 2000.0)
    [by_spec] = htx.parse(notify(swap), RECV_TS, Catalogue())  # unlisted coin-M: 100 USD for BTC
    assert by_spec == listed
    [future] = htx.parse(notify(order(contract_code="XRP200925", symbol="XRP", volume=7, price=0.25)), RECV_TS, CAT)
    assert (future.coin, future.usd, future.qty) == ("XRP", 70.0, 280.0)  # 10 USD for every other coin
    [unknown] = htx.parse(notify(order()), RECV_TS, Catalogue())
    assert (unknown.qty, unknown.usd, unknown.coin) == (None, None, "ETH")


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (notify(order(direction="hold")), "unknown direction"),
        (notify(order(volume=0)), "volume must be positive"),
        (notify(order(price=-1)), "price must be positive"),
        ('{"op":"sub","cid":"x","topic":"public.*.nope","ts":1,"err-code":2011,"err-msg":"invalid topic"}', "2011"),
        (b"\x1f\x8b\x08\x00broken", "not gzip"),
    ],
)
def test_bad_frames_name_the_cause(frame: str | bytes, reason: str) -> None:
    with pytest.raises(BadFrame, match=reason):
        htx.parse(frame, RECV_TS, CAT)


def test_pings_are_answered_verbatim_and_count_as_life() -> None:
    assert htx.reply('{"op":"ping","ts":"1789676355591"}') == '{"op":"pong","ts":"1789676355591"}'
    assert htx.reply(gzip.compress(b'{"op":"ping","ts":1789676355591}')) == '{"op":"pong","ts":1789676355591}'
    assert htx.reply('{"ping":1492420473027}') == '{"pong":1492420473027}'
    assert htx.reply(notify(order())) is None
    assert htx.reply('{"op":"ping","ts":{"x":1}}') is None  # only a number or a string is echoed
    assert htx.is_data('{"op":"ping","ts":"1"}') and htx.is_data(notify(order()))
    assert not htx.is_data('{"op":"sub","cid":"liqwatch","topic":"public.*.liquidation_orders","err-code":0}')


def test_three_connections_subscribe_the_wildcard() -> None:
    conns = htx_rest.connections(htx.URLS, CAT)
    assert [c.name for c in conns] == ["linear", "swap", "futures"]
    assert all(json.loads(str(c.subscribe[0]))["topic"] == "public.*.liquidation_orders" for c in conns)


def test_contract_info_per_market() -> None:
    body = b'{"status":"ok","data":[{"symbol":"BTC","contract_code":"BTC-USDT","contract_size":0.001,"trade_partition":"USDT"}]}'
    [linear] = htx_rest.parse_instruments(RestRequest("/linear-swap-api/v1/swap_contract_info"), body).instruments
    assert (linear.kind, linear.contract_size, linear.quote) == ("linear", 0.001, "USDT")
    coin_m = b'{"status":"ok","data":[{"symbol":"BTC","contract_code":"BTC261225","contract_size":100.0}]}'
    [future] = htx_rest.parse_instruments(RestRequest("/api/v1/contract_contract_info"), coin_m).instruments
    assert (future.kind, future.contract_size, future.quote, future.coin) == ("inverse", 100.0, "USD", "BTC")
    with pytest.raises(BadFrame, match="error"):
        htx_rest.parse_instruments(RestRequest("/swap-api/v1/swap_contract_info"), b'{"status":"error","err_msg":"x"}')

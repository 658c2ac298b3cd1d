"""Each venue's server-side protocol, without sockets: paths, subscribe acks, pongs, snapshots,
envelopes, heartbeats — and that liqwatch's own subscribe frames are accepted by them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from liqwatch.instruments import bundled
from liqwatch.sim import encode
from liqwatch.sim import markets as mk
from liqwatch.sim.model import Push, truth
from liqwatch.sim.protocol import PATHS, PROTOCOLS, Close, Out, Session, VenueState, open_session, ticks
from liqwatch.sim.tape import PriceBook
from liqwatch.venues import REGISTRY
from tests.sim.helpers import NOW


def state(venue: str) -> VenueState:
    return VenueState(venue, PriceBook(NOW), lambda: NOW)


def session(venue: str, path: str | None = None, headers: dict[str, str] | None = None) -> Session:
    target = path if path is not None else next(iter(PATHS[venue].values()))
    opened = open_session(venue, state(venue), target, headers or {})
    assert opened is not None
    return opened


def texts(outs: list[Out], kind: str | None = None) -> list[Any]:
    return [json.loads(o.text) if o.text.startswith(("{", "[")) else o.text for o in outs if kind in (None, o.kind)]


@pytest.mark.parametrize("venue", list(REGISTRY))
def test_liqwatch_subscriptions_are_acked_and_its_pings_answered(venue: str) -> None:
    """The frames liqwatch's collector sends get the venue's acks; its heartbeat gets a pong."""
    spec = REGISTRY[venue]
    urls = {name: f"ws://127.0.0.1:1{PATHS[venue][name]}" for name in spec.urls}
    for conn in spec.connections(urls, bundled()):
        s = session(venue, PATHS[venue][conn.name])
        outs: list[Out] = []
        for message in conn.subscribe:
            outs += s.receive(message if isinstance(message, str) else message(NOW))
        errors = [t for t in texts(outs, "control") if _is_error(t)]
        assert not errors, errors
        assert s.subs, f"{venue}.{conn.name}: nothing subscribed"
        if spec.heartbeat.ping is not None:
            [pong] = s.receive(spec.heartbeat.ping(NOW))
            assert pong.kind == "pong"
            assert not spec.is_data(pong.text)
        for push in ticks(venue, s.state):  # the companion streams reach the subscriber
            if s.wants(push):
                break
        else:  # or the server's own pings are what proves the feed alive (HTX)
            beat = s.heartbeat()
            alive = isinstance(beat, list) and any(spec.is_data(out.text) for out in beat)
            assert alive, f"{venue}.{conn.name}: no companion stream subscribed"


def _is_error(doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    return bool(
        doc.get("error") or doc.get("event") == "error" or doc.get("success") is False or doc.get("status") == 400
    )


def test_binance_paths_and_envelopes() -> None:
    s = session("binance_usdm", "/market/stream")
    assert texts(s.receive('{"method":"SUBSCRIBE","params":["!forceOrder@arr"],"id":7}')) == [{"result": None, "id": 7}]
    assert texts(s.receive('{"method":"LIST_SUBSCRIPTIONS","id":8}')) == [{"result": ["!forceOrder@arr"], "id": 8}]
    assert texts(s.receive("not json"))[0]["error"]["code"] == 3
    liq = truth(mk.BY_SYMBOL[("binance_usdm", "BTCUSDT")], "long", "95000.1", "0.010", NOW)
    push = Push(NOW, "binance_usdm", "market", "!forceOrder@arr", encode.binance_payload(liq, NOW))
    assert s.wants(push)
    [framed] = s.render(push)
    assert json.loads(framed)["stream"] == "!forceOrder@arr"
    raw = session("binance_usdm", "/market/ws/!forceOrder@arr")
    assert raw.wants(push) and raw.render(push) == [push.text]
    legacy = session("binance_usdm", "/stream")  # the pre-2026 URL: acks, then silence
    assert texts(legacy.receive('{"method":"SUBSCRIBE","params":["!forceOrder@arr"],"id":1}')) == [
        {"result": None, "id": 1}
    ]
    assert not legacy.wants(push)
    combined = session("binance_coinm", "/stream?streams=!forceOrder@arr/btcusd_perp@markPrice@1s")
    assert combined.wants(push) and combined.subs == {"!forceorder@arr", "btcusd_perp@markprice@1s"}
    assert open_session("binance_usdm", state("binance_usdm"), "/nope", {}) is None


def test_bybit_acks_pongs_and_ticker_snapshots() -> None:
    s = session("bybit", "/v5/public/linear")
    outs = s.receive('{"op":"subscribe","args":["allLiquidation.BTCUSDT","tickers.BTCUSDT"]}')
    ack, snapshot = texts(outs)
    assert ack["success"] is True and ack["op"] == "subscribe" and ack["ret_msg"] == ""
    assert snapshot["topic"] == "tickers.BTCUSDT" and snapshot["type"] == "snapshot" and outs[1].kind == "data"
    bad = texts(s.receive('{"op":"subscribe","args":["allLiquidation.BTCUSD"]}'))[0]  # an inverse symbol
    assert bad["success"] is False and "BTCUSD" in bad["ret_msg"]
    pong = texts(s.receive('{"op":"ping","req_id":"42"}'))[0]
    assert pong == {"success": True, "ret_msg": "pong", "conn_id": s.conn_id, "req_id": "42", "op": "ping"}
    too_long = json.dumps({"op": "subscribe", "args": [f"allLiquidation.X{i:05d}USDT" for i in range(1200)]})
    assert "21000" in texts(s.receive(too_long))[0]["ret_msg"]


def test_okx_acks_per_arg_errors_and_first_message_replay() -> None:
    st = state("okx")
    liq = truth(mk.BY_SYMBOL[("okx", "BTC-USDT-SWAP")], "short", "95000.1", "3", NOW)
    earlier = Push(NOW, "okx", "public", "liquidation-orders:SWAP", encode.okx_frame([liq], "SWAP"), (liq,))
    st.published(earlier)
    s = open_session("okx", st, "/ws/v5/public", {})
    assert s is not None
    assert s.receive("ping") == [Out("pong", "pong")]
    outs = s.receive(
        '{"id":"9","op":"subscribe","args":[{"channel":"liquidation-orders","instType":"SWAP"},'
        '{"channel":"mark-price","instId":"BTC-USDT-SWAP"},{"channel":"nope","instType":"SWAP"}]}'
    )
    docs = texts(outs)
    assert docs[0] == {
        "id": "9",
        "event": "subscribe",
        "arg": {"channel": "liquidation-orders", "instType": "SWAP"},
        "connId": s.conn_id,
    }
    assert outs[1].text == earlier.text and outs[1].kind == "data"  # the latest push, replayed
    assert docs[2]["event"] == "subscribe" and docs[3]["arg"]["channel"] == "mark-price"  # and its first value
    assert docs[4]["event"] == "error" and docs[4]["code"] == "60018"
    business = session("okx", "/ws/v5/business")
    assert (
        texts(business.receive('{"op":"subscribe","args":[{"channel":"liquidation-orders","instType":"SWAP"}]}'))[0][
            "code"
        ]
        == "60018"
    )


def test_bitmex_welcome_acks_and_partial_of_active_orders() -> None:
    st = state("bitmex")
    liq = truth(mk.BY_SYMBOL[("bitmex", "XBTUSD")], "long", "95000.5", "9200", NOW, "order-1")
    st.published(
        Push(NOW, "bitmex", "realtime", "liquidation:XBTUSD", encode.bitmex_insert([liq]), (liq,), "insert", "order-1")
    )
    s = open_session("bitmex", st, "/realtime?subscribe=liquidation", {})
    assert s is not None
    welcome, ack, partial = texts(s.opened())
    assert welcome["info"].startswith("Welcome") and ack["success"] is True and ack["subscribe"] == "liquidation"
    assert partial["action"] == "partial" and partial["data"] == [encode.bitmex_row(liq)]
    [event] = REGISTRY["bitmex"].parse(json.dumps(partial, separators=(",", ":")), NOW, bundled())
    assert event.id == "bitmex:XBTUSD:order-1" and event.usd == 9200.0
    st.published(
        Push(NOW, "bitmex", "realtime", "liquidation:XBTUSD", encode.bitmex_delete(liq), (), "delete", "order-1")
    )
    assert st.active == {}
    assert s.receive("ping") == [Out("pong", "pong")]
    assert texts(s.receive('{"op":"subscribe","args":["nope"]}'))[0]["status"] == 400


def test_deribit_heartbeat_test_requests_and_channels() -> None:
    s = session("deribit")
    assert (
        texts(s.receive('{"jsonrpc":"2.0","id":1,"method":"public/set_heartbeat","params":{"interval":10}}'))[0][
            "result"
        ]
        == "ok"
    )
    assert s.heartbeat_s == 10
    reply = texts(
        s.receive(
            '{"jsonrpc":"2.0","id":2,"method":"public/subscribe","params":{"channels":["trades.future.BTC.raw",'
            '"trades.bogus"]}}'
        )
    )[0]
    assert reply["result"] == ["trades.future.BTC.raw"]
    beat = s.heartbeat()
    assert isinstance(beat, list) and json.loads(beat[0].text)["params"]["type"] == "test_request"
    assert REGISTRY["deribit"].heartbeat.reply is not None
    answer = REGISTRY["deribit"].heartbeat.reply(beat[0].text)  # liqwatch's answer
    assert answer is not None and s.receive(answer)[0].kind == "pong"
    assert isinstance(s.heartbeat(), list)  # answered: another test_request
    assert isinstance(s.heartbeat(), Close)  # not answered: the server closes
    push = ticks("deribit", s.state)[0]
    assert s.wants(push) and json.loads(s.render(push)[0])["params"]["channel"] == "trades.future.BTC.raw"


def test_gate_acks_pongs_and_decimal_sizes() -> None:
    s = session("gate", "/v4/ws/usdt", {"X-Gate-Size-Decimal": "1"})
    ack = texts(s.receive('{"time":0,"channel":"futures.public_liquidates","event":"subscribe","payload":["!all"]}'))[0]
    assert ack["result"] == {"status": "success"} and ack["event"] == "subscribe"
    assert not REGISTRY["gate"].is_data(json.dumps(ack))
    pong = s.receive('{"time":1,"channel":"futures.ping"}')[0]
    assert pong.kind == "pong" and json.loads(pong.text)["channel"] == "futures.pong"
    liq = truth(mk.BY_SYMBOL[("gate", "BTC_USDT")], "long", "95000.1", "124", NOW)
    push = Push(NOW, "gate", "usdt", "futures.public_liquidates:BTC_USDT", encode.gate_frame([liq], NOW), (liq,))
    assert s.wants(push)
    assert json.loads(s.render(push)[0])["result"][0]["size"] == "-124"
    plain = session("gate", "/v4/ws/usdt")
    plain.subs.add("futures.public_liquidates:!all")
    assert json.loads(plain.render(push)[0])["result"][0]["size"] == -124
    btc = session("gate", "/v4/ws/btc")
    bad = texts(btc.receive('{"time":0,"channel":"futures.tickers","event":"subscribe","payload":["BTC_USDT"]}'))[0]
    assert bad["result"] == {"status": "failed"}
    info = texts(s.receive('{"time":0,"channel":"futures.contract_info","event":"subscribe","payload":["ETH_USDT"]}'))
    from liqwatch.venues import gate

    [inst] = gate.parse_contract_info(json.dumps(info[1]))
    assert inst.contract_size == 0.01


def test_bitget_and_hyperliquid() -> None:
    s = session("bitget")
    assert s.receive("ping") == [Out("pong", "pong")]
    outs = s.receive(
        '{"op":"subscribe","args":[{"instType":"usdt-futures","topic":"ticker","symbol":"BTCUSDT"},'
        '{"instType":"spot","topic":"liquidation"}]}'
    )
    ack, snapshot, error = texts(outs)
    assert ack["event"] == "subscribe" and snapshot["arg"]["topic"] == "ticker" and error["event"] == "error"
    h = session("hyperliquid")
    assert texts(h.receive('{"method":"ping"}')) == [{"channel": "pong"}]
    response = texts(h.receive('{"method":"subscribe","subscription":{"type":"trades","coin":"BTC"}}'))[0]
    assert response["channel"] == "subscriptionResponse"
    assert any(h.wants(p) for p in ticks("hyperliquid", h.state))


def test_every_protocol_has_paths() -> None:
    assert set(PROTOCOLS) == set(PATHS)
    for venue, spec in REGISTRY.items():
        if spec.urls:  # Hyperliquid's market-wide feed is a node's files; its /ws serves the wallets only
            assert set(PATHS[venue]) == set(spec.urls), venue

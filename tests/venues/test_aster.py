"""Aster (`aster`): Binance USD-M's forceOrder payload on Aster's host (venues/aster.py)."""

from __future__ import annotations

import json

import msgspec
import pytest

from liqwatch.instruments import Catalogue, bundled
from liqwatch.venues import REGISTRY, aster, spec
from liqwatch.venues.base import BadFrame, RestRequest
from tests.conftest import SHARED

RECV = 1_764_547_200_500
ORDER = {"s": "BTCUSDT", "S": "SELL", "o": "LIMIT", "f": "IOC", "q": "0.014", "p": "9910", "ap": "9910.50"}
ORDER |= {"X": "FILLED", "l": "0.014", "z": "0.014", "T": 1764547200143}


def frame(**changes: object) -> str:
    return json.dumps({"e": "forceOrder", "E": 1764547200150, "o": {**ORDER, **changes}})


def parse(text: str, cat: Catalogue | None = None) -> list:  # type: ignore[type-arg]
    return spec("aster").parse(text, RECV, cat or bundled())


def test_registered_with_aster_urls() -> None:
    s = REGISTRY["aster"]
    assert s.urls == {"market": "wss://fstream.asterdex.com/stream"} and s.rest_base == "https://fapi.asterdex.com"
    assert s.coverage == "sampled" and "lower bounds" in s.notes
    (conn,) = s.connections(s.urls, bundled())
    request = json.loads(str(conn.subscribe[0]))
    assert request["method"] == "SUBSCRIBE" and "!forceOrder@arr" in request["params"]


def test_sell_closes_a_long_with_exact_usd_and_aster_ids() -> None:
    (event,) = parse(frame())
    assert (event.venue, event.symbol, event.coin, event.side) == ("aster", "BTCUSDT", "BTC", "long")
    assert event.usd == 138.747 and event.qty == 0.014 and event.price == 9910.5  # 0.014 × 9910.50
    assert event.id == "aster:BTCUSDT:1764547200143:SELL:0.014" and event.coverage == "sampled"
    (short,) = parse(frame(S="BUY"))
    assert short.side == "short"


def test_never_labelled_binance_whatever_the_st_field() -> None:
    wrapped = json.dumps({"stream": "!forceOrder@arr", "data": {**json.loads(frame()), "st": 2}})
    (event,) = parse(wrapped)
    assert event.venue == "aster" and event.usd == 138.747


def test_same_liquidation_same_id_whatever_the_size_text() -> None:
    (a,) = parse(frame(z="0.0140"))
    (b,) = parse(frame())
    assert a.id == b.id


@pytest.mark.parametrize(
    "bad",
    ["not json", frame(S="HOLD"), frame(z="-1"), frame(ap="0", p="0"), frame(T="soon"), '{"e":"forceOrder","o":[]}'],
)
def test_bad_frames_are_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(BadFrame):
        parse(bad)


def test_tardis_recorded_aster_message() -> None:
    corpus = SHARED / "data" / "tardis_node_fixtures" / "liquidation_messages.jsonl"
    if not corpus.exists():
        pytest.skip(f"{corpus} not available")
    messages = [json.loads(line) for line in corpus.read_text().splitlines()]
    (record,) = [m for m in messages if m["tardis_test"].startswith("map aster")]
    (event,) = parse(json.dumps(record["message"]))
    # BUY closes a short; 0.014 BTC × ap 4706.04
    assert (event.venue, event.side, event.usd, event.ts) == ("aster", "short", 65.88456, 1584059031421)


def test_instruments_from_exchange_info() -> None:
    body = {
        "symbols": [
            {"symbol": "BTCUSDT", "baseAsset": "BTC", "quoteAsset": "USDT", "contractType": "PERPETUAL"},
            {"symbol": "1000PEPEUSDT", "baseAsset": "1000PEPE", "quoteAsset": "USDT"},
            {"symbol": "ODD", "baseAsset": "", "quoteAsset": ""},
        ]
    }
    page = aster.parse_instruments(RestRequest("/fapi/v1/exchangeInfo"), msgspec.json.encode(body))
    got = {(i.symbol, i.coin, i.kind, i.contract_size, i.price_unit) for i in page.instruments}
    assert got == {("BTCUSDT", "BTC", "linear", 1.0, 1.0), ("1000PEPEUSDT", "PEPE", "linear", 1000.0, 1000.0)}
    (event,) = parse(frame(s="1000PEPEUSDT", z="1000", ap="0.005"), Catalogue(page.instruments))
    assert event.coin == "PEPE" and event.qty == 1_000_000.0 and event.usd == 5.0

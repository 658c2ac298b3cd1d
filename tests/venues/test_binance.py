"""Binance USD-M and COIN-M: side rule, USD rule, COIN-M contract sizes, the st merge, bad frames."""

from __future__ import annotations

import pytest

from liqwatch.instruments import Catalogue, Instrument
from liqwatch.venues import binance
from liqwatch.venues.base import BadFrame
from tests.conftest import shared_fixture

CAT = Catalogue()


def one(frame: str, cat: Catalogue = CAT):
    (event,) = binance.parse(frame, 5, cat)
    return event


@pytest.mark.parametrize(
    ("name", "venue", "side", "usd", "qty", "ts"),
    [
        # SELL closes a long; usd = z × ap = 0.014 × 9910
        ("binance_usdm_forceorder_doc.json", "binance_usdm", "long", 138.74, 0.014, 1568014460893),
        # BUY closes a short; 0.014 × 4706.04 = 65.88456 (ap, not p = 4793.91)
        (
            "binance_usdm_forceorder_combined_stream_tardis_2020.json",
            "binance_usdm",
            "short",
            65.88456,
            0.014,
            1584059031421,
        ),
        # 0.288 × 39021.00 = 11238.048 (q × p would give 11199.32)
        ("binance_usdm_forceorder_forum_2022_a.json", "binance_usdm", "long", 11238.048, 0.288, 1650898329196),
        ("binance_usdm_forceorder_forum_2022_b.json", "binance_usdm", "long", 155.946, 0.004, 1650898336320),
        ("binance_usdm_forceorder_barter_2022.json", "binance_usdm", "long", 170.91, 0.009, 1665523974217),
        # COIN-M: 1 contract × 100 USD; qty = 100 / 9496.5
        ("binance_coinm_forceorder_doc.json", "binance_coinm", "long", 100.0, 100 / 9496.5, 1591154240949),
        # 3 contracts × 100 USD = 300 USD = 0.0320763 BTC at 9352.7
        (
            "binance_coinm_forceorder_combined_stream_tardis_2020.json",
            "binance_coinm",
            "long",
            300.0,
            300 / 9352.7,
            1594622954021,
        ),
    ],
)
def test_verbatim_samples(name: str, venue: str, side: str, usd: float, qty: float, ts: int) -> None:
    event = one(shared_fixture(name))
    assert (event.venue, event.side, event.usd, event.ts, event.coin) == (venue, side, usd, ts, "BTC")
    assert event.qty == pytest.approx(qty, rel=1e-12)
    assert event.coverage == "sampled"


def test_multiplier_prefix_undone() -> None:
    frame = (
        '{"e":"forceOrder","E":1,"o":{"s":"1000000MOGUSDT","S":"BUY","o":"LIMIT","f":"IOC","q":"3",'
        '"p":"0.95","ap":"0.9412","X":"FILLED","l":"3","z":"3","T":7}}'
    )
    event = one(frame)
    # 3 bundles of 1,000,000 MOG at 0.9412 USDT per bundle: usd 2.8236, price per MOG 9.412e-7
    assert (event.coin, event.side, event.usd, event.qty) == ("MOG", "short", 2.8236, 3_000_000.0)
    assert event.price == pytest.approx(0.9412 / 1_000_000)


def test_catalogue_contract_size_wins_over_rule() -> None:
    cat = Catalogue([Instrument("binance_coinm", "DOGEUSD_PERP", "DOGE", "inverse", 10.0, "USD")])
    frame = (
        '{"e":"forceOrder","E":1,"o":{"s":"DOGEUSD_PERP","S":"SELL","o":"LIMIT","f":"IOC","q":"9",'
        '"p":"0.2","ap":"0.25","X":"FILLED","l":"9","z":"9","T":7}}'
    )
    assert one(frame, cat).usd == 90.0
    bigger = Catalogue([Instrument("binance_coinm", "DOGEUSD_PERP", "DOGE", "inverse", 25.0, "USD")])
    assert one(frame, bigger).usd == 225.0


def test_same_liquidation_on_both_hosts_has_one_id() -> None:
    order = (
        '"o":{"s":"BTCUSD_PERP","ps":"BTCUSD","S":"SELL","o":"LIMIT","f":"IOC","q":"2","p":"90000",'
        '"ap":"90100","X":"FILLED","l":"2","z":"2","T":9}'
    )
    on_fstream = one('{"e":"forceOrder","E":10,"st":2,' + order + "}")
    on_dstream = one('{"stream":"!forceOrder@arr","data":{"e":"forceOrder","E":11,' + order + "}}")
    assert on_fstream.id == on_dstream.id
    assert on_fstream.venue == on_dstream.venue == "binance_coinm"


@pytest.mark.parametrize(
    "frame",
    [
        '{"result":null,"id":1}',
        '{"stream":"!markPrice@arr@1s","data":[{"e":"markPriceUpdate","s":"BTCUSDT","p":"1"}]}',
        '{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"11794.15"}',
        "{}",
        '{"stream":"x","data":null}',
    ],
)
def test_control_and_companion_frames_give_nothing(frame: str) -> None:
    assert binance.parse(frame, 1, CAT) == []


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("not json", "binance"),
        ('{"e":"forceOrder","o":{"s":"BTCUSDT"}}', "missing required field"),
        ('{"e":"forceOrder","o":{"s":"BTCUSDT","S":"SELL","q":"1","p":"1","ap":"1","X":"FILLED","z":1,"T":1}}', "str"),
        (
            '{"e":"forceOrder","o":{"s":"BTCUSDT","S":"SELL","q":"1","p":"1","ap":"1","X":"FILLED","z":"-1","T":1}}',
            "positive",
        ),
        (
            '{"e":"forceOrder","o":{"s":"BTCUSDT","S":"SELL","q":"1","p":"0","ap":"0","X":"FILLED","z":"1","T":1}}',
            "positive",
        ),
        (
            '{"e":"forceOrder","o":{"s":"BTCUSDT","S":"HOLD","q":"1","p":"1","ap":"1","X":"FILLED","z":"1","T":1}}',
            "side",
        ),
        ('{"e":"forceOrder","o":{"s":"BTCUSDT","S":"SELL","q":"1","p":"1","ap":"x","X":"FILLED","z":"1","T":1}}', "x"),
    ],
)
def test_malformed_frames_raise_bad_frame_with_a_reason(frame: str, reason: str) -> None:
    with pytest.raises(BadFrame, match=reason):
        binance.parse(frame, 1, CAT)


def test_zero_average_price_falls_back_to_order_price() -> None:
    frame = (
        '{"e":"forceOrder","o":{"s":"BTCUSDT","S":"SELL","q":"1","p":"50000.5","ap":"0.00",'
        '"X":"FILLED","z":"0.002","T":1}}'
    )
    assert one(frame).usd == 100.001


def test_subscribe_requests_market_path_and_companion_stream() -> None:
    (conn,) = binance.USDM_SPEC.connections(binance.USDM_URLS, CAT)
    assert conn.url == "wss://fstream.binance.com/market/stream"
    assert '"!forceOrder@arr"' in conn.subscribe[0] and "markPrice" in conn.subscribe[0]
    assert binance.is_data('{"e":"markPriceUpdate"}') and not binance.is_data('{"result":null,"id":1}')


def test_registry_refuses_impossible_values() -> None:
    from liqwatch.venues import REGISTRY

    huge = (
        '{"e":"forceOrder","o":{"s":"BTCUSDT","S":"SELL","p":"1","ap":"90000","X":"FILLED",'
        '"z":"1000000000","T":1763712000000}}'
    )
    seconds = (
        '{"e":"forceOrder","o":{"s":"BTCUSDT","S":"SELL","p":"1","ap":"90000","X":"FILLED","z":"1","T":1763712000}}'
    )
    for frame in (huge, seconds):
        assert binance.parse(frame, 1, CAT)  # the venue rule alone accepts it…
        with pytest.raises(BadFrame, match="impossible"):
            REGISTRY["binance_usdm"].parse(frame, 1, CAT)  # …the registry does not

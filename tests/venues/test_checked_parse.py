"""Every venue's registered parse checks the plausibility bounds inline (`checked_parse`) and must
refuse exactly what its plain parse behind `venues.plausible` refuses, with the same words, and give
the same events otherwise: on every fixture frame, frames with one or two leaves swapped for odd
values, and frames at the bounds, under odd catalogues.

(Each venue has ONE parse path, issue 11; what the events must be is checked against oracles written
from the documented rules in test_rules_<venue>.py and the goldens.)
"""

from __future__ import annotations

import json
from collections.abc import Callable

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqwatch.instruments import Catalogue, Instrument, bundled
from liqwatch.venues import _SPECS, REGISTRY, plausible
from liqwatch.venues.base import MAX_USD, MIN_TS, Frame
from tests.venues.golden import frames
from tests.venues.oracle_frames import leaves, replaced

PLAIN = {spec.id: spec.parse for spec in _SPECS}  # the parse a venue module exports, bounds unchecked
CHECKED = sorted(spec.id for spec in _SPECS if spec.checked_parse is not None)


def odd_catalogue() -> Catalogue:
    """Contract sizes and price units that push parses to their edges (underflow, zero units, quanto)."""
    cat = bundled()
    rows = [
        ("binance_usdm", "BTCUSDT", "linear", 1e-300, "USDT", 1.0),
        ("binance_usdm", "SOLUSDT", "linear", 1.0, "USDT", 0.0),
        ("binance_coinm", "BTCUSD_PERP", "inverse", 1e300, "USD", 1.0),
        ("bitmex", "XBTUSD", "linear", 0.5, "USD", 2.0),
        ("bitmex", "XBTUSDT", "inverse", 1e-20, "USDT", 0.0),
        ("bitget", "BTCUSDT", "linear", 1.0, "USDT", 0.0),
        ("bybit", "BTCUSDT", "inverse", 10.0, "USD", 1.0),
        ("bybit", "ETHUSDT", "linear", 1.0, "USDT", 0.0),
        ("gate", "BTC_USDT", "linear", 1e-25, "USDT", 1.0),
        ("gate", "ETH_USDT", "linear", 0.01, "USDT", 0.0),
        ("okx", "BTC-USDT-SWAP", "linear", 1e-30, "USDT", 1.0),
        ("okx", "ETH-USDT-SWAP", "linear", 0.1, "USDT", 1000.0),
        ("okx", "SOL-USDT-SWAP", "quanto", 1.0, "USDT", 1.0),
        ("okx", "BTC-USD-SWAP", "inverse", 3.0000000000000004, "USD", 0.0),
        ("deribit", "BTC-PERPETUAL", "linear", 0.1, "USD", 10.0),
        ("deribit", "ETH-PERPETUAL", "inverse", 1.0, "EUR", 0.0),
    ]
    cat.update(Instrument(v, s, s[:3], kind, size, quote, unit, "rest") for v, s, kind, size, quote, unit in rows)  # type: ignore[arg-type]
    return cat


CATALOGUES = {"bundled": bundled(), "empty": Catalogue(), "odd": odd_catalogue()}
RECV_TS = 1_700_000_000_000


def outcome(parse: Callable[[Frame, int, Catalogue], object], frame: Frame, recv_ts: int, cat: Catalogue) -> object:
    try:
        events = parse(frame, recv_ts, cat)
    except Exception as exc:  # the plain parse may raise anything: the checked one must raise the same
        return (type(exc).__name__, str(exc))
    assert isinstance(events, list)
    return [(repr(e), msgspec.json.encode(e)) for e in events]


def assert_same(venue: str, frame: Frame) -> None:
    reference = plausible(PLAIN[venue])
    for cat in CATALOGUES.values():
        for recv_ts in (RECV_TS, MIN_TS, MIN_TS - 1):
            assert outcome(REGISTRY[venue].parse, frame, recv_ts, cat) == outcome(reference, frame, recv_ts, cat)


REAL = [(p.parent.name, p.read_bytes().strip()) for p in frames() if p.parent.name in CHECKED]


@pytest.mark.parametrize(("venue", "frame"), REAL, ids=[f"{v}-{i}" for i, (v, _) in enumerate(REAL)])
def test_fixture_frames(venue: str, frame: bytes) -> None:
    assert_same(venue, frame)
    assert_same(venue, frame.decode("utf-8", "replace"))


ODD_TEXT = [
    "0", "-1", "-0", "-124.50", "-124.000", "1e5", "1.5e3", "1E-3", "nan", "inf", "", " 1", "1.5 ", "1_000", "1.0_5", "+5", "00012", "1.", ".5",
    "\uff11\uff12", "\u0663.\u0665", "9" * 30, "0" * 700 + "1", "0." + "0" * 30 + "1", "12.34.5", "0.1", "1763712000",
    "Buy", "sell", "BUY", "long", "net", "MT", "X", "EXPIRED", "NEW", "insert", "update", "OPTION",
]  # fmt: skip
ODD_VALUES = [
    0,
    -1,
    10**20,
    2**63,
    1763712000,
    1e-320,
    1e308,
    0.30000000000000004,
    2.17e-06,
    9214.0,
    True,
    None,
    [],
    {},
]
values = st.sampled_from(ODD_TEXT + ODD_VALUES) | st.integers() | st.floats() | st.text(max_size=8)


OBJECTS = [(v, json.loads(f)) for v, f in REAL if f.startswith(b"{")]


@pytest.mark.parametrize(("venue", "frame"), OBJECTS, ids=[f"{v}-{i}" for i, (v, _) in enumerate(OBJECTS)])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_frames(venue: str, frame: dict[str, object], data: st.DataObject) -> None:
    mutated: object = frame
    for _ in range(data.draw(st.integers(1, 2))):
        mutated = replaced(mutated, data.draw(st.sampled_from(leaves(mutated))), data.draw(values))
    assert_same(venue, json.dumps(mutated))


def boundary_frames() -> list[tuple[str, str]]:
    """USD at and just above MAX_USD, times at and just before MIN_TS."""
    out: list[tuple[str, str]] = []
    for z, t in (("100000", MIN_TS), ("100000.001", MIN_TS), ("1", MIN_TS - 1)):
        order = {"s": "BTCUSDT", "S": "SELL", "p": "1", "ap": "100000", "X": "FILLED", "z": z, "T": t}
        out.append(("binance_usdm", json.dumps({"e": "forceOrder", "o": order})))
        coinm = {**order, "s": "BTCUSD_PERP", "z": z.replace("100000", "100000000")}
        out.append(("binance_coinm", json.dumps({"e": "forceOrder", "o": coinm})))
        entry = {"T": t, "s": "BTCUSDT", "S": "Buy", "v": z, "p": "100000"}
        out.append(("bybit", json.dumps({"topic": "allLiquidation.BTCUSDT", "ts": t, "data": [entry]})))
        detail = {
            "bkPx": "95000",
            "posSide": "net",
            "side": "sell",
            "sz": z.replace("100000", "100000000"),
            "ts": str(t),
        }
        data = [{"details": [detail], "instId": "BTC-USD-SWAP", "instType": "SWAP"}]
        out.append(("okx", json.dumps({"arg": {"channel": "liquidation-orders", "instType": "SWAP"}, "data": data})))
        amount = float(z) * 100000
        row = {"orderID": "a", "symbol": "XBTUSD", "side": "Sell", "price": 95000.5, "leavesQty": amount}
        out.append(("bitmex", json.dumps({"table": "liquidation", "action": "insert", "data": [row]})))
        entry = {"symbol": "BTCUSDT", "side": "buy", "price": "95000", "amount": str(amount), "ts": str(t)}
        arg = {"instType": "usdt-futures", "topic": "liquidation"}
        out.append(("bitget", json.dumps({"action": "update", "arg": arg, "data": [entry]})))
    return out


@pytest.mark.parametrize(("venue", "frame"), boundary_frames())
def test_boundaries(venue: str, frame: str) -> None:
    assert MAX_USD == 1e10
    assert_same(venue, frame)


def test_the_venues_that_check_inline_are_the_ones_compared() -> None:
    assert {venue for venue, _ in REAL} == set(CHECKED)
    assert {venue for venue, _ in boundary_frames()} <= set(CHECKED)

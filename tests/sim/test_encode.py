"""The wire encoders are the inverse of liqwatch's parsers: parse(encode(truth)) == truth.

Rules: side, coin, symbol, venue and exchange time are equal; `usd` is equal exactly (every venue's
USD is an exact decimal product or the amount itself, and the truth is the Decimal value rounded
once); price and qty agree to 1e-12 (liqwatch divides floats for prices per coin and inverse sizes).
"""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqwatch.model import LONG, SHORT, Liquidation, Side
from liqwatch.sim import encode
from liqwatch.sim import markets as mk
from liqwatch.sim.markets import Market
from liqwatch.sim.model import Liq, truth
from liqwatch.venues import REGISTRY
from liqwatch.venues.base import BadFrame
from tests.sim.helpers import NOW, sim_catalogue

CATALOGUE = sim_catalogue()
MARKET_VENUES = sorted(mk.VENUE_SHARE)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def endpoint(venue: str) -> str:
    return "binance_usdm" if venue.startswith("binance") else venue


@st.composite
def liquidations(draw: st.DrawFn, venue: str, choices: list[Market] | None = None) -> Liq:
    m: Market = draw(st.sampled_from(choices or mk.markets(venue)))
    base = mk.COINS[m.coin][0] * m.bundle
    tick, lot = Decimal(m.tick), Decimal(m.lot)
    low, high = int(Decimal(repr(base * 0.2)) / tick) + 1, int(Decimal(repr(base * 5)) / tick)
    price = mk.text(draw(st.integers(low, high)) * tick)
    max_lots = max(1, int(Decimal(repr(5e7 / base)) * (Decimal(m.unit) if m.kind != "linear" else 1) / lot))
    if m.kind == "linear":
        max_lots = max(1, int(Decimal(repr(5e7)) * m.bundle / (Decimal(m.unit) * Decimal(price)) / lot))
    elif m.kind in ("inverse", "unpriced"):
        max_lots = max(1, int(Decimal(repr(5e7)) / (Decimal(m.unit) * lot)))
    size = mk.text(draw(st.integers(1, max_lots)) * lot)
    if m.kind == "quote":  # Bitget: a quote amount, coins × price
        size = mk.text((Decimal(size) * Decimal(price) / m.bundle).normalize())
    side: Side = draw(st.sampled_from([LONG, SHORT]))
    ts = draw(st.integers(1_700_000_000_000, 1_900_000_000_000))
    ref = ""
    if venue == "bitmex":
        ref = str(draw(st.uuids()))
    elif venue == "deribit":
        ref = str(draw(st.integers(1, 10**12)))
    return truth(m, side, price, size, ts, ref, draw(st.integers(0, 2**16 - 1)))


def check(event: Liquidation, liq: Liq, recv_ts: int) -> None:
    assert (event.venue, event.symbol, event.coin, event.side) == (liq.venue, liq.symbol, liq.coin, liq.side)
    assert event.ts == (recv_ts if liq.venue == "bitmex" else liq.ts)
    assert event.usd == liq.usd
    assert math.isclose(event.price, liq.coin_price, rel_tol=1e-12)
    if liq.qty is None:
        assert event.qty is None
    else:
        assert event.qty is not None and math.isclose(event.qty, liq.qty, rel_tol=1e-12)


def parse(venue: str, frame: str, recv_ts: int = NOW) -> list[Liquidation]:
    return REGISTRY[endpoint(venue)].parse(frame, recv_ts, CATALOGUE)


@pytest.mark.parametrize("venue", MARKET_VENUES)
@SETTINGS
@given(data=st.data())
def test_round_trip(venue: str, data: st.DataObject) -> None:
    liq = data.draw(liquidations(venue))
    [event] = parse(venue, encode.encode(liq))
    check(event, liq, NOW)


@pytest.mark.parametrize("venue", ["bybit", "okx", "bitmex", "deribit", "bitget", "gate"])
@SETTINGS
@given(data=st.data())
def test_batches_round_trip(venue: str, data: st.DataObject) -> None:
    """Frames carrying several liquidations (Bybit and Gate: one symbol; OKX: one instType)."""
    first = data.draw(liquidations(venue))
    m = mk.market(venue, first.symbol)
    assert m is not None
    if venue in ("bybit", "gate"):  # one frame per symbol
        same = [m]
    elif venue in ("okx", "bitget", "deribit"):  # one frame per instType / currency channel
        same = [other for other in mk.markets(venue) if other.group == m.group]
    else:
        same = mk.markets(venue)
    more = data.draw(st.lists(liquidations(venue, same), min_size=1, max_size=4))
    batch = [first, *more]
    if venue == "deribit":
        batch = [liq._replace(ref=f"{liq.ref}{i}") for i, liq in enumerate(batch)]
    events = parse(venue, encode.encode_batch(batch))
    assert len(events) == len(batch)
    for liq in batch:  # each truth has its own event
        events.remove(next(e for e in events if matches(e, liq)))


def matches(event: Liquidation, liq: Liq) -> bool:
    try:
        check(event, liq, NOW)
    except AssertionError:
        return False
    return True


@SETTINGS
@given(data=st.data())
def test_deribit_mt_trades_liquidate_both_sides(data: st.DataObject) -> None:
    liq = data.draw(liquidations("deribit"))
    pair = [liq, liq._replace(side="short" if liq.side == "long" else "long")]
    frame = encode.encode_batch(pair)
    assert '"liquidation":"MT"' in frame
    events = parse("deribit", frame)
    assert sorted(e.side for e in events) == ["long", "short"]
    assert len({e.id for e in events}) == 2
    for event in events:
        check(event, next(p for p in pair if p.side == event.side), NOW)


@SETTINGS
@given(data=st.data())
def test_binance_combined_stream_and_gate_decimal_sizes(data: st.DataObject) -> None:
    liq = data.draw(liquidations("binance_coinm"))
    raw = encode.encode(liq)
    [wrapped] = parse(liq.venue, encode.binance_combined("!forceOrder@arr", raw))
    [plain] = parse(liq.venue, raw)
    assert wrapped == plain
    gate = data.draw(liquidations("gate"))
    [integer] = parse("gate", encode.gate_frame([gate], gate.ts + 5))
    [decimal] = parse("gate", encode.gate_frame([gate], gate.ts + 5, decimal=True))
    assert integer == decimal  # X-Gate-Size-Decimal: 1 changes the wire, not the event (nor its id)


@pytest.mark.parametrize("venue", MARKET_VENUES)
@pytest.mark.parametrize("how", encode.IMPOSSIBLE)
def test_impossible_values_never_become_a_liquidation_of_the_real_market(venue: str, how: str) -> None:
    m = mk.markets(venue)[0]
    liq = truth(m, "long", m.tick, m.lot, NOW, "1" if venue == "deribit" else "x", 3)
    bad = encode.impossible(liq, how)
    try:
        events = parse(venue, encode.encode(bad))
    except BadFrame:
        return
    # only an unknown symbol may still parse: as that symbol, never as a priced event of a real market
    assert how == "unknown-symbol"
    assert all(e.symbol == encode.unknown_symbol(venue) for e in events)

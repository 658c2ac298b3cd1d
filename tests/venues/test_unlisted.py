"""Unlisted symbols, one rule for every venue (venues/base.py): stored unpriced, never refused,
never priced by a guess."""

from __future__ import annotations

import pytest

from liqwatch.instruments import bundled
from liqwatch.venues import REGISTRY
from tests.venues.golden import FIXTURES, parse_fixture

# each venue's frame with a symbol neither its catalogue nor its naming convention can size
UNLISTED = {venue: "unknown_symbol" for venue in REGISTRY} | {
    "bitmex": "insert_unknown_symbol",
    "dydx": "unknown_market",
    "lighter": "unknown_market",
    "htx": "unknown_contract_unpriced",
    "kraken_futures": "unknown_linear_unpriced",
}
# Venues whose wire gives every size in coins and every price in USD: no symbol needs a catalogue
# to be sized, so none is ever unlisted in this sense (Bitfinex AMOUNT, Hyperliquid sz × px).
SIZED_BY_THE_WIRE = {"bitfinex", "hyperliquid"}


@pytest.mark.parametrize("venue", sorted(set(REGISTRY) - SIZED_BY_THE_WIRE))
def test_an_unlisted_symbol_is_stored_unpriced(venue: str) -> None:
    path = FIXTURES / venue / f"{UNLISTED[venue]}.json"
    assert path.exists(), f"{venue}: add an unlisted-symbol fixture ({path.name})"
    events = parse_fixture(path)
    assert events, f"{venue}: an unlisted symbol must not be dropped"
    for event in events:
        assert event.venue == venue
        assert (event.qty, event.usd) == (None, None), event
        # the base the name states (BitMEX LINKUSDT → LINK, Kraken PF_FOOUSD → FOO), else the symbol itself;
        # Lighter names markets by number: the coin says it is unknown ("#7")
        assert event.coin == event.symbol or event.coin in event.symbol or event.coin == f"#{event.symbol}"
        assert event.price > 0


def test_an_unknown_quote_is_unpriced_not_refused() -> None:
    frame = '{"e":"forceOrder","o":{"s":"BTCEUR","S":"SELL","q":"1","p":"1","ap":"2","X":"FILLED","z":"1","T":1764547200000}}'
    (event,) = REGISTRY["binance_usdm"].parse(frame, 1, bundled())
    assert (event.coin, event.qty, event.usd, event.price, event.side) == ("BTCEUR", None, None, 2.0, "long")

"""Real recorded liquidation messages (tardis-node's test corpus, in ../shared/data) through the registry.

Expected values are worked out by hand from each venue's documented side and size rule.
"""

from __future__ import annotations

import json

import pytest

from liqwatch.instruments import bundled
from liqwatch.venues import REGISTRY
from tests.conftest import SHARED

CORPUS = SHARED / "data" / "tardis_node_fixtures" / "liquidation_messages.jsonl"
RECV_TS = 1_700_000_000_000

# source line in tardis-node's mappers.test.ts → (venue, [(side, usd), …])
EXPECTED = {
    433: ("deribit", [("long", 1120.0)]),  # T (taker liquidated) + taker sell → long; inverse amount is USD
    454: ("deribit", [("long", 2500.0)]),  # M (maker liquidated) + taker buy → the maker sold → long
    941: ("bitmex", [("short", 9214.0)]),  # order side Buy closes a short; XBTUSD 1 contract = 1 USD
    946: ("bitmex", []),  # delete of the same order: must not count again
    1567: ("okx", [("short", 390.0)]),  # posSide short; XRP-USD inverse: 39 contracts × 10 USD
    3829: ("binance_usdm", [("short", 65.88456)]),  # BUY closes a short; 0.014 × ap 4706.04
    4025: ("binance_coinm", [("long", 300.0)]),  # SELL closes a long; 3 contracts × 100 USD
    6821: ("bybit", [("short", 836.0)]),  # v2 REST record: Sell = a short position; BTCUSD 1 USD contracts
    6910: ("bybit", [("long", 1_257_079.0), ("long", 2314.0), ("long", 650.0)]),
    6920: ("bybit", [("short", 3655.0)]),  # v2 ETHUSD inverse: qty 3655 USD
    6931: ("bybit", [("short", 406.9125)]),  # v2 BTCUSDT linear: 0.009 × 45212.50
    7267: ("bybit", [("long", 62.25511)]),  # deprecated v5: Buy = long; 1637 × 0.03803
    7279: ("bybit", [("short", 6949.0)]),  # deprecated v5 XRPUSD inverse
    7303: ("bybit", [("short", 69.89776)]),  # allLiquidation: 2846 × 0.02456
    4490: ("kraken_futures", [("long", 12000.0)]),  # taker sell closes a long; PI_ inverse: 1 USD contracts
    4501: ("kraken_futures", [("short", 250.0)]),
    5948: ("htx", [("long", 145_000.0)]),  # coin-M future (expired, by the spec): 1450 × 100 USD; sell = long
    6012: ("htx", [("long", 31_900.0)]),
    6028: ("htx", [("short", 21_800.0)]),  # buy closes a short
    6082: ("htx", []),  # subscribe ack
    6149: ("htx", [("short", 2310.0)]),  # coin-M swap ETH-USD: 231 × 10 USD
    6165: ("htx", [("long", 30.0)]),  # BSV-USD: 3 × 10 USD
    6282: ("htx", [("long", 5300.5635)]),  # USDT-M: 227 × 0.001 BTC × 23350.5 (= the row's trade_turnover)
    10705: ("bitget", [("long", 13.70319), ("long", 143.330431857868)]),  # buy = long; amount is quote
}


def messages() -> dict[int, str]:
    if not CORPUS.exists():
        pytest.skip(f"{CORPUS} not available (../shared is not beside the checkout)")
    out = {}
    for line in CORPUS.read_text().splitlines():
        record = json.loads(line)
        out[record["source_line"]] = json.dumps(record["message"])
    return out


@pytest.mark.parametrize("line", sorted(EXPECTED))
def test_recorded_message(line: int) -> None:
    venue, expected = EXPECTED[line]
    events = REGISTRY[venue].parse(messages()[line], RECV_TS, bundled())
    assert [(e.side, e.usd) for e in events] == expected

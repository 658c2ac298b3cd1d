"""Deribit's one parse path against the documented rules, written again here as a slow oracle.

`oracle` reads a frame with `json` and computes every event with Decimal from the rules in the
module docstring (M/T/MT by the taker's direction, inverse amounts in USD, linear in the coin,
options and combos skipped after their numbers are checked, unlisted names priced only, ids by
the liquidated side, the plausibility bounds). Real fixture frames, the same frames with one or
two leaves swapped for odd values, odd catalogues and boundary values must give exactly the
oracle's events, or a BadFrame where the oracle refuses: never a crash, never another event.
"""

from __future__ import annotations

import decimal
import json
import math
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqwatch.instruments import Catalogue, Instrument, bundled, normalize_coin
from liqwatch.model import Liquidation
from liqwatch.venues import REGISTRY, deribit
from liqwatch.venues.base import MAX_USD, MIN_TS, BadFrame
from tests.venues.oracle_frames import leaves, replaced

FIXTURES = Path(__file__).parent / "fixtures" / "deribit"
RECV_TS = 1_700_000_000_000
EXACT = decimal.Context(prec=5000, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
REFUSE = None  # the oracle's verdict for a frame that must be refused
ANYTHING: list[Liquidation] = []  # (identity) a value the decoder may read or refuse: events or refusal
# (liquidation flag, taker direction) → the liquidated positions: T the taker's, M the maker's
SIDES = {
    ("T", "sell"): ["long"],
    ("T", "buy"): ["short"],
    ("M", "buy"): ["long"],
    ("M", "sell"): ["short"],
    ("MT", "buy"): ["long", "short"],
    ("MT", "sell"): ["short", "long"],
}


class Refused(Exception):
    pass


def odd_catalogue() -> Catalogue:
    cat = bundled()
    cat.update(
        [
            Instrument("deribit", "BTC-PERPETUAL", "BTC", "linear", 0.1, "USD", 10.0, "rest"),
            Instrument("deribit", "ETH-PERPETUAL", "ETH", "inverse", 1.0, "EUR", 0.0, "rest"),
            Instrument("deribit", "BTC_USDC-PERPETUAL", "BTC", "quanto", 1.0, "USDC", 1.0, "rest"),
            Instrument("deribit", "SOL_USDC-PERPETUAL", "SOL", "linear", 1e-300, "USDC", 1.0, "rest"),
            Instrument("deribit", "ETH-26DEC25", "ETH", "inverse", 1.0, "EUR", 1.0, "rest"),
            Instrument("deribit", "ETH_USDC-PERPETUAL", "ETH", "linear", 0.0123, "USDC", 1.0, "rest"),
        ]
    )
    return cat


CATALOGUES = {"bundled": bundled(), "empty": Catalogue(), "odd": odd_catalogue()}


def convention(name: str) -> Instrument | None:
    """Deribit's naming: BASE-EXPIRY inverse (amount in USD), BASE_USDC|USDT-EXPIRY linear (in the coin)."""
    base, dash, expiry = name.partition("-")
    raw_base, underscore, quote = base.partition("_")
    if not dash or not expiry or "-" in expiry or not raw_base:
        return None
    coin, bundle = normalize_coin(raw_base)
    if not underscore:
        return Instrument("deribit", name, coin, "inverse", 1.0, "USD")
    if quote in ("USDC", "USDT"):
        return Instrument("deribit", name, coin, "linear", bundle, quote, bundle)
    return None


def exact(*values: float) -> float:
    product = Decimal(1)
    for value in values:
        product = EXACT.multiply(product, Decimal(repr(value)))
    result = float(product)
    if not 0.0 < result < math.inf:
        raise Refused
    return result


def events(trade: dict[str, object], cat: Catalogue) -> list[Liquidation]:
    sides = SIDES.get((str(trade["liquidation"]), str(trade["direction"])))
    amount, price = float(trade["amount"]), float(trade["price"])  # type: ignore[arg-type]
    if sides is None or not (0.0 < amount < math.inf and 0.0 < price < math.inf):
        raise Refused
    name = str(trade["instrument_name"])
    if name.count("-") > 1:  # an option or a combo: no event
        return []
    inst = cat.get("deribit", name) or convention(name)
    qty = usd = None
    if inst is None:
        coin, bundle = normalize_coin(name.partition("-")[0].partition("_")[0])
        price /= bundle
    elif inst.kind == "inverse":
        coin = inst.coin
        value = exact(amount, inst.contract_size)
        qty = value / price
        if not 0.0 < qty < math.inf:
            raise Refused
        usd = value if inst.usd_quoted else None
    elif inst.kind == "linear":
        coin = inst.coin
        qty = exact(amount, inst.contract_size)
        usd = exact(amount, inst.contract_size / inst.price_unit, price) if inst.usd_quoted else None
        price /= inst.price_unit
    else:
        coin = inst.coin
    ts, trade_id = int(trade["timestamp"]), str(trade["trade_id"])  # type: ignore[call-overload]
    return [
        Liquidation(
            "deribit", name, coin, side, price, qty, usd, ts, RECV_TS, "complete", f"deribit:{name}:{trade_id}:{side}"
        )  # type: ignore[arg-type]
        for side in sides
    ]


def number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def typed(value: object, kind: type) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


def oracle(text: str, cat: Catalogue, max_usd: float, min_ts: float) -> list[Liquidation] | None:
    msg = json.loads(text)
    if not isinstance(msg, dict) or not typed(msg.get("method", ""), str):
        return REFUSE
    params = msg.get("params")
    if params is not None and not isinstance(params, dict):
        return REFUSE
    if params is not None and not all(typed(params.get(k, ""), str) for k in ("channel", "type")):
        return REFUSE
    if msg.get("method", "") != "subscription" or params is None or not params.get("channel", "").startswith("trades."):
        return []
    trades = params.get("data")
    if not isinstance(trades, list):
        return REFUSE
    lenient = False
    for trade in trades:
        if not isinstance(trade, dict) or not all(typed(trade.get(k), str) for k in ("trade_id", "instrument_name")):
            return REFUSE
        if not (typed(trade.get("timestamp"), int) and number(trade.get("price")) and number(trade.get("amount"))):
            return REFUSE
        if not typed(trade.get("direction"), str) or trade.get("liquidation") not in ("M", "T", "MT", None):
            return REFUSE
        # beyond 64 bits (the decoder's integers) or beyond a double: read or refused
        lenient |= not -(2**63) <= trade["timestamp"] < 2**64
        lenient |= any(isinstance(trade[k], int) and abs(trade[k]) >= 2**1023 for k in ("price", "amount"))
    out: list[Liquidation] = []
    try:
        for trade in trades:
            if trade.get("liquidation") is not None:
                out.extend(events(trade, cat))
    except Refused:
        return REFUSE
    except OverflowError:
        return ANYTHING
    if any(e.ts < min_ts or (e.usd is not None and e.usd > max_usd) for e in out):
        return REFUSE
    return ANYTHING if lenient else out


def check(text: str, cat: Catalogue, max_usd: float = MAX_USD, min_ts: float = MIN_TS) -> None:
    want = oracle(text, cat, max_usd, min_ts)
    parse = deribit.parser(max_usd, min_ts) if (max_usd, min_ts) != (MAX_USD, MIN_TS) else REGISTRY["deribit"].parse
    try:
        got = parse(text, RECV_TS, cat)
    except BadFrame:
        assert want is REFUSE or want is ANYTHING, f"refused, the rules give {want}"
        return
    assert want is not REFUSE, f"the rules refuse this frame; parse gave {got}"
    if want is not ANYTHING:
        assert got == want


PATHS = sorted(FIXTURES.glob("*.json"))
FRAMES = [p.read_text().strip() for p in PATHS]
OBJECTS = [json.loads(f) for f in FRAMES if f.startswith("{")]


@pytest.mark.parametrize("text", FRAMES, ids=[p.stem for p in PATHS])
@pytest.mark.parametrize("cat", CATALOGUES.values(), ids=list(CATALOGUES))
def test_fixture_frames_follow_the_rules(text: str, cat: Catalogue) -> None:
    assert oracle(text, cat, MAX_USD, MIN_TS) is not ANYTHING
    check(text, cat)
    check(text, cat, math.inf, -math.inf)


ODD = [
    0, -1, 1, 10**20, 2**63, 1763712000, 1e-320, 1e-300, 1e308, 0.30000000000000004, 2.17e-06, 9214.0, 0.1, 1.5,
    True, None, [], {}, "", "1", "buy", "sell", "short", "M", "T", "MT", "X", "heartbeat", "subscription",
    "trades.x", "ticker.x", "BTC-PERPETUAL", "BTC-26DEC25-100000-C", "BTC_USDC-PERPETUAL", "BTC_EURR-PERPETUAL",
    "nodash", "ETH-26DEC25", "1000PEPE_USDC-PERPETUAL",
]  # fmt: skip


@pytest.mark.parametrize("frame", OBJECTS, ids=[str(i) for i in range(len(OBJECTS))])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_frames_follow_the_rules(frame: dict[str, object], data: st.DataObject) -> None:
    mutated: object = frame
    for _ in range(data.draw(st.integers(1, 2))):
        mutated = replaced(mutated, data.draw(st.sampled_from(leaves(mutated))), data.draw(st.sampled_from(ODD)))
    check(json.dumps(mutated), data.draw(st.sampled_from(list(CATALOGUES.values()))))


def notification(name: str, amount: float, price: float, ts: int, flag: str = "T", direction: str = "sell") -> str:
    trade = {"trade_id": "1", "instrument_name": name, "timestamp": ts, "price": price, "amount": amount}
    trade |= {"direction": direction, "liquidation": flag}
    params = {"channel": "trades.future.BTC.100ms", "data": [trade]}
    return json.dumps({"jsonrpc": "2.0", "method": "subscription", "params": params})


BOUNDARIES = [
    notification("BTC-PERPETUAL", 1e10, 95000.5, MIN_TS),  # USD: MAX_USD exactly
    notification("BTC-PERPETUAL", 10000000000.001, 95000.5, MIN_TS),
    notification("BTC-PERPETUAL", 10, 95000.5, MIN_TS - 1),
    notification("BTC_USDC-PERPETUAL", 105263.15789473684, 95000, MIN_TS, "MT", "buy"),
    notification("BTC_USDC-PERPETUAL", 0.1, 0.30000000000000004, MIN_TS, "M"),  # digits of a float's repr
    notification("BTC_USDC-PERPETUAL", 2.0**53 + 2, 3, MIN_TS),  # beyond 2**53
    notification("BTC_USDC-PERPETUAL", 1e-300, 1e-300, MIN_TS),  # usd underflows: refused
    notification("ETH-PERPETUAL", 1e308, 1e-308, MIN_TS),  # qty overflows: refused
    notification("BTC-26DEC25-100000-C", 0, 0.05, MIN_TS),  # an option's numbers are checked before the skip
    notification("XYZ-PERPETUAL", 3, 2.5, MIN_TS, "MT", "sell"),
    notification("ETH-26DEC25", 3000, 3300.5, MIN_TS, "M", "buy"),  # not quoted in USD (odd): no usd
    notification("ETH_USDC-PERPETUAL", 1234567.89012345, 3300.55, MIN_TS),  # digit products beyond 2**53
]


@pytest.mark.parametrize("text", BOUNDARIES)
@pytest.mark.parametrize("cat", CATALOGUES.values(), ids=list(CATALOGUES))
def test_boundaries_follow_the_rules(text: str, cat: Catalogue) -> None:
    check(text, cat)
    check(text, cat, math.inf, -math.inf)


def test_rest_pages_follow_the_same_rules() -> None:
    cat = bundled()
    body = (FIXTURES / "rest" / "trades_page.json").read_text()
    trades = json.loads(body)["result"]["trades"]
    params = {"channel": "trades.rest", "data": trades}
    want = oracle(json.dumps({"method": "subscription", "params": params}), cat, math.inf, -math.inf)
    assert want and deribit.parse_rest_trades(body, RECV_TS, cat) == want

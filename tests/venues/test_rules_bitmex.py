"""BitMEX's `liquidation` table against its documented rules (venues/bitmex.py docstring).

The venue module has one parse path; an oracle written here, slowly and independently (exact
decimals of the JSON numbers' reprs with `Decimal`), says what every frame must give: the fixture
frames, the same frames with one or two leaves swapped for odd values, generated tables and
boundary frames give exactly the oracle's events, or a BadFrame where the oracle finds the frame
invalid — never another exception, never a different event.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from decimal import Context, Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqwatch.instruments import Catalogue, Instrument, bundled, normalize_coin
from liqwatch.model import Liquidation
from liqwatch.venues import REGISTRY, bitmex
from liqwatch.venues.base import MAX_USD, MIN_TS, BadFrame
from tests.venues.oracle_frames import leaves, replaced

FIXTURES = Path(__file__).parent / "fixtures" / "bitmex"
RECV_TS = 1_700_000_000_000
EXACT = Context(prec=2000, Emax=999_999, Emin=-999_999)
SIDES = {"Sell": "long", "Buy": "short"}  # the ORDER side: Sell closes a long
USD_QUOTES = ("USD", "USDT", "USDC")


def rows(*instruments: tuple[str, str, float, str, float]) -> list[Instrument]:
    return [
        Instrument("bitmex", s, s[:3], kind, size, quote, unit, "rest") for s, kind, size, quote, unit in instruments
    ]  # type: ignore[arg-type]


# The bundled snapshot, an empty catalogue, and listed contracts that are odd on purpose: a linear
# 1000-bundle, an inverse of 10 USD, sizes a double cannot hold exactly, a non-USD quote, a broken
# price unit.
ODD = Catalogue(
    rows(
        ("XBTUSD", "inverse", 10.0, "USD", 1.0),
        ("XBTUSDT", "linear", 1e-06, "USDT", 1.0),
        ("PEPEUSDT", "linear", 1000.0, "USDT", 1000.0),
        ("ETHUSDT", "linear", 0.1 + 0.2, "USDT", 1.0),
        ("XBTEUR", "inverse", 1.0, "EUR", 1.0),
        ("SOLUSDT", "linear", 1.0, "USDT", 0.0),
        ("XBTUSDC", "inverse", 1e-20, "USDC", 0.0),
    )
)
CATALOGUES = {"bundled": bundled(), "empty": Catalogue(), "odd": ODD}


class Invalid(Exception):
    """The frame breaks a documented rule: the parse must refuse it (BadFrame)."""


# --- the oracle ---------------------------------------------------------------------------------------


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def exact(*values: float) -> float:
    """The correctly rounded product of the decimals the values' reprs write."""
    product = Decimal(1)
    for value in values:
        product = EXACT.multiply(product, Decimal(repr(float(value))))
    return float(product)


def sized(value: float) -> float:
    if not (0.0 < value < math.inf):
        raise Invalid  # over- or underflowed: no honest size
    return value


FUTURES = re.compile(r"^(.+?)[FGHJKMNQUVXZ]\d\d$")


def named(symbol: str) -> tuple[str, float]:
    """Coin and bundle from an unlisted name: strip a futures code, then a quote suffix."""
    match = FUTURES.match(symbol)
    body = match.group(1) if match else symbol
    for quote in ("USDT", "USDC", "USD", "EUR", "XBT"):
        if body.endswith(quote) and len(body) > len(quote):
            body = body[: -len(quote)].rstrip("_")
            break
    return normalize_coin(body)


def event(row: dict[str, object], cat: Catalogue, recv_ts: int) -> Liquidation:
    symbol, side = row["symbol"], row["side"]
    assert isinstance(symbol, str)
    if side not in SIDES:
        raise Invalid
    qty_contracts, price = float(row["leavesQty"]), float(row["price"])  # type: ignore[arg-type]
    if not (0.0 < qty_contracts < math.inf and 0.0 < price < math.inf):
        raise Invalid
    inst = cat.get("bitmex", symbol)
    if inst is None and symbol in ("XBTUSD", "BTCUSD"):  # the documented 1-USD inverse perpetual
        inst = Instrument("bitmex", symbol, "BTC", "inverse", 1.0, "USD")
    qty: float | None = None
    usd: float | None = None
    if inst is None:
        coin, bundle = named(symbol)
        coin_price = price / bundle
    elif inst.kind == "inverse":
        coin, coin_price = inst.coin, price
        value = sized(exact(qty_contracts, inst.contract_size))
        qty = sized(value / price)
        usd = value if inst.quote in USD_QUOTES else None
    elif inst.kind == "linear":
        if inst.price_unit == 0.0:
            raise Invalid  # a broken catalogue row sizes nothing
        coin, coin_price = inst.coin, price / inst.price_unit
        qty = sized(exact(qty_contracts, inst.contract_size))
        if inst.quote in USD_QUOTES:
            usd = sized(exact(qty_contracts, inst.contract_size / inst.price_unit, price))
    else:  # quanto: its USD value needs the settlement coin's price
        coin, coin_price = inst.coin, price
    side_word = SIDES[side]
    event_id = f"bitmex:{symbol}:{row['orderID']}"
    return Liquidation("bitmex", symbol, coin, side_word, coin_price, qty, usd, recv_ts, recv_ts, "complete", event_id)  # type: ignore[arg-type]


def oracle(frame: str, cat: Catalogue, recv_ts: int = RECV_TS) -> list[Liquidation]:
    if frame == "pong":
        return []
    try:
        msg = json.loads(frame, parse_constant=not_json)
    except json.JSONDecodeError:
        raise Invalid from None
    if not isinstance(msg, dict) or not all(isinstance(msg.get(k, ""), str) for k in ("table", "action")):
        raise Invalid
    if msg.get("table", "") != "liquidation":
        return []
    action, data = msg.get("action", ""), msg.get("data")
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise Invalid  # absent, null or not rows
    if action in ("update", "delete"):  # the same orders again: only their keys are required
        if not all(isinstance(row.get("orderID"), str) and isinstance(row.get("symbol", ""), str) for row in data):
            raise Invalid
        return []
    if action not in ("insert", "partial"):
        raise Invalid
    for row in data:
        if not all(isinstance(row.get(k), str) for k in ("orderID", "symbol", "side")):
            raise Invalid
        if not (is_number(row.get("price")) and is_number(row.get("leavesQty"))):
            raise Invalid
    return [event(row, cat, recv_ts) for row in data]


def not_json(constant: str) -> object:
    raise Invalid(f"{constant} is not JSON")


def same_event(got: Liquidation, want: Liquidation) -> bool:
    """Exact on everything but qty, an inverse quotient that may differ in the last bit."""
    plain = ("venue", "symbol", "coin", "side", "price", "usd", "ts", "recv_ts", "coverage", "id")
    qty_close = got.qty == want.qty or (
        got.qty is not None and want.qty is not None and math.isclose(got.qty, want.qty, rel_tol=1e-15)
    )
    return all(getattr(got, f) == getattr(want, f) for f in plain) and qty_close


def check(frame: str, catalogues: Iterable[Catalogue] = CATALOGUES.values()) -> None:
    for cat, recv_ts in ((cat, recv_ts) for cat in catalogues for recv_ts in (RECV_TS, MIN_TS, MIN_TS - 1)):
        try:
            want: list[Liquidation] | None = oracle(frame, cat, recv_ts)
        except Invalid:
            want = None
        for parse, bounded in ((bitmex.parse, False), (REGISTRY["bitmex"].parse, True)):
            out_of_bounds = (
                bounded
                and want is not None
                and any(e.ts < MIN_TS or (e.usd is not None and e.usd > MAX_USD) for e in want)
            )
            try:
                got = parse(frame, recv_ts, cat)
            except BadFrame:
                assert want is None or out_of_bounds, f"refused a valid frame: {frame}"
                continue
            assert want is not None and not out_of_bounds, f"accepted an invalid frame: {frame} → {got}"
            assert len(got) == len(want) and all(map(same_event, got, want)), (frame, got, want)


# --- the frames ---------------------------------------------------------------------------------------

REAL = [p.read_text().strip() for p in sorted(FIXTURES.glob("*.json"))]


@pytest.mark.parametrize("frame", REAL, ids=[p.stem for p in sorted(FIXTURES.glob("*.json"))])
def test_fixture_frames_follow_the_rules(frame: str) -> None:
    check(frame)


def test_the_oracle_is_not_vacuous() -> None:
    """The fixtures hold inverse, linear, quanto and unlisted events (so the comparisons compare)."""
    events = [e for frame in REAL for e in oracle(frame, bundled())]
    assert any(e.usd is not None and e.symbol == "XBTUSD" for e in events)  # inverse
    assert any(e.usd is not None and e.symbol.endswith("USDT") for e in events)  # linear
    assert any(e.usd is None and e.symbol == "ETHUSD" for e in events)  # quanto
    assert len({e.id for e in events}) >= 5


ODD_VALUES: list[object] = [
    0, -1, 1, 3, 10**20, 2**63, 1763712000, 1e-320, 1e308, 0.30000000000000004, 2.17e-06, 9214.0, 95000.5,
    True, None, [], {}, "", "Buy", "Sell", "buy", "insert", "partial", "update", "delete", "upsert",
    "liquidation", "instrument", "XBTUSD", "BTCUSD", "XBTUSDT", "ETHUSD", "PEPEUSDT", "SOLUSDT", "XBTEUR",
    "XBTUSDC", "XBTZ24", "1000PEPEUSDT", "ZZZ", "43250.5",
]  # fmt: skip
values = st.sampled_from(ODD_VALUES) | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6)


OBJECTS = [json.loads(f) for f in REAL if f.startswith("{")]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_frames_follow_the_rules(data: st.DataObject) -> None:
    mutated = data.draw(st.sampled_from(OBJECTS))
    for _ in range(data.draw(st.integers(1, 2))):
        mutated = replaced(mutated, data.draw(st.sampled_from(leaves(mutated))), data.draw(values))
    check(json.dumps(mutated))


symbols = st.sampled_from(["XBTUSD", "BTCUSD", "XBTUSDT", "ETHUSD", "ETHUSDT", "PEPEUSDT", "SOLUSDT", "XBTEUR"])
table_rows = st.fixed_dictionaries(
    {
        "orderID": st.text(max_size=6),
        "symbol": symbols | st.sampled_from(["XBTUSDC", "1000PEPEUSDT", "TRXZ19", "XBT_USD", "ZZZ"]),
        "side": st.sampled_from(["Buy", "Sell"]),
        "price": st.floats(min_value=1e-8, max_value=1e7) | st.integers(1, 10**6),
        "leavesQty": st.integers(1, 10**9) | st.floats(min_value=0.5, max_value=1e12),
    }
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(action=st.sampled_from(["insert", "partial"]), data=st.lists(table_rows, max_size=4))
def test_generated_tables_follow_the_rules(action: str, data: list[dict[str, object]]) -> None:
    check(json.dumps({"table": "liquidation", "action": action, "data": data}))


def test_a_symbol_seen_again_follows_the_same_rules() -> None:
    """The second row of a symbol takes its memoized route: every listed and derived kind, twice."""
    names = ["XBTUSD", "BTCUSD", "XBTUSDT", "ETHUSD", "ETHUSDT", "PEPEUSDT", "SOLUSDT", "XBTEUR", "XBTUSDC", "ZZZ"]
    for cat in (Catalogue(ODD.instruments()), Catalogue(bundled().instruments()), Catalogue()):
        for _ in range(2):
            for name in names:
                row = {"orderID": "o1", "symbol": name, "side": "Buy", "price": 95000.5, "leavesQty": 1200}
                check(json.dumps({"table": "liquidation", "action": "insert", "data": [row]}), [cat])


@pytest.mark.parametrize("usd", [1e10, 1e10 + 1])
def test_boundaries_follow_the_rules(usd: float) -> None:
    row = {"orderID": "a", "symbol": "XBTUSD", "side": "Sell", "price": 95000.5, "leavesQty": usd}
    check(json.dumps({"table": "liquidation", "action": "insert", "data": [row]}), [bundled()])

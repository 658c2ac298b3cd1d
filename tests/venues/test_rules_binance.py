"""Binance USD-M, COIN-M and Aster (Binance's parse on Aster's host) against their documented rules.

The venue module has one parse path. What keeps it honest is an oracle written here, slowly and
independently, from the rules in the module docstring (exact decimals with `Decimal`): the fixture
frames, the same frames with one or two leaves swapped for odd values, and boundary frames must
give exactly the events the oracle gives, or a BadFrame where the oracle finds the frame invalid —
never another exception, never a different event.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from decimal import Context, Decimal, InvalidOperation
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqwatch.instruments import Catalogue, Instrument, normalize_coin, split_symbol
from liqwatch.model import Liquidation
from liqwatch.venues import REGISTRY, aster, binance
from liqwatch.venues.base import MAX_USD, MIN_TS, BadFrame
from tests.venues.oracle_frames import leaves, replaced

FIXTURES = Path(__file__).parent / "fixtures"
VENUES = ("binance_usdm", "binance_coinm", "aster")
MODULE = {"binance_usdm": binance, "binance_coinm": binance, "aster": aster}
RECV_TS = 1_700_000_000_000
EXACT = Context(prec=2000, Emax=999_999, Emin=-999_999)
FINAL = ("FILLED", "EXPIRED", "CANCELED")
SIDES = {"SELL": "long", "BUY": "short"}  # the ORDER side: SELL closes a long

# Listed contracts, some odd on purpose: a bundle, a 25 USD coin-margined contract, a non-USD
# quote, a broken price unit.
LISTED = Catalogue(
    [
        Instrument("binance_usdm", "BTCUSDT", "BTC", "linear", 1.0, "USDT", 1.0, "rest"),
        Instrument("binance_usdm", "1000PEPEUSDT", "PEPE", "linear", 1000.0, "USDT", 1000.0, "rest"),
        Instrument("binance_usdm", "ETHBTC", "ETH", "linear", 1.0, "BTC", 1.0, "rest"),
        Instrument("binance_usdm", "SOLUSDT", "SOL", "linear", 1.0, "USDT", 0.0, "rest"),
        Instrument("binance_coinm", "BTCUSD_PERP", "BTC", "inverse", 100.0, "USD", 1.0, "rest"),
        Instrument("binance_coinm", "DOGEUSD_PERP", "DOGE", "inverse", 25.0, "USD", 1.0, "rest"),
        Instrument("aster", "BTCUSDT", "BTC", "linear", 1.0, "USDT", 1.0, "rest"),
    ]
)
CATALOGUES = {"empty": Catalogue(), "listed": LISTED}


class Invalid(Exception):
    """The frame breaks a documented rule: the parse must refuse it (BadFrame)."""


class Lenient(Exception):
    """Number text a venue never sends and float() reads (spaces, underscores): refusing it is
    right too, but an event, if any, must be the exact one."""


# --- the oracle ---------------------------------------------------------------------------------------


def text(value: object) -> str:
    if not isinstance(value, str):
        raise Invalid
    return value


def order_of(value: object) -> dict[str, object] | None:
    """A forceOrder `o`: every field liqwatch reads present with its documented type."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Invalid
    for key in ("s", "S", "p", "ap", "X", "z"):
        text(value.get(key))
    if not is_int(value.get("T")):
        raise Invalid
    return value


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def event_fields(payload: dict[str, object]) -> tuple[str, dict[str, object] | None, int]:
    e = payload.get("e", "")
    st_ = payload.get("st", 0)
    if not isinstance(e, str) or not is_int(st_):
        raise Invalid
    return e, order_of(payload.get("o")), st_  # type: ignore[return-value]


def decimal(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Invalid from None
    return number


def positive(number: Decimal) -> bool:
    return number.is_finite() and 0.0 < float(number) < math.inf


def canonical(number: Decimal) -> str:
    out = format(number.normalize(EXACT), "f")
    return "0" if out in ("0", "-0") else out


def contract(venue: str, symbol: str, cat: Catalogue) -> Instrument | None:
    """The catalogue's row, else what the documented naming says (None: unsized)."""
    listed = cat.get(venue, symbol)
    if listed is not None:
        return listed
    pair = symbol.split("_", 1)[0] if venue != "aster" else symbol
    if venue == "binance_coinm":
        if not pair.endswith("USD") or len(pair) <= 3:
            return None
        coin, _ = normalize_coin(pair[:-3])
        return Instrument(venue, symbol, coin, "inverse", 100.0 if coin == "BTC" else 10.0, "USD")
    quotes = ("USDT", "USDC") if venue == "aster" else ("FDUSD", "BUSD", "USDT", "USDC")
    parts = split_symbol(pair, quotes)
    if parts is None:
        return None
    coin, bundle = normalize_coin(parts[0])
    return Instrument(venue, symbol, coin, "linear", bundle, parts[1], price_unit=bundle)


def not_json(constant: str) -> object:
    raise Invalid(f"{constant} is not JSON")


def oracle(frame: str, venue: str, cat: Catalogue) -> list[Liquidation]:
    try:
        msg = json.loads(frame, parse_constant=not_json)
    except json.JSONDecodeError:
        raise Invalid from None
    if not isinstance(msg, dict):
        raise Invalid
    e, order, symbol_type = event_fields(msg)
    data = msg.get("data")
    inner = None
    if isinstance(data, dict):
        inner = event_fields(data)
    elif data is not None and not isinstance(data, list):
        raise Invalid
    if order is None:
        if inner is None or inner[1] is None or inner[0] != "forceOrder":
            return []  # acks, companion streams
        e, order, symbol_type = inner
    if e != "forceOrder" or order["X"] not in FINAL:
        return []
    s, side_text, z_text = str(order["s"]), str(order["S"]), str(order["z"])
    if side_text not in SIDES:
        raise Invalid
    z = decimal(z_text)
    if not positive(z):
        raise Invalid
    price_text = str(order["ap"])
    price = decimal(price_text)
    if not positive(price):  # an order that never filled reports ap 0: its limit price
        price_text = str(order["p"])
        price = decimal(price_text)
        if not positive(price):
            raise Invalid
    if venue != "aster":
        coinm = symbol_type == 2 if symbol_type else s.split("_", 1)[0].endswith("USD")
        venue = "binance_coinm" if coinm else "binance_usdm"
    inst = contract(venue, s, cat)
    ts = order["T"]
    assert isinstance(ts, int)
    event_id = f"{venue}:{s}:{ts}:{side_text}:{canonical(z)}"
    if inst is None:  # unlisted: stored unpriced (venues/base.py)
        return [Liquidation(venue, s, s, SIDES[side_text], float(price), None, None, ts, RECV_TS, "sampled", event_id)]  # type: ignore[arg-type]
    usd: float | None
    if inst.kind == "inverse":  # z contracts of contract_size USD
        usd = float(EXACT.multiply(z, Decimal(inst.contract_size)))
        qty, coin_price = usd / float(price), float(price)
    else:
        if inst.price_unit == 0.0:
            raise Invalid  # a broken catalogue row: nothing can be sized by it
        qty = float(EXACT.multiply(z, Decimal(inst.contract_size)))
        coin_price = float(price) / inst.price_unit
        usd = float(EXACT.multiply(z, price)) if inst.usd_quoted else None
        if any(c.isspace() or c == "_" for c in z_text + price_text):
            raise Lenient(
                Liquidation(
                    venue, s, inst.coin, SIDES[side_text], coin_price, qty, usd, ts, RECV_TS, "sampled", event_id
                )
            )  # type: ignore[arg-type]
    if not (qty > 0.0 and math.isfinite(qty)):
        raise Invalid
    return [Liquidation(venue, s, inst.coin, SIDES[side_text], coin_price, qty, usd, ts, RECV_TS, "sampled", event_id)]  # type: ignore[arg-type]


def same_event(got: Liquidation, want: Liquidation) -> bool:
    """Exact on everything but the float quotients (qty, price), which may differ in the last bit."""

    def close(a: float | None, b: float | None) -> bool:
        return a == b or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-15))

    plain = ("venue", "symbol", "coin", "side", "ts", "recv_ts", "coverage", "id")
    exact_usd = got.usd == want.usd or (want.venue == "binance_coinm" and close(got.usd, want.usd))
    return (
        all(getattr(got, f) == getattr(want, f) for f in plain)
        and exact_usd
        and close(got.qty, want.qty)
        and close(got.price, want.price)
    )


def check(frame: str, venue: str, catalogues: Iterable[Catalogue] = CATALOGUES.values()) -> None:
    for cat in catalogues:
        lenient: Liquidation | None = None
        try:
            want: list[Liquidation] | None = oracle(frame, venue, cat)
        except Invalid:
            want = None
        except Lenient as found:
            want, lenient = None, found.args[0]
        for parse, bounded in ((MODULE[venue].parse, False), (REGISTRY[venue].parse, True)):
            out_of_bounds = (
                bounded
                and want is not None
                and any(e.ts < MIN_TS or (e.usd is not None and e.usd > MAX_USD) for e in want)
            )
            try:
                got = parse(frame, RECV_TS, cat)
            except BadFrame:
                assert want is None or out_of_bounds, f"refused a valid frame: {frame}"
                continue
            if lenient is not None:
                assert len(got) == 1 and same_event(got[0], lenient), (frame, got, lenient)
                continue
            assert want is not None and not out_of_bounds, f"accepted an invalid frame: {frame} → {got}"
            assert len(got) == len(want) and all(map(same_event, got, want)), (frame, got, want)


# --- the frames ---------------------------------------------------------------------------------------

REAL = [(p.parent.name, p.read_text().strip()) for v in VENUES for p in sorted((FIXTURES / v).glob("*.json"))]


@pytest.mark.parametrize(("venue", "frame"), REAL, ids=[f"{v}-{i}" for i, (v, _) in enumerate(REAL)])
def test_fixture_frames_follow_the_rules(venue: str, frame: str) -> None:
    check(frame, venue)


def test_the_oracle_is_not_vacuous() -> None:
    """The fixtures hold events of every kind the oracle sizes (so the comparisons above compare)."""
    kinds = set()
    for venue, frame in REAL:
        for event in oracle(frame, venue, Catalogue()):
            kinds.add((event.venue, event.usd is None))
    assert {("binance_usdm", False), ("binance_coinm", False), ("aster", False), ("binance_usdm", True)} <= kinds


ODD_TEXT = [
    "0", "-1", "-0", "1e5", "1.5e3", "1E-3", "nan", "inf", "", " 1", "1.5 ", "1_000", "1.0_5", "+5",
    "00012", "1.", ".5", "\uff11\uff12", "\u0663.\u0665", "9" * 30, "0" * 700 + "1", "0." + "0" * 30 + "1",
    "12.34.5", "0.1", "1763712000", "SELL", "BUY", "sell", "FILLED", "EXPIRED", "NEW", "forceOrder",
    "BTCUSDT", "BTCUSD_PERP", "1000PEPEUSDT", "ETHBTC", "SOLUSDT", "DOGEUSD_PERP", "XYZ",
]  # fmt: skip
ODD_VALUES: list[object] = [0, -1, 1, 2, 10**20, 2**63, 1763712000, 1e-320, 1e308, 2.17e-06, True, None, [], {}]
values = st.sampled_from(ODD_TEXT + ODD_VALUES) | st.integers() | st.text(max_size=6)


OBJECTS = [(v, json.loads(f)) for v, f in REAL]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_frames_follow_the_rules(data: st.DataObject) -> None:
    venue, mutated = data.draw(st.sampled_from(OBJECTS))
    for _ in range(data.draw(st.integers(1, 2))):
        mutated = replaced(mutated, data.draw(st.sampled_from(leaves(mutated))), data.draw(values))
    check(json.dumps(mutated), venue)


def boundary_frames() -> list[tuple[str, str]]:
    """USD at and just above MAX_USD (1e10), times at and just before MIN_TS, plain and streamed."""
    out = []
    for z, t in (("100000", MIN_TS), ("100000.001", MIN_TS), ("1", MIN_TS - 1), ("0.00000001", MIN_TS)):
        order = {"s": "BTCUSDT", "S": "SELL", "p": "1", "ap": "100000", "X": "FILLED", "z": z, "T": t}
        for venue in ("binance_usdm", "aster"):
            out.append((venue, json.dumps({"e": "forceOrder", "o": order})))
            out.append((venue, json.dumps({"stream": "!forceOrder@arr", "data": {"e": "forceOrder", "o": order}})))
        coinm = {**order, "s": "BTCUSD_PERP", "z": z.replace("100000", "100000000")}
        out.append(("binance_coinm", json.dumps({"e": "forceOrder", "st": 2, "o": coinm})))
    return out


@pytest.mark.parametrize(("venue", "frame"), boundary_frames())
def test_boundaries_follow_the_rules(venue: str, frame: str) -> None:
    check(frame, venue)


@pytest.mark.parametrize(
    "odd", ["1.5 ", "1.0_5", "1_0.5", " 1.5", "1.5\n", "1.5e1", "1E-3", "+5", "\u0661.\u0665", "1.", ".5"]
)
@pytest.mark.parametrize("field", ["z", "ap", "p"])
def test_number_text_float_reads_but_venues_never_send(odd: str, field: str) -> None:
    """`float()` reads spaces and underscores; the exact USD product must not misread them."""
    order = {"s": "BTCUSDT", "S": "SELL", "p": "2.5", "ap": "0" if field == "p" else "100", "X": "FILLED"}
    order |= {"z": "3", "T": 1763712000000, field: odd}
    for venue in ("binance_usdm", "aster"):
        check(json.dumps({"e": "forceOrder", "o": order}), venue)
    check(json.dumps({"e": "forceOrder", "o": {**order, "s": "BTCUSD_PERP"}}), "binance_coinm")


def test_a_symbol_seen_again_follows_the_same_rules() -> None:
    """The second frame of a symbol takes its memoized route: every listed and derived kind, twice."""
    symbols = ["BTCUSDT", "1000PEPEUSDT", "ETHBTC", "SOLUSDT", "BTCUSD_PERP", "DOGEUSD_PERP", "XRPUSDC", "XYZ"]
    for cat in (Catalogue(LISTED.instruments()), Catalogue()):
        for _ in range(2):
            for symbol in symbols:
                order = {"s": symbol, "S": "BUY", "p": "2", "ap": "0.25", "X": "FILLED", "z": "12", "T": 1763712000000}
                for venue in VENUES:
                    check(json.dumps({"e": "forceOrder", "o": order}), venue, [cat])

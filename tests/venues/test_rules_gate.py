"""Gate's one parse path against its documented rules, written here again with Decimal.

Fixture frames, frames with one or two leaves swapped for odd values and boundary frames go
through `gate.parse` and the registry's bounded parse, under the bundled, an empty and an odd
catalogue; each must give exactly what `oracle` says (tests/venues/oracle_frames.py).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqwatch.instruments import Catalogue, Instrument, bundled, normalize_coin
from liqwatch.model import Liquidation
from liqwatch.venues import REGISTRY, gate
from liqwatch.venues.base import MAX_USD, MIN_TS
from tests.conftest import shared_fixture
from tests.venues.golden import frames
from tests.venues.oracle_frames import (
    EXACT,
    IGNORED,
    REFUSED,
    Verdict,
    assert_agrees,
    canonical,
    finite_positive,
    is_int,
    leaves,
    replaced,
    values,
)
from tests.venues.oracle_frames import decimal as number

SIZE = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # contracts, signed: an integer, or decimal text (X-Gate-Size-Decimal)
COMPLETE_SINCE_MS = 1_787_184_000_000  # 2026-08-20: every liquidation order from then on
RECV_TS = 1_700_000_000_000


def odd_catalogue() -> Catalogue:
    """Contract sizes and price units no real listing has: the rules must still hold (or refuse)."""
    cat = bundled()
    rows = [
        ("BTC_USDT", "linear", 1e-25, "USDT", 1.0),
        ("ETH_USDT", "linear", 0.01, "USDT", 0.0),
        ("PEPE_USDT", "linear", 10.0, "USDT", 1000.0),
        ("SOL_USDT", "linear", 0.3, "EUR", 1.0),
        ("BTC_USD", "inverse", 1.0, "USD", 1.0),
        ("ETH_USD", "inverse", 3.0000000000000004, "USD", 1.0),
        ("XRP_USDT", "quanto", 1.0, "USDT", 1.0),
    ]
    cat.update(Instrument("gate", s, s[:3], kind, size, quote, unit, "rest") for s, kind, size, quote, unit in rows)  # type: ignore[arg-type]
    return cat


CATALOGUES = {"bundled": bundled(), "empty": Catalogue(), "odd": odd_catalogue()}


def event(liq: dict[str, Any], recv_ts: int, cat: Catalogue) -> tuple[Liquidation, bool] | None:
    """One liquidation by the documented rules (module docstring), or None when it must be refused."""
    contract, size, price_text, time = liq["contract"], liq["size"], liq["price"], liq["time"]
    if isinstance(size, str) and not SIZE.fullmatch(size):
        return None
    signed = str(size) if isinstance(size, int) or "." not in size else size.rstrip("0").rstrip(".")
    contracts, price = abs(Decimal(signed)), number(price_text)
    ts = time * 1000 if time < 10**12 else time  # seconds until 2026-08-20, ms since
    if contracts == 0 or len(signed) > 40 or price is None or time <= 0 or ts >= 10**15:
        return None
    side = "long" if signed.startswith("-") else "short"  # a sell order (negative) closes a long
    inst = cat.resolve("gate", contract, gate.derive)
    qty: Decimal | None = None
    usd: Decimal | None = None
    exact_usd = True
    if inst is None:  # quanto_multiplier is never guessed
        coin, bundle = normalize_coin(contract.split("_", 1)[0])
        coin_price = EXACT.divide(price, Decimal(repr(bundle)))
    elif inst.kind == "inverse":
        coin, coin_price = inst.coin, price
        if inst.usd_quoted:
            usd = EXACT.multiply(contracts, Decimal(repr(inst.contract_size)))
            qty = EXACT.divide(usd, price)
    else:
        unit = Decimal(repr(inst.price_unit))
        if not (unit.is_finite() and unit > 0):
            return None
        coin, coin_price = inst.coin, EXACT.divide(price, unit)
        if inst.kind == "linear":
            qty = EXACT.multiply(contracts, Decimal(repr(inst.contract_size)))
            if inst.usd_quoted:
                usd = EXACT.divide(EXACT.multiply(qty, price), unit)
                exact_usd = unit == 1
    floats = [None if d is None else float(d) for d in (coin_price, qty, usd)]
    if not finite_positive(*floats):
        return None
    coverage = "complete" if ts >= COMPLETE_SINCE_MS else "sampled"
    event_id = f"gate:{contract}:{ts}:{signed}:{canonical(price)}"
    liq_event = Liquidation(
        "gate", contract, coin, side, floats[0], floats[1], floats[2], ts, recv_ts, coverage, event_id
    )  # type: ignore[arg-type]
    return liq_event, exact_usd


def no_constant(name: str) -> None:
    raise ValueError(name)  # NaN and Infinity are not JSON


def well_typed(liq: object) -> bool:
    if not isinstance(liq, dict) or not all(k in liq for k in ("contract", "size", "price", "time")):
        return False
    size = liq["size"]
    return (
        isinstance(liq["contract"], str)
        and isinstance(liq["price"], str)
        and is_int(liq["time"])
        and (is_int(size) or isinstance(size, str))
    )


def oracle(frame: str | bytes, recv_ts: int, cat: Catalogue, bounded: bool) -> Verdict:
    """What the rules say of a frame: REFUSED, IGNORED (not a liquidation update) or its events."""
    try:
        msg = json.loads(frame, parse_constant=no_constant)
    except (ValueError, UnicodeDecodeError):
        return REFUSED
    if not isinstance(msg, dict):
        return REFUSED
    if not (isinstance(msg.get("channel", ""), str) and isinstance(msg.get("event", ""), str)):
        return REFUSED
    if not (is_int(msg.get("time", 0)) and is_int(msg.get("time_ms", 0))):
        return REFUSED
    if msg.get("channel") != "futures.public_liquidates" or msg.get("event") != "update":
        return IGNORED
    result = msg.get("result")
    items = result if isinstance(result, list) else [result]
    if result is None or not all(well_typed(liq) for liq in items):
        return REFUSED
    out = []
    for liq in items:
        found = event(liq, recv_ts, cat)
        if found is None:
            return REFUSED
        out.append(found)
    if bounded and any(e.ts < MIN_TS or (e.usd is not None and e.usd > MAX_USD) for e, _ in out):
        return REFUSED
    return out


def check(frame: str | bytes) -> None:
    for cat in CATALOGUES.values():
        for recv_ts in (RECV_TS, MIN_TS, MIN_TS - 1):
            assert_agrees(REGISTRY["gate"].parse, frame, recv_ts, cat, oracle(frame, recv_ts, cat, bounded=True))
            assert_agrees(gate.parse, frame, recv_ts, cat, oracle(frame, recv_ts, cat, bounded=False))


REAL = [p.read_bytes().strip() for p in frames() if p.parent.name == "gate"]


@pytest.mark.parametrize("frame", REAL, ids=range(len(REAL)))
def test_fixture_frames(frame: bytes) -> None:
    check(frame)
    check(frame.decode())


OBJECTS = [json.loads(f) for f in REAL if f.startswith(b"{")]


@pytest.mark.parametrize("frame", OBJECTS, ids=range(len(OBJECTS)))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_frames(frame: dict[str, object], data: st.DataObject) -> None:
    mutated: object = frame
    for _ in range(data.draw(st.integers(1, 2))):
        mutated = replaced(mutated, data.draw(st.sampled_from(leaves(mutated))), data.draw(values))
    check(json.dumps(mutated))


def boundary_frames() -> list[str]:
    """Times at and around MIN_TS, the seconds/ms switch and the 2026-08-20 cut-over; odd sizes."""
    out = []
    times = (COMPLETE_SINCE_MS, COMPLETE_SINCE_MS - 1, MIN_TS, MIN_TS - 1, 10**12 - 1, 10**15 // 1000, 10**15)
    sizes: list[int | str] = [-5, 5, "-124.50", "124.000", "-0012", "-0.0", 0, 2**53, 10**41, "1.5 ", "1.0_5"]
    for t in times:
        for size in sizes:
            for price in ("95000.1", "95000.10", "0.0000120", ".5", "1e2"):
                result = [{"contract": "BTC_USDT", "size": size, "price": price, "time": t}]
                push = {"channel": "futures.public_liquidates", "event": "update", "result": result}
                out.append(json.dumps(push))
    return out


@pytest.mark.parametrize("frame", boundary_frames())
def test_boundaries(frame: str) -> None:
    check(frame)


@given(
    size=st.integers(-(10**9), 10**9).filter(bool) | st.decimals("-1e6", "1e6", places=4).map(lambda d: format(d, "f")),
    price=st.decimals(min_value=Decimal("1e-9"), max_value=Decimal("1e7"), places=9, allow_nan=False),
    contract=st.sampled_from(["BTC_USDT", "ETH_USDT", "1000PEPE_USDT", "PEPE_USDT", "BTC_USD", "XYZ_USDT"]),
    time=st.sampled_from([1_541_486_601, 1_787_200_009_123, COMPLETE_SINCE_MS - 1]),
)
@settings(max_examples=300, deadline=None)
def test_plain_numbers(size: int | str, price: Decimal, contract: str, time: int) -> None:
    """Sizes and prices as Gate writes them: usd the exact product, ids the same for 5 and "5.0"."""
    liq = {"contract": contract, "size": size, "price": format(price, "f"), "time": time}
    check(json.dumps({"channel": "futures.public_liquidates", "event": "update", "result": [liq]}))


SHARED_SAMPLES = [
    "gate_public_liquidates_doc_2026-08-20_decimal.json",
    "gate_public_liquidates_doc_2026-08-20_integer.json",
    "gate_public_liquidates_doc_pre-2026-08_decimal.json",
    "gate_public_liquidates_doc_pre-2026-08_integer.json",
    "gate_contract_info_ws_doc_2026.json",
]


@pytest.mark.parametrize("name", SHARED_SAMPLES)
def test_verbatim_samples(name: str) -> None:
    check(shared_fixture(name))

"""Bybit's one parse path against its documented rules, written here again with Decimal.

Fixture frames, frames with one or two leaves swapped for odd values and boundary frames go
through `bybit.parse` and the registry's bounded parse, under the bundled, an empty and an odd
catalogue; each must give exactly what `oracle` says (tests/venues/oracle_frames.py).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from liqwatch.instruments import Catalogue, Instrument, bundled
from liqwatch.model import Liquidation
from liqwatch.venues import REGISTRY, bybit
from liqwatch.venues.base import MAX_USD, MIN_TS
from tests.conftest import SHARED, shared_fixture
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
from tests.venues.oracle_frames import (
    decimal as number,
)

SIDES = {"Buy": "long", "Sell": "short"}  # the POSITION side (Bybit's doc)
RECV_TS = 1_700_000_000_000


def odd_catalogue() -> Catalogue:
    """Contract sizes and price units no real listing has: the rules must still hold (or refuse)."""
    cat = bundled()
    rows = [
        ("BTCUSDT", "inverse", 10.0, "USD", 1.0),
        ("ETHUSDT", "linear", 1.0, "USDT", 0.0),
        ("SOLUSDT", "linear", 0.001, "USDT", 1000.0),
        ("XRPUSD", "quanto", 1.0, "USD", 1.0),
        ("ROSEUSDT", "linear", 1.0, "EUR", 1.0),
    ]
    cat.update(Instrument("bybit", s, s[:3], kind, size, quote, unit, "rest") for s, kind, size, quote, unit in rows)  # type: ignore[arg-type]
    return cat


CATALOGUES = {"bundled": bundled(), "empty": Catalogue(), "odd": odd_catalogue()}


def event(
    symbol: str, side_text: str, v: Any, p: Any, ts: int, coverage: str, recv_ts: int, cat: Catalogue
) -> tuple[Liquidation, bool] | None:
    """One liquidation by the documented rules (module docstring), or None when it must be refused."""
    side = SIDES.get(side_text)
    size, price = number(v), number(p)
    if side is None or not 0 < ts < 2**63 or not symbol or size is None or price is None:
        return None
    inst = cat.resolve("bybit", symbol, bybit.derive)
    qty: Decimal | None = None
    usd: Decimal | None = None
    coin, coin_price, exact_usd = symbol, price, True
    if inst is not None:
        coin = inst.coin
        contract = Decimal(repr(inst.contract_size))
        if inst.kind == "linear":  # v in base coin (bundles: v × bundle coins), usd = v × p
            unit = Decimal(repr(inst.price_unit))
            if not (unit.is_finite() and unit > 0):
                return None
            coin_price = EXACT.divide(price, unit)
            qty = EXACT.multiply(size, contract)
            usd = EXACT.multiply(size, price) if inst.usd_quoted else None
        elif inst.kind == "inverse" and inst.usd_quoted:  # contracts of 1 USD (or the listed value)
            usd = EXACT.multiply(size, contract)
            qty = EXACT.divide(usd, price)
            exact_usd = inst.contract_size == 1.0
    floats = [None if d is None else float(d) for d in (coin_price, qty, usd)]
    if not finite_positive(*floats):
        return None
    event_id = f"bybit:{symbol}:{ts}:{side_text}:{canonical(size)}:{canonical(price)}"
    liq = Liquidation("bybit", symbol, coin, side, floats[0], floats[1], floats[2], ts, recv_ts, coverage, event_id)  # type: ignore[arg-type]
    return liq, exact_usd


def text(value: str | int | float) -> str:
    return value if isinstance(value, str) else repr(value)  # JSON numbers by their repr


def no_constant(name: str) -> None:
    raise ValueError(name)  # NaN and Infinity are not JSON


def oracle(frame: str | bytes, recv_ts: int, cat: Catalogue, bounded: bool) -> Verdict:
    """What the rules say of a frame: REFUSED, IGNORED (not a liquidation push) or its events."""
    try:
        msg = json.loads(frame, parse_constant=no_constant)
    except (ValueError, UnicodeDecodeError):
        return REFUSED
    if not isinstance(msg, dict):
        return REFUSED
    topic, envelope_ts, data = msg.get("topic", ""), msg.get("ts", 0), msg.get("data")
    if not isinstance(topic, str) or not is_int(envelope_ts):
        return REFUSED
    entries: list[tuple[Any, ...]] = []
    if topic.startswith("allLiquidation."):  # every liquidation, batched
        if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
            return REFUSED
        for e in data:
            fields = (e.get("s"), e.get("S"), e.get("v"), e.get("p"))
            if not all(isinstance(f, str) for f in fields) or not is_int(e.get("T", 0)):
                return REFUSED
            entries.append((*fields, e.get("T", 0) or envelope_ts, "complete"))
    elif topic.startswith("liquidation."):  # deprecated v5 and pre-v5: sampled
        items = data if isinstance(data, list) else [data]
        if data is None or not all(isinstance(d, dict) for d in items):
            return REFUSED
        for d in items:
            number_fields = (d.get("price"), d.get("qty", ""))
            if (
                not all(isinstance(d.get(k), str) for k in ("symbol", "side"))
                or not isinstance(d.get("size", ""), str)
                or not all(isinstance(f, str | int | float) and not isinstance(f, bool) for f in number_fields)
                or not (is_int(d.get("updatedTime", 0)) and is_int(d.get("time", 0)))
            ):
                return REFUSED
            amount = d.get("size", "") or d.get("qty", "")
            if amount == "":
                return REFUSED
            ts = d.get("updatedTime", 0) or d.get("time", 0)
            entries.append((d["symbol"], d["side"], text(amount), text(d["price"]), ts, "sampled"))
    else:
        return IGNORED
    out = []
    for symbol, side_text, v, p, ts, coverage in entries:
        found = event(symbol, side_text, v, p, ts, coverage, recv_ts, cat)
        if found is None:
            return REFUSED
        out.append(found)
    if bounded and any(e.ts < MIN_TS or (e.usd is not None and e.usd > MAX_USD) for e, _ in out):
        return REFUSED
    return out


def check(frame: str | bytes) -> None:
    for cat in CATALOGUES.values():
        for recv_ts in (RECV_TS, MIN_TS, MIN_TS - 1):
            assert_agrees(REGISTRY["bybit"].parse, frame, recv_ts, cat, oracle(frame, recv_ts, cat, bounded=True))
            assert_agrees(bybit.parse, frame, recv_ts, cat, oracle(frame, recv_ts, cat, bounded=False))


REAL = [p.read_bytes().strip() for p in frames() if p.parent.name == "bybit"]


@pytest.mark.parametrize("frame", REAL, ids=range(len(REAL)))
def test_fixture_frames(frame: bytes) -> None:
    check(frame)
    check(frame.decode())


OBJECTS = [json.loads(f) for f in REAL if f.startswith(b"{")]


@pytest.mark.parametrize("frame", OBJECTS, ids=range(len(OBJECTS)))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_mutated_frames(frame: dict[str, object], data: st.DataObject) -> None:
    mutated: object = frame
    for _ in range(data.draw(st.integers(1, 2))):
        mutated = replaced(mutated, data.draw(st.sampled_from(leaves(mutated))), data.draw(values))
    check(json.dumps(mutated))


def boundary_frames() -> list[str]:
    """USD at and just above MAX_USD, times at and just before MIN_TS, plain and odd number text."""
    out = []
    for v, t in (("100000", MIN_TS), ("100000.001", MIN_TS), ("1", MIN_TS - 1), ("0.50", MIN_TS), ("1.5 ", MIN_TS)):
        for p in ("100000", "45171.00", "0.0100", ".5", "00012", "1e2"):
            entry = {"T": t, "s": "BTCUSDT", "S": "Buy", "v": v, "p": p}
            out.append(json.dumps({"topic": "allLiquidation.BTCUSDT", "ts": t, "data": [entry]}))
    return out


@pytest.mark.parametrize("frame", boundary_frames())
def test_boundaries(frame: str) -> None:
    check(frame)


@given(
    v=st.decimals(min_value=Decimal("1e-12"), max_value=Decimal("1e9"), places=12, allow_nan=False),
    p=st.decimals(min_value=Decimal("1e-9"), max_value=Decimal("1e7"), places=9, allow_nan=False),
    symbol=st.sampled_from(["BTCUSDT", "1000PEPEUSDT", "SHIB1000USDT", "BTCUSD", "ETHUSDH25", "BTC-26DEC25", "XYZ"]),
    side=st.sampled_from(["Buy", "Sell"]),
    trailing=st.sampled_from(["", "0", "00"]),
)
@settings(max_examples=300, deadline=None)
def test_plain_numbers(v: Decimal, p: Decimal, symbol: str, side: str, trailing: str) -> None:
    """Decimal text as Bybit writes it (trailing zeros too): usd the exact product, ids canonical."""
    assume(v > 0 and p > 0)
    v_text, p_text = format(v, "f"), format(p, "f")
    if "." in p_text:
        p_text += trailing
    entry = {"T": 1_739_502_302_929, "s": symbol, "S": side, "v": v_text, "p": p_text}
    check(json.dumps({"topic": f"allLiquidation.{symbol}", "ts": 1_739_502_303_204, "data": [entry]}))


SHARED_SAMPLES = [
    "bybit_allliquidation_doc.json",
    "bybit_allliquidation_linear_tardis_2025.json",
    "bybit_allliquidation_linear_tardis_type_2025.json",
    "bybit_liquidation_deprecated_doc.json",
    "bybit_liquidation_deprecated_inverse_tardis_2023.json",
    "bybit_liquidation_deprecated_linear_tardis_2023.json",
    "bybit_liquidation_legacy_v2_tardis_2021.json",
    "bybit_tickers_ws_linear_doc.json",
    "bybit_ws_pong_linear_doc.json",
    "bybit_ws_subscribe_response_linear_doc.json",
]


@pytest.mark.parametrize("name", SHARED_SAMPLES)
def test_verbatim_samples(name: str) -> None:
    check(shared_fixture(name))


def test_tardis_recorded_messages() -> None:
    corpus = SHARED / "data" / "tardis_node_fixtures" / "liquidation_messages.jsonl"
    if not corpus.exists():
        pytest.skip(f"{corpus} not available (../shared is not beside the checkout)")
    records = [json.loads(line) for line in corpus.read_text().splitlines()]
    messages = [r["message"] for r in records if r["tardis_test"].startswith("map bybit")]
    assert messages
    for message in messages:
        check(json.dumps(message, separators=(",", ":")))

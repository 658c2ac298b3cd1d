"""OKX's one parse path against the documented rules, written again here as a slow oracle.

`oracle` reads a frame with `json` and computes every event with Decimal from the rules in the
module docstring (side by posSide then side, contracts × contract value × bkPx, the inverse and
MARGIN conventions, unlisted symbols priced only, canonical ids, the plausibility bounds). Real
fixture frames, the same frames with one or two leaves swapped for odd values, odd catalogues and
boundary values must give exactly the oracle's events, or a BadFrame where the oracle refuses:
never a crash, never another event.
"""

from __future__ import annotations

import decimal
import json
import math
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqwatch.instruments import Catalogue, Instrument, bundled, normalize_coin
from liqwatch.model import Liquidation
from liqwatch.venues import REGISTRY, okx
from liqwatch.venues.base import MAX_USD, MIN_TS, BadFrame
from tests.venues.oracle_frames import leaves, replaced

FIXTURES = Path(__file__).parent / "fixtures" / "okx"
RECV_TS = 1_700_000_000_000
EXACT = decimal.Context(prec=5000, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
PLAIN = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")
REFUSE = None  # the oracle's verdict for a frame that must be refused
ANYTHING: list[Liquidation] = []  # (identity) a number the rules cannot read: events or refusal, no crash


class Refused(Exception):
    pass


def odd_catalogue() -> Catalogue:
    cat = bundled()
    cat.update(
        [
            Instrument("okx", "BTC-USDT-SWAP", "BTC", "linear", 1e-30, "USDT", 1.0, "rest"),
            Instrument("okx", "ETH-USDT-SWAP", "ETH", "linear", 0.1, "USDT", 1000.0, "rest"),
            Instrument("okx", "SOL-USDT-SWAP", "SOL", "quanto", 1.0, "USDT", 1.0, "rest"),
            Instrument("okx", "BTC-USD-SWAP", "BTC", "inverse", 3.0000000000000004, "USD", 0.0, "rest"),
            Instrument("okx", "XRP-USDT-SWAP", "XRP", "linear", 100.0, "EUR", 1.0, "rest"),
        ]
    )
    return cat


CATALOGUES = {"bundled": bundled(), "empty": Catalogue(), "odd": odd_catalogue()}


def convention(inst_id: str) -> Instrument | None:
    """The documented naming rules: BASE-USD-… inverse at 100 USD (BTC) or 10 USD; BASE-QUOTE MARGIN."""
    parts = inst_id.split("-")
    if len(parts) == 3 and parts[1] == "USD" and parts[0]:
        coin, _ = normalize_coin(parts[0])
        return Instrument("okx", inst_id, coin, "inverse", 100.0 if coin == "BTC" else 10.0, "USD")
    if len(parts) == 2 and parts[0] and parts[1]:
        coin, bundle = normalize_coin(parts[0])
        return Instrument("okx", inst_id, coin, "linear", bundle, parts[1], price_unit=bundle)
    return None


def positive(text: str) -> float:
    if "_" in text or text != text.strip():  # padding: no decimal, as on every venue's exact path
        raise Refused
    try:
        value = float(text)
    except ValueError:
        raise Refused from None
    if not 0.0 < value < math.inf:
        raise Refused
    return value


def exact(*texts: str) -> float:
    product = Decimal(1)
    for text in texts:
        product = EXACT.multiply(product, Decimal(text))
    return float(product)


def canonical(text: str) -> str:
    """Canonical decimal text (venues/ids.py): no exponent, no leading or trailing zeros."""
    if PLAIN.fullmatch(text) and text[0] != ".":
        head, _, tail = text.partition(".")
        head = head.lstrip("0") or "0"
        tail = tail.rstrip("0")
        return f"{head}.{tail}" if tail else head
    try:
        value = Decimal(text)
    except decimal.InvalidOperation:
        return text
    if not value.is_finite():
        return text
    out = format(value.normalize(), "f")
    return "0" if out in ("-0", "0") else out


def event(inst_id: str, detail: dict[str, str], cat: Catalogue) -> Liquidation:
    pos, order = detail.get("posSide", ""), detail.get("side", "")
    side = pos if pos in ("long", "short") else {"sell": "long", "buy": "short"}.get(order)
    if side is None:
        raise Refused
    sz, px, ts_text = detail["sz"], detail["bkPx"], detail["ts"]
    price = positive(px)
    positive(sz)
    if not (ts_text.isascii() and ts_text.isdigit() and len(ts_text) <= 15 and int(ts_text) > 0):
        raise Refused
    inst = cat.get("okx", inst_id) or convention(inst_id)
    size = repr(inst.contract_size) if inst is not None else "1"
    qty = usd = None
    if inst is None:
        coin, bundle = normalize_coin(inst_id.split("-", 1)[0])
        price /= bundle
    elif inst.kind == "inverse":
        coin = inst.coin
        if inst.usd_quoted:
            usd = exact(sz, size)
            qty = usd / price
    elif inst.kind == "linear":
        coin = inst.coin
        qty = exact(sz, size)
        usd = exact(sz, size, px) / inst.price_unit if inst.usd_quoted else None
        price /= inst.price_unit
    else:
        coin = inst.coin
        price /= inst.price_unit
    for value in (qty, usd):
        if value is not None and not 0.0 < value < math.inf:
            raise Refused
    event_id = f"okx:{inst_id}:{int(ts_text)}:{side}:{canonical(sz)}:{canonical(px)}"
    return Liquidation("okx", inst_id, coin, side, price, qty, usd, int(ts_text), RECV_TS, "sampled", event_id)  # type: ignore[arg-type]


def typed(value: object, kind: type) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


def oracle(text: str, cat: Catalogue, max_usd: float, min_ts: float) -> tuple[list[Liquidation] | None, bool]:
    """(events, REFUSE or ANYTHING; whether a refusal is also right: numbers written in a form the
    documented rules do not cover, e.g. "1_000" or " 7", may be read or refused)."""
    msg = json.loads(text)
    if not isinstance(msg, dict):
        return REFUSE, True
    arg, push_event = msg.get("arg"), msg.get("event", "")
    if (arg is not None and not isinstance(arg, dict)) or not typed(push_event, str):
        return REFUSE, True
    if arg is not None and not all(typed(arg.get(k, ""), str) for k in ("channel", "instType")):
        return REFUSE, True
    if push_event or arg is None or arg.get("channel", "") != "liquidation-orders":
        return [], False
    entries = msg.get("data")
    if not isinstance(entries, list):
        return REFUSE, True
    for entry in entries:
        if (
            not isinstance(entry, dict)
            or not typed(entry.get("instId"), str)
            or not typed(entry.get("instType", ""), str)
        ):
            return REFUSE, True
        if not isinstance(entry.get("details"), list):
            return REFUSE, True
        for detail in entry["details"]:
            if not isinstance(detail, dict) or not all(typed(detail.get(k), str) for k in ("sz", "bkPx", "ts")):
                return REFUSE, True
            if detail.get("side", "") not in ("buy", "sell", "") or detail.get("posSide", "") not in (
                "long",
                "short",
                "net",
                "",
            ):
                return REFUSE, True
    events: list[Liquidation] = []
    lenient = False
    try:
        for entry in entries:
            inst_id = entry["instId"]
            kind = entry.get("instType", "") or arg.get("instType", "") or ("OPTION" if inst_id.count("-") == 4 else "")
            if kind == "OPTION":
                continue
            for detail in entry["details"]:
                lenient |= not (PLAIN.fullmatch(detail["sz"]) and PLAIN.fullmatch(detail["bkPx"]))
                events.append(event(inst_id, detail, cat))
    except Refused:
        return REFUSE, True
    except (decimal.InvalidOperation, ValueError, OverflowError):  # text float() reads, Decimal does not
        return ANYTHING, True
    if any(e.ts < min_ts or (e.usd is not None and e.usd > max_usd) for e in events):
        return REFUSE, False
    return events, lenient


def check(text: str, cat: Catalogue, max_usd: float = MAX_USD, min_ts: float = MIN_TS) -> None:
    want, may_refuse = oracle(text, cat, max_usd, min_ts)
    parse = okx.parser(max_usd, min_ts) if (max_usd, min_ts) != (MAX_USD, MIN_TS) else REGISTRY["okx"].parse
    try:
        got = parse(text, RECV_TS, cat)
    except BadFrame:
        assert want is REFUSE or may_refuse, f"refused, the rules give {want}"
        return
    assert want is not REFUSE, f"the rules refuse this frame; parse gave {got}"
    if want is not ANYTHING:
        assert got == want


FRAMES = [p.read_text().strip() for p in sorted(FIXTURES.glob("*.json"))]
OBJECTS = [json.loads(f) for f in FRAMES if f.startswith("{")]


@pytest.mark.parametrize("text", FRAMES, ids=[p.stem for p in sorted(FIXTURES.glob("*.json"))])
@pytest.mark.parametrize("cat", CATALOGUES.values(), ids=list(CATALOGUES))
def test_fixture_frames_follow_the_rules(text: str, cat: Catalogue) -> None:
    want, may_refuse = oracle(text, cat, MAX_USD, MIN_TS)
    assert not may_refuse or want is REFUSE  # the fixtures are written in the documented forms
    check(text, cat)
    check(text, cat, math.inf, -math.inf)


ODD = [
    "0", "-1", "-0", "-124.50", "1e5", "1.5e3", "1E-3", "nan", "inf", "", " 1", "1.5 ", "1_000", "+5", "00012",
    "1.", ".5", "\uff11\uff12", "\u0663.\u0665", "9" * 30, "0." + "0" * 30 + "1", "0." + "0" * 400 + "1",
    "12.34.5", "0.1", "0.500", "1763712000", "Buy", "sell", "buy", "long", "short", "net", "OPTION", "SWAP",
    "BTC-USD-260925-70000-C", "XYZ-USDT-SWAP", "BTC-USDT", "1000PEPE-USDT-SWAP", "ETH-USD-SWAP",
    0, -1, 10**20, 1.5, True, None, [], {},
]  # fmt: skip


@pytest.mark.parametrize("frame", OBJECTS, ids=[str(i) for i in range(len(OBJECTS))])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_frames_follow_the_rules(frame: dict[str, object], data: st.DataObject) -> None:
    mutated: object = frame
    for _ in range(data.draw(st.integers(1, 2))):
        mutated = replaced(mutated, data.draw(st.sampled_from(leaves(mutated))), data.draw(st.sampled_from(ODD)))
    cat = data.draw(st.sampled_from(list(CATALOGUES.values())))
    check(json.dumps(mutated), cat)


def push(inst_id: str, sz: str, px: str, ts: int, pos: str = "net", side: str = "sell") -> str:
    detail = {"bkPx": px, "posSide": pos, "side": side, "sz": sz, "ts": str(ts)}
    data = [{"details": [detail], "instId": inst_id, "instType": "SWAP"}]
    return json.dumps({"arg": {"channel": "liquidation-orders", "instType": "SWAP"}, "data": data})


BOUNDARIES = [
    # BTC-USD-SWAP: 100 USD a contract: 10**8 contracts = MAX_USD exactly; a thousandth more is refused
    push("BTC-USD-SWAP", "100000000", "95000", MIN_TS),
    push("BTC-USD-SWAP", "100000000.001", "95000", MIN_TS),
    push("BTC-USD-SWAP", "1", "95000", MIN_TS - 1),
    # BTC-USDT-SWAP: 0.01 BTC a contract
    push("BTC-USDT-SWAP", "10000000", "100000", MIN_TS, "long", "buy"),
    push("BTC-USDT-SWAP", "10000000.1", "100000", MIN_TS, "short", ""),
    push("BTC-USDT-SWAP", "3", "0." + "0" * 21 + "1", MIN_TS),  # 22 places: the digits path's edge
    push("BTC-USDT-SWAP", "3", "0." + "0" * 22 + "1", MIN_TS),
    push("BTC-USDT-SWAP", "9007199254740993", "1", MIN_TS),  # beyond 2**53
    push("BTC-USDT-SWAP", "1", "1", 10**14),
    push("BTC-USDT-SWAP", "1", "1", 10**15),  # 16 digits
    push("BTC-USDT-SWAP", "1", "1" + "0" * 700, MIN_TS),  # beyond what int() reads in a frame
    push("XYZ-USDT-SWAP", "0." + "0" * 400 + "1", "2", MIN_TS),  # sz underflows: refused, even unpriced
    push("BTC-USDT", "0.5", "1.5 ", MIN_TS),  # MARGIN; a trailing space once priced it as 0.15, now refused
    # ids: canonical decimals, whatever the text
    push("BTC-USDT-SWAP", "2.500", "95000.10", MIN_TS),
    push("BTC-USD-SWAP", "100", "095000.", MIN_TS),
    push("XYZ-USDT-SWAP", ".5", "0.0500", MIN_TS),
    push("BTC-USDT-SWAP", "3", "95000", 1787200000123, "long").replace('"1787200000123"', '"01787200000123"'),
]


@pytest.mark.parametrize("text", BOUNDARIES)
@pytest.mark.parametrize("cat", CATALOGUES.values(), ids=list(CATALOGUES))
def test_boundaries_follow_the_rules(text: str, cat: Catalogue) -> None:
    check(text, cat)
    check(text, cat, math.inf, -math.inf)


@pytest.mark.parametrize("odd", ["1.5 ", " 1.5", "1.5\n", "1_5", "1.0_5"])
@pytest.mark.parametrize("inst_id", ["BTC-USDT-SWAP", "BTC-USD-SWAP", "BTC-USDT", "XYZ-USDT-SWAP"])
def test_padded_number_text_is_refused(odd: str, inst_id: str) -> None:
    """float() reads spaces and underscores; OKX refuses them as every venue does (numbers.py)."""
    for sz, px in ((odd, "100"), ("3", odd)):
        with pytest.raises(BadFrame, match="not a plain decimal"):
            okx.parse(push(inst_id, sz, px, MIN_TS), RECV_TS, CATALOGUES["bundled"])


def test_rest_rows_follow_the_same_rules() -> None:
    """REST rows are the stream's entries (instType per row, none on the push)."""
    cat = bundled()
    pushes = [f for f in OBJECTS if f.get("arg", {}).get("channel") == "liquidation-orders" and f.get("data")]
    rows = [row for frame in pushes for row in frame["data"] if row.get("instType")]
    body = json.dumps({"code": "0", "msg": "", "data": rows})
    want, _ = oracle(json.dumps({"arg": {"channel": "liquidation-orders"}, "data": rows}), cat, math.inf, -math.inf)
    assert want and okx.parse_rest_liquidations(body, RECV_TS, cat) == want

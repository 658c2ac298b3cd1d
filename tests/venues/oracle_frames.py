"""What the rule oracles of tests/venues/test_rules_<venue>.py share: frames to feed them and a verdict.

A venue with one parse path has no second path to compare with; instead its frames (fixtures,
frames with one or two leaves swapped for odd values, boundary frames) are checked against an
oracle written in the test from the venue's documented rules, with Decimal. The oracle says
REFUSED (the frame must be a BadFrame), IGNORED (a control frame: no events) or the events; a
parse may never raise anything but BadFrame and never give an event the oracle does not.
"""

from __future__ import annotations

import decimal
import json
import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import msgspec
from hypothesis import strategies as st

from liqwatch.instruments import Catalogue
from liqwatch.model import Liquidation
from liqwatch.venues.base import BadFrame, Frame

EXACT = decimal.Context(prec=2000, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)  # no rounding
REFUSED = "refused"
IGNORED = "ignored"
Verdict = str | list[tuple[Liquidation, bool]]  # (event, whether its usd is an exact rule)

ODD_TEXT = [
    "0", "-1", "-0", "-124.50", "-124.000", "1e5", "1.5e3", "1E-3", "nan", "inf", "", " 1", "1.5 ", "1_000", "1.0_5", "+5", "00012", "1.", ".5",
    "\uff11\uff12", "\u0663.\u0665", "9" * 30, "0" * 700 + "1", "0." + "0" * 30 + "1", "12.34.5", "0.1", "1763712000",
    "Buy", "sell", "BUY", "long", "net", "X", "update", "all",
]  # fmt: skip
ODD_VALUES: list[object] = [0, -1, 10**20, 2**63, 1763712000, 1e-320, 1e308, 0.30000000000000004, 2.17e-06, 9214.0]
ODD_VALUES += [True, None, [], {}]
values = st.sampled_from(ODD_TEXT + ODD_VALUES) | st.integers() | st.floats() | st.text(max_size=8)


def leaves(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in leaves(v, (*path, k))] + [path]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in leaves(v, (*path, i))] + [path]
    return [path]


def replaced(node: object, path: tuple[object, ...], value: object) -> object:
    if not path:
        return value
    head, *rest = path
    copy = json.loads(json.dumps(node))
    copy[head] = replaced(copy[head], tuple(rest), value)
    return copy


def decimal(text: object) -> Decimal | None:
    """The positive finite decimal a venue's number text (or JSON number) states; None otherwise
    (text no venue writes, which Decimal() would read all the same: "1_5", " 1.5", "1.5 ")."""
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        return None
    if isinstance(text, str) and ("_" in text or text != text.strip()):
        return None
    try:
        value = Decimal(text if isinstance(text, str) else repr(text))
    except InvalidOperation:
        return None
    return value if value.is_finite() and value > 0 else None


def canonical(value: Decimal) -> str:
    """The id form of a number (venues/ids.py): plain decimal text, no exponent, no needless zeros."""
    text = format(value.normalize(EXACT), "f")
    return "0" if text in ("-0", "0") else text


def finite_positive(*numbers: float | None) -> bool:
    return all(n is None or 0.0 < n < math.inf for n in numbers)


def is_int(value: object) -> bool:
    """A JSON integer msgspec reads into an `int` field (any size; not a bool, not 1.0)."""
    return isinstance(value, int) and not isinstance(value, bool)


def assert_agrees(
    parse: Callable[[Frame, int, Catalogue], list[Liquidation]],
    frame: Frame,
    recv_ts: int,
    cat: Catalogue,
    want: Verdict,
) -> None:
    """`parse` gives what the oracle says. Events: every field equal, except that price and qty (and
    usd where the rule is a float product, `Expected.exact_usd` False) may differ in the last bits."""
    try:
        got = parse(frame, recv_ts, cat)
    except BadFrame:
        assert want == REFUSED, f"refused a frame the rules accept: {frame!r} → {want}"
        return
    if want == IGNORED:
        assert got == [], f"events from a frame the rules ignore: {frame!r} → {got}"
        return
    assert want != REFUSED, f"accepted a frame the rules refuse: {frame!r} → {got}"
    assert isinstance(want, list)
    assert len(got) == len(want), (frame, got, want)
    for event, (expected, exact_usd) in zip(got, want, strict=True):
        close = [(event.price, expected.price), (event.qty, expected.qty)]
        if not exact_usd:
            close.append((event.usd, expected.usd))
        for a, b in close:
            assert (a is None) == (b is None) and (a is None or math.isclose(a, b, rel_tol=1e-14)), (
                frame,
                event,
                expected,
            )
        fixed = msgspec.structs.replace(expected, price=event.price, qty=event.qty)
        if not exact_usd:
            fixed = msgspec.structs.replace(fixed, usd=event.usd)
        assert event == fixed, (frame, event, expected)

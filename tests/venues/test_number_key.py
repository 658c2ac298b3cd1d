"""ids.number_key's quick path against Decimal, on the texts the quick path must not take."""

from __future__ import annotations

import re
from decimal import Context, Decimal, InvalidOperation

from hypothesis import assume, given
from hypothesis import strategies as st

from liqwatch.venues.ids import number_key


def reference(text: str) -> str:
    """Canonical text by Decimal alone; text that is no number comes back unchanged."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if not value.is_finite():
        return text
    canonical = format(value.normalize(Context(prec=max(28, len(value.as_tuple().digits)))), "f")
    return "0" if canonical in ("-0", "0") else canonical


# Digits with whatever Decimal or float may also read inside a number: exponents, underscores,
# points, signs, spaces and non-ASCII digits, so texts starting and ending in 1-9 vary inside.
HUGE_EXPONENT = re.compile(r"[eE][+-]?[\d_]{3,}")  # "1e999999" (any digits, ١ too) would be written out in full
CHARS = st.sampled_from([*"0123456789", ".", "e", "E", "_", "+", "-", " ", "١", "x"])


@given(st.text(CHARS, max_size=12))
def test_number_key_is_decimal_canonical_text(text: str) -> None:
    assume(not HUGE_EXPONENT.search(text))
    assert number_key(text) == reference(text)


@given(st.text(CHARS, max_size=10))
def test_texts_between_nonzero_digits(inside: str) -> None:
    text = f"7{inside}3"
    assume(not HUGE_EXPONENT.search(text))
    assert number_key(text) == reference(text)

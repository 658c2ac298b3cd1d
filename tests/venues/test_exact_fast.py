"""The float fast paths of `liqwatch.numbers` give exactly the float of the integer/Decimal path.

USD values are the exact decimal product of the venue's text, correctly rounded. The fast paths
(`exact_product2`'s float rule, `plain_digits`, `float_digits`, and the venue parsers that apply
the same rules inline) must give the very same float as the integer path they short-cut, for
every input, plain or not.
"""

from __future__ import annotations

import decimal
import math
import re
import sys

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from liqwatch.numbers import (
    EXACT_INT,
    POW10,
    BadNumber,
    _digits,
    _exact_product2_int,
    exact_product,
    exact_product2,
    float_digits,
    plain_digits,
)

EXACT = decimal.Context(prec=2000, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)

digits = st.text(alphabet="0123456789", min_size=1, max_size=18)
plain = st.one_of(
    digits,
    st.builds(lambda head, tail: f"{head}.{tail}", digits, digits),
    st.builds(lambda tail: f".{tail}", digits),
    st.builds(lambda head: f"{head}.", digits),
)
# Text venues never send but a frame can hold: signs, spaces, underscores, exponents, other digits.
# Exponents stay below 10**4: the integer path would build 10**exponent (venue parsers only reach
# it with finite, positive floats, whose exponents are as short as their digits).
_LONG_EXPONENT = re.compile(r"[eE][+\-]?[0-9_]{4,}")
odd = st.text(alphabet="0123456789.eE+-_ \u0661\u00b2", max_size=14).filter(lambda t: not _LONG_EXPONENT.search(t))
texts = plain | odd


def outcome(fn: object, *args: object) -> tuple[str, object]:
    try:
        return "ok", fn(*args)  # type: ignore[operator]
    except (BadNumber, ValueError, OverflowError) as exc:
        return type(exc).__name__, str(exc)


def decimal_product(a: str, b: str) -> float:
    return float(EXACT.multiply(decimal.Decimal(a), decimal.Decimal(b)))


@settings(max_examples=1500, deadline=None)
@given(a=texts, b=texts)
@example("0.288", "39021.00")
@example("94999.99999999999", "0.001")
@example("9007199254740993", "1")  # just beyond 2**53: the integer path
@example("0." + "0" * 30 + "1", "1")  # beyond 10**22: the integer path
@example("1.5 ", "2")  # trailing space: refused on both paths (read as 15 / 10**2 before)
@example("1.0_5", "2")
@example("1.5e3", "2")
def test_exact_product2_equals_the_integer_path(a: str, b: str) -> None:
    assert outcome(exact_product2, a, b) == outcome(_exact_product2_int, a, b)


@settings(max_examples=1500, deadline=None)
@given(a=plain, b=plain)
def test_exact_product2_is_the_correctly_rounded_decimal_product(a: str, b: str) -> None:
    assert exact_product2(a, b) == decimal_product(a, b)


def test_long_digit_strings_keep_the_integer_path_error() -> None:
    zeros = "0" * (sys.get_int_max_str_digits() + 5) + "1"
    assert outcome(exact_product2, zeros, "2") == outcome(_exact_product2_int, zeros, "2")
    assert outcome(exact_product2, zeros, "2")[0] == "BadNumber"
    assert plain_digits(zeros) is None


@settings(max_examples=1500, deadline=None)
@given(text=texts)
def test_plain_digits(text: str) -> None:
    found = plain_digits(text)
    if found is None:
        return
    value, places = found
    assert text.replace(".", "", 1).isdecimal()
    assert (int(value), places) == _digits(text)
    assert value < EXACT_INT
    assert value / POW10[places] == float(text)


positive_floats = st.floats(min_value=5e-324, max_value=1.7e308, allow_nan=False, allow_infinity=False)
# Floats that come from short decimals (prices, sizes): the fast path is expected to find these.
short_decimals = st.builds(
    lambda n, k: float(f"{n}e-{k}"), st.integers(min_value=1, max_value=10**8), st.integers(0, 9)
)


@settings(max_examples=2000, deadline=None)
@given(value=positive_floats | short_decimals)
@example(0.1)
@example(0.30000000000000004)
@example(2.17e-06)
@example(9214.0)
@example(2.0**52 + 1)
@example(1e16)
@example(123456789012345.67)
def test_float_digits_is_the_value_of_repr(value: float) -> None:
    found = float_digits(value)
    if found is None:
        return
    digits_value, places = found
    assert digits_value.is_integer()
    assert decimal.Decimal(int(digits_value)).scaleb(-places) == decimal.Decimal(repr(value))
    n, k = _digits(value)
    assert decimal.Decimal(n).scaleb(-k) == decimal.Decimal(int(digits_value)).scaleb(-places)


@settings(max_examples=1500, deadline=None)
@given(n=st.integers(min_value=1, max_value=10**15 - 1), k=st.integers(0, 22))
@example(288, 3)
def test_float_digits_finds_short_decimals(n: int, k: int) -> None:
    """Prices and sizes (at most 15 significant digits, at most 22 places) never need `repr`."""
    value = float(decimal.Decimal(n).scaleb(-k))
    found = float_digits(value)
    assert found is not None
    assert decimal.Decimal(int(found[0])).scaleb(-found[1]) == decimal.Decimal(repr(value))


@settings(max_examples=1500, deadline=None)
@given(a=short_decimals, b=short_decimals, c=plain)
def test_products_of_float_digits_equal_exact_product(a: float, b: float, c: str) -> None:
    """What bitmex/deribit/okx/gate do inline: digits of floats and text, one exact division."""
    da, db, dc = float_digits(a), float_digits(b), plain_digits(c)
    assume(da is not None and db is not None and dc is not None)
    assert da is not None and db is not None and dc is not None
    product = da[0] * db[0] * dc[0]
    places = da[1] + db[1] + dc[1]
    assume(0.0 < product < EXACT_INT and places < 23)
    assert product / POW10[places] == exact_product(a, b, c)


@pytest.mark.parametrize("k", range(23))
def test_powers_of_ten_are_exact(k: int) -> None:
    assert POW10[k] == 10**k
    assert math.isfinite(POW10[k])


def test_a_huge_exponent_is_refused_not_computed() -> None:
    # found by hypothesis: int() reads "51١_7350١" (an underscore, Arabic-Indic digits) as 5,173,501,
    # and 10**5173501 kept the parser busy for minutes
    from liqwatch.numbers import BadNumber, exact_product2

    with pytest.raises(BadNumber):
        exact_product2("8E51١_7350١", "1")
    with pytest.raises(BadNumber):
        exact_product2("1e-401", "2")
    assert exact_product2("1e2", "3") == 300.0


@pytest.mark.parametrize("padded", ["1.5 ", " 1.5", "1_0.5", "1.5\n", "\t2"])
def test_padded_or_underscored_text_is_refused_not_misread(padded: str) -> None:
    """int() and float() read "1.5 " and "1_0.5", but the places after the point would be counted
    wrong (0.015, not 1.5): such text is no venue's decimal and is refused on every path."""
    with pytest.raises(BadNumber):
        exact_product2(padded, "100")
    with pytest.raises(BadNumber):
        exact_product2("100", padded)
    with pytest.raises(BadNumber):
        exact_product(padded, "100")

"""Exact conversion of the decimal strings venues send into floats.

Venues send prices and sizes as decimal text. The product of two decimals is computed on
integers (the digits with the point removed) and divided by the power of ten once, which
Python rounds correctly: `0.288 × 39021.00` is 11238.048, not 11238.047999999999.

Fast path (the venue parsers' hot loops use the same rules inline): when the digits are plain
decimal digits, their integer product is below 2**53 and the power of ten is at most 10**22,
every operand is an exactly representable double, so ONE float division gives the correctly
rounded quotient — the very float the integer path gives. Anything else takes the integer path.
JSON numbers arrive as floats; `float_digits` recovers the digits of their shortest repr (what
`exact_product` reads) without formatting them.
"""

from __future__ import annotations

import decimal
import math

_POWERS = [10**i for i in range(64)]
Decimalish = str | float | int

# Exactly representable powers of ten (10**22 is the largest) and the first integer a double
# cannot hold next to its neighbour: below EXACT_INT every integer is exact.
POW10 = tuple(10.0**i for i in range(23))
EXACT_INT = 2.0**53
_REPR_SAFE = 2.0**51  # float_digits: digit integers below this are unambiguous (see there)
_ROUNDER = 2.0**52  # (x + 2**52) - 2**52 is x rounded to an integer, for 0 <= x < 2**52
# Longer digit strings (leading zeros) take the integer path, whose int() refuses more than
# sys.get_int_max_str_digits() digits (at least 640 whatever the setting).
MAX_DIGITS = 600
# Products of decimal text without rounding (`float` then rounds once): the rules functions of the
# venues whose hot loops multiply digits (Gate, Bybit) state their products in it.
EXACT_DECIMAL = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


class BadNumber(ValueError):
    pass


def number(text: Decimalish, what: str) -> float:
    """A finite float from a venue field, or BadNumber naming the field (text float() would read but
    no venue writes, "1_5" as 15 or " 1.5", is refused: refuse_padding)."""
    if isinstance(text, str):
        refuse_padding(text, what)
    try:
        value = float(text)
    except (TypeError, ValueError, OverflowError):
        raise BadNumber(f"{what} is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise BadNumber(f"{what} is not finite: {text!r}")
    return value


def positive(text: Decimalish, what: str) -> float:
    value = number(text, what)
    if value <= 0:
        raise BadNumber(f"{what} must be positive: {text!r}")
    return value


def text_of(value: Decimalish) -> str:
    """The decimal text of a venue value: strings as sent, JSON numbers by their shortest repr."""
    return value if isinstance(value, str) else repr(value)


MAX_EXPONENT = 400  # beyond any float: no real size or price is written with a larger one


def refuse_padding(text: str, what: str = "") -> None:
    """int() and float() accept what no venue's decimal holds and the places count would misread
    ("1.5 " has three characters after its point): surrounding whitespace and digit underscores.
    BadNumber naming the field `what`, when given."""
    if "_" in text or text != text.strip():
        raise BadNumber(f"{what + ' is ' if what else ''}not a plain decimal: {text!r}")


def _digits(value: Decimalish) -> tuple[int, int]:
    """(integer of all digits, places after the point) of a decimal: "39021.00" → (3902100, 2)."""
    text = text_of(value)
    refuse_padding(text)
    if "e" in text or "E" in text:
        mantissa, _, exponent = text.lower().partition("e")
        digits, places = _digits(mantissa)
        shift = int(exponent)
        if not -MAX_EXPONENT <= shift <= MAX_EXPONENT:  # 10**5173501 would take the process minutes
            raise BadNumber(f"exponent out of range: {text!r}")
        places -= shift
        if places < 0:
            return digits * 10**-places, 0
        return digits, places
    dot = text.find(".")
    if dot < 0:
        return int(text), 0
    return int(text.replace(".", "", 1)), len(text) - dot - 1


def plain_digits(text: str) -> tuple[float, int] | None:
    """(digits, places) of plain decimal text, the digits as an exact float: "39021.00" → (3902100.0, 2).

    None unless `text` is decimal digits with at most one point, fewer than 2**53 as an integer
    and with at most 22 places: then `digits / POW10[places]` is `float(text)` and products of
    such digits below EXACT_INT are exact.
    """
    head, _, tail = text.partition(".")
    digits = head + tail
    if not digits.isdecimal() or len(tail) > 22 or len(digits) > MAX_DIGITS:
        return None
    value = float(digits)
    return (value, len(tail)) if value < EXACT_INT else None


def exact_digits(value: Decimalish) -> tuple[float, int] | None:
    """(digits, places) as `exact_product` reads `value`, trailing zeros dropped, the digits as a float.

    1.0 → (1.0, 0), 0.0001 → (1.0, 4): for constants such as contract sizes, read once. None
    unless the digits are a positive integer below 2**53 with at most 22 places (exact in a double).
    """
    try:
        digits, places = _digits(value)
    except ValueError:
        return None
    while places > 0 and digits % 10 == 0:
        digits //= 10
        places -= 1
    if 0 < digits < EXACT_INT and places < 23:
        return float(digits), places
    return None


def float_digits(value: float) -> tuple[float, int] | None:
    """(digits, places) of the shortest repr of a positive float, without formatting it.

    2.17e-06 → (217.0, 8), 9214.0 → (9214.0, 0), 0.288 → (288.0, 3); None when no candidate
    below 2**51 with at most 22 places is found (the caller then reads `repr`). For k = 0, 1, …
    the candidate n is value × 10**k rounded to an integer; it is taken once n / 10**k divides
    back to `value` exactly. Then n / 10**k is a decimal with k places that rounds to `value`,
    and since n < 2**51 makes 10**-k more than twice the spacing of doubles near `value`, no
    other decimal with at most k places rounds to it. The shortest repr rounds to `value` and has
    at most k places (it is no longer than n / 10**k), so it IS n / 10**k.
    """
    for places in range(23):
        scale = POW10[places]
        digits = (value * scale + _ROUNDER) - _ROUNDER  # the nearest integer, below 2**52
        if digits >= _REPR_SAFE:
            return None
        if digits / scale == value:
            return digits, places
    return None


def exact_product2(a: str, b: str) -> float:
    """exact_product of two decimal strings: the hot path of every linear venue."""
    head_a, _, tail_a = a.partition(".")
    head_b, _, tail_b = b.partition(".")
    digits_a = head_a + tail_a
    digits_b = head_b + tail_b
    places = len(tail_a) + len(tail_b)
    if digits_a.isdecimal() and digits_b.isdecimal() and places < 23 and len(digits_a) + len(digits_b) < MAX_DIGITS:
        # Decimal digits only (no sign, space, underscore or exponent): float() and int() read
        # the same integer, exactly while it is below 2**53, and so is the product then.
        product = float(digits_a) * float(digits_b)
        if product < EXACT_INT:
            return product / POW10[places]
    return _exact_product2_int(a, b)


def _exact_product2_int(a: str, b: str) -> float:
    """exact_product2 on Python integers: any text, any size (the reference the fast path equals)."""
    refuse_padding(a)
    refuse_padding(b)
    dot_a = a.find(".")
    dot_b = b.find(".")
    try:
        digits_a = int(a) if dot_a < 0 else int(a.replace(".", "", 1))
        digits_b = int(b) if dot_b < 0 else int(b.replace(".", "", 1))
    except ValueError:  # exponent notation, or not a number: the general path decides
        return exact_product(a, b)
    places = (0 if dot_a < 0 else len(a) - dot_a - 1) + (0 if dot_b < 0 else len(b) - dot_b - 1)
    try:
        result: float = digits_a * digits_b / (_POWERS[places] if places < len(_POWERS) else 10**places)
    except OverflowError:
        raise BadNumber(f"product out of range: {a!r} × {b!r}") from None
    return result


def exact_product(*factors: Decimalish) -> float:
    """The product of decimal values, correctly rounded to the nearest float.

    Callers validate the factors with `number`/`positive` first; text that is not a
    decimal raises BadNumber here too.
    """
    digits = 1
    places = 0
    try:
        for factor in factors:
            factor_digits, factor_places = _digits(factor)
            digits *= factor_digits
            places += factor_places
    except ValueError:
        raise BadNumber(f"not a decimal product: {factors!r}") from None
    if abs(places) > 400:
        raise BadNumber(f"product out of range: {factors!r}")
    try:
        result: float = digits / (_POWERS[places] if places < len(_POWERS) else 10**places)
    except OverflowError:
        raise BadNumber(f"product out of range: {factors!r}") from None
    return result

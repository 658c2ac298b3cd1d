"""Exact conversion of the decimal strings venues send into floats.

Venues send prices and sizes as decimal text. The product of two decimals is computed on
integers (the digits with the point removed) and divided by the power of ten once, which
Python rounds correctly: `0.288 × 39021.00` is 11238.048, not 11238.047999999999.
"""

from __future__ import annotations

import math

_POWERS = [10**i for i in range(64)]
Decimalish = str | float | int


class BadNumber(ValueError):
    pass


def number(text: Decimalish, what: str) -> float:
    """A finite float from a venue field, or BadNumber naming the field."""
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


def _digits(value: Decimalish) -> tuple[int, int]:
    """(integer of all digits, places after the point) of a decimal: "39021.00" → (3902100, 2)."""
    text = text_of(value)
    if "e" in text or "E" in text:
        mantissa, _, exponent = text.lower().partition("e")
        digits, places = _digits(mantissa)
        places -= int(exponent)
        if places < 0:
            return digits * 10**-places, 0
        return digits, places
    dot = text.find(".")
    if dot < 0:
        return int(text), 0
    return int(text.replace(".", "", 1)), len(text) - dot - 1


def exact_product2(a: str, b: str) -> float:
    """exact_product of two decimal strings: the hot path of every linear venue."""
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

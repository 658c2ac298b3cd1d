"""Exact conversion of the decimal strings venues send into floats.

Venues send prices and sizes as decimal text. A product of two decimals has a finite
decimal expansion; rounding the float product to that many places gives the double
nearest to the exact product, so `0.288 × 39021.00` is 11238.048, not 11238.047999999999.
"""

from __future__ import annotations

import math


class BadNumber(ValueError):
    pass


def decimals(text: str) -> int:
    """Digits after the decimal point of a plain or exponent decimal string."""
    mantissa, _, exponent = text.lower().partition("e")
    dot = mantissa.find(".")
    places = 0 if dot < 0 else len(mantissa) - dot - 1
    if exponent:
        places -= int(exponent)
    return max(places, 0)


def number(text: str | float | int, what: str) -> float:
    """A finite float from a venue field, or BadNumber naming the field."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise BadNumber(f"{what} is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise BadNumber(f"{what} is not finite: {text!r}")
    return value


def positive(text: str | float | int, what: str) -> float:
    value = number(text, what)
    if value <= 0:
        raise BadNumber(f"{what} must be positive: {text!r}")
    return value


def text_of(value: str | float | int) -> str:
    return value if isinstance(value, str) else repr(value)


def exact_product(a: str | float | int, b: str | float | int, *more: str | float | int) -> float:
    """The product of decimal values, rounded to the places the exact product has."""
    result = float(a) * float(b)
    places = decimals(text_of(a)) + decimals(text_of(b))
    for factor in more:
        result *= float(factor)
        places += decimals(text_of(factor))
    if places > 15:
        return result
    return round(result, places)


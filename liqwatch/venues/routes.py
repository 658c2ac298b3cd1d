"""Contract-size rules shared by the contract venues (BitMEX, Deribit, OKX, Gate).

A route is what a symbol's events need, worked out once per symbol and catalogue version:
how the size converts (mode), the coin, the price divisor, the exact digits of the contract
size and of the USD factor, whether the quote counts as USD, and the id prefix.
"""

from __future__ import annotations

import math

from liqwatch.instruments import Instrument
from liqwatch.numbers import BadNumber, Decimalish, exact_digits, exact_product

PRICE_ONLY = 0  # unlisted or quanto: qty and usd None
INVERSE = 1  # value = size × contract value; qty = value / price; usd = value (USD quote)
LINEAR = 2  # qty = size × contract size; usd = size × contract size / price_unit × price (USD quote)
SLOW = 3  # contract digits that are not exact in a double: the venue's rule function (`_event`) decides
SKIP = 4  # not a liquidation instrument (e.g. options): no event

# (mode, coin, price divisor, size digits, size places, usd factor digits, usd factor places,
#  usd_quoted, id prefix)
Route = tuple[int, str, float, float, int, float, int, bool, str]


def price_only(coin: str, bundle: float, prefix: str) -> Route:
    return (PRICE_ONLY, coin, bundle, 0.0, 0, 0.0, 0, False, prefix)


def contract_route(inst: Instrument, prefix: str) -> Route:
    """The route of a listed instrument, sizes read exactly as `numbers.exact_product` reads them."""
    if not 0.0 < inst.price_unit < math.inf:  # a broken catalogue entry: the venue's rule function words the error
        return (SLOW, inst.coin, 1.0, 0.0, 0, 0.0, 0, False, prefix)
    size = exact_digits(inst.contract_size)
    size_digits, size_places = size if size is not None else (0.0, 0)
    if inst.kind == "inverse":
        mode = INVERSE if size else SLOW
        return (mode, inst.coin, 1.0, size_digits, size_places, 0.0, 0, inst.usd_quoted, prefix)
    if inst.kind == "linear":
        factor = exact_digits(inst.contract_size / inst.price_unit) if inst.usd_quoted else (0.0, 0)
        mode = LINEAR if size and factor else SLOW
        factor_digits, factor_places = factor if factor is not None else (0.0, 0)
        return (
            mode,
            inst.coin,
            inst.price_unit,
            size_digits,
            size_places,
            factor_digits,
            factor_places,
            inst.usd_quoted,
            prefix,
        )
    return (PRICE_ONLY, inst.coin, 1.0, 0.0, 0, 0.0, 0, False, prefix)


def contract_amounts(
    inst: Instrument, size: Decimalish, price_text: Decimalish, price: float
) -> tuple[float, float | None, float | None]:
    """(price per coin, qty, usd) of `size` contracts of a listed instrument: the reference rule.

    Inverse: usd = size × contract value, qty = usd / price. Linear: qty = size × contract size,
    usd = size × contract size × price (per price unit). Quanto, or a quote that is not USD: None.
    """
    if inst.kind == "inverse":
        if not inst.usd_quoted:
            return price, None, None
        usd = exact_product(size, inst.contract_size)
        return price, usd / price, usd
    coin_price = price / inst.price_unit
    if inst.kind != "linear":
        return coin_price, None, None
    qty = exact_product(size, inst.contract_size)
    if not inst.usd_quoted:
        return coin_price, qty, None
    usd = exact_product(size, inst.contract_size, price_text)
    if inst.price_unit != 1.0:
        usd /= inst.price_unit
    return coin_price, qty, usd


def in_range(value: float | None, what: str) -> float | None:
    """`value` unless it overflowed or underflowed (positive inputs must give a positive finite result)."""
    if value is not None and not (0.0 < value < math.inf):
        raise BadNumber(f"{what} is out of range: {value!r}")
    return value

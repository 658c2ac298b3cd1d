"""routes.contract_amounts as columns, for the venues whose parsers call it on JSON numbers (HTX,
Kraken Futures), and the repr() of those numbers that their ids hold.

The parsers read a size and a price the Tardis row wrote as JSON numbers: msgspec reads them as
int or float, and `numbers.exact_product` reads the digits of their repr. That repr is the same
rational as the cell (the cell has at most 15 digits, so the shortest repr of its double is its own
value), so the products below, exact in a double and divided once by an exact power of ten, are the
correctly rounded quotients the parser's integer arithmetic gives.

Pure: pyarrow is imported by the functions that need it, as in store/event_arrow.py.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from liqwatch.instruments import Instrument
from liqwatch.numbers import EXACT_INT, exact_digits
from liqwatch.tardis_rules.columns import Decimals, all_of, join, lit, lit_null, per_row, positive_finite, pow10

PRICE_ONLY = 0  # unlisted, quanto, or an inverse contract not in USD: price only, qty and usd None
INVERSE = 1  # usd = size × contract value, qty = usd / price
LINEAR = 2  # qty = size × contract size, usd = size × contract size × price / price unit (USD quote)
SLOW = 3  # a contract size or price unit not exact in a double, or broken: the row path decides

MAX_MS = 10**15  # the parsers' bound on exchange milliseconds (htx.MAX_MS, kraken_futures.MAX_MS…)
REPR_FIXED_FROM = 1e-4  # repr() writes smaller floats with an exponent ("1e-05")

# (mode, coin, price divisor, size digits, size places, usd quoted)
ContractRoute = tuple[int, str, float, float, int, bool]


def contract_route(inst: Instrument | None, unlisted_coin: str) -> ContractRoute:
    """What routes.contract_amounts does with `inst` (None: the parser's price-only branch)."""
    if inst is None:
        return (PRICE_ONLY, unlisted_coin, 1.0, 0.0, 0, False)
    size = exact_digits(inst.contract_size)
    size_digits, size_places = size if size is not None else (0.0, 0)
    if inst.kind == "inverse":
        if not inst.usd_quoted:
            return (PRICE_ONLY, inst.coin, 1.0, 0.0, 0, False)
        return (INVERSE if size else SLOW, inst.coin, 1.0, size_digits, size_places, True)
    if not 0.0 < inst.price_unit < math.inf:  # price / price_unit would fail or give no price
        return (SLOW, inst.coin, 1.0, 0.0, 0, False)
    if inst.kind != "linear":
        return (PRICE_ONLY, inst.coin, inst.price_unit, 0.0, 0, False)
    return (LINEAR if size else SLOW, inst.coin, inst.price_unit, size_digits, size_places, inst.usd_quoted)


class Amounts(NamedTuple):
    coin_price: Any
    qty: Any
    usd: Any
    ok: Any  # the parser gives these values (null counts as not)


def contract_amounts(routes: list[ContractRoute], index: Any, size: Decimals, price: Decimals) -> Amounts:
    """contract_amounts(inst, size, price_text, float(price)) of each row, per its symbol's route."""
    import pyarrow.compute as pc

    mode, divisor, size_digits, size_places, usd_quoted = (
        per_row([r[k] for r in routes], index, kind)
        for k, kind in ((0, "int64"), (2, "float64"), (3, "float64"), (4, "int64"), (5, "bool_"))
    )
    price_value = pc.divide(price.digits, pow10(price.places))  # float(text): both exact
    product = pc.multiply(size.digits, size_digits)  # exact_product(size, contract size)
    places = pc.add(size.places, size_places)
    value = pc.divide(product, pow10(places))
    value_ok = pc.and_(pc.less(product, lit(EXACT_INT)), pc.less(places, lit(23)))
    usd_product = pc.multiply(product, price.digits)  # exact_product(size, contract size, price)
    usd_places = pc.add(places, price.places)
    linear_usd = pc.divide(pc.divide(usd_product, pow10(usd_places)), divisor)  # x / 1.0 is x
    usd_ok = pc.and_(pc.less(usd_product, lit(EXACT_INT)), pc.less(usd_places, lit(23)))
    is_inverse = pc.equal(mode, lit(INVERSE))
    is_linear = pc.equal(mode, lit(LINEAR))
    nothing = lit_null()
    inverse_qty = pc.divide(value, price_value)
    qty = pc.if_else(is_inverse, inverse_qty, pc.if_else(is_linear, value, nothing))
    linear_usd = pc.if_else(usd_quoted, linear_usd, nothing)
    usd = pc.if_else(is_inverse, value, pc.if_else(is_linear, linear_usd, nothing))
    ok = pc.if_else(
        is_inverse,
        pc.and_(value_ok, positive_finite(inverse_qty)),
        pc.if_else(
            is_linear,
            pc.and_(value_ok, pc.or_(pc.invert(usd_quoted), usd_ok)),
            pc.equal(mode, lit(PRICE_ONLY)),
        ),
    )
    numbers_ok = all_of(pc.greater(size.digits, lit(0.0)), pc.greater(price.digits, lit(0.0)))
    return Amounts(pc.divide(price_value, divisor), qty, usd, pc.and_(numbers_ok, pc.fill_null(ok, lit(False))))


def float_repr(text: Decimals) -> Any:
    """repr(float(cell)): the canonical key with ".0" after an integer ("5.50" → "5.5", "5" → "5.0"),
    or below 1e-4 its shortest digits with an exponent ("0.0000812" → "8.12e-05"). The same digits:
    a cell of at most 15 digits is the shortest decimal of its double."""
    import pyarrow.compute as pc

    fixed = pc.if_else(pc.match_substring(text.key, "."), text.key, join(text.key, ".0"))
    small = pc.less(pc.divide(text.digits, pow10(text.places)), lit(REPR_FIXED_FROM))
    return pc.if_else(small, exponent_repr(text.key), fixed) if pc.any(small).as_py() else fixed


def canonical(text: Decimals) -> Any:
    """htx.canonical of a JSON number: repr without a trailing ".0" (the key), or with an exponent."""
    import pyarrow.compute as pc

    small = pc.less(pc.divide(text.digits, pow10(text.places)), lit(REPR_FIXED_FROM))
    return pc.if_else(small, exponent_repr(text.key), text.key) if pc.any(small).as_py() else text.key


def exponent_repr(key: Any) -> Any:
    """repr() of the values below 1e-4 of canonical keys "0.000…": "0.0000812" → "8.12e-05"."""
    import pyarrow as pa
    import pyarrow.compute as pc

    after_point = pc.utf8_slice_codeunits(key, 2)
    digits = pc.ascii_ltrim(after_point, "0")
    exponent = pc.add(pc.subtract(pc.utf8_length(after_point), pc.utf8_length(digits)), lit(1))
    rest = pc.utf8_slice_codeunits(digits, 1)
    head = pc.utf8_slice_codeunits(digits, 0, 1)
    mantissa = pc.if_else(pc.greater(pc.utf8_length(rest), lit(0)), join(head, ".", rest), head)
    return join(mantissa, "e-", pc.utf8_lpad(pc.cast(exponent, pa.string()), 2, "0"))


def milliseconds(ts: Any) -> Any:
    """0 < ts < MAX_MS, the parsers' test of an exchange time."""
    import pyarrow.compute as pc

    return pc.and_(pc.greater(ts, lit(0)), pc.less(ts, lit(MAX_MS)))

"""Per exchange, a venue parser's rules for Tardis rows as Arrow columns (tardis_columns.py).

Each rule takes the plain rows of one Tardis exchange (cells already checked: plain decimals of at
most 15 digits, buy/sell, times in ms) priced with one catalogue, and returns their events as an
Arrow record batch of store.schema.EVENT_COLUMNS with a mask of the rows it covers; the others go to the
row path. A rule repeats its venue parser's inline arithmetic operation for operation (a digit
string as a double, divided by an exact power of ten, times the route's contract size…), so every
double is the one the parser computes; the routes are the venue modules' own `_route` functions.
Where a parser's inline path would hand a row to its rules function (`_event`), the rule leaves the
row uncovered, whatever the rules function would say.

    binance-futures, binance-delivery   venues/binance.py  parser (linear and inverse inline paths)
    bybit                               venues/bybit.py    parser (allLiquidation, or the legacy
                                                           topic before BYBIT_ALL_LIQUIDATION_SINCE)
    okex-swap, okex-futures             venues/okx.py      parser (LINEAR_USD, INVERSE, PRICE_ONLY)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

from liqwatch import tardis
from liqwatch.instruments import Catalogue
from liqwatch.model import COMPLETE, LONG, SAMPLED, SHORT
from liqwatch.numbers import EXACT_INT, POW10
from liqwatch.venues import binance, bybit, okx


class Decimals(NamedTuple):
    """A column of plain decimal text (at most 15 digits) as the parsers read it."""

    text: Any  # the cells as written
    digits: Any  # float64: all the digits as one integer (exact: below 2**53)
    places: Any  # int64: digits after the point
    key: Any  # the canonical text (venues.ids.number_key)


class Rows(NamedTuple):
    symbol: Any  # string
    buy: Any  # bool: Tardis side "buy" (a short position was liquidated)
    ts: Any  # int64 ms (tardis.Row.ts_ms)
    recv: Any  # int64 ms (tardis.Row.local_ms)
    amount: Decimals
    price: Decimals


Rule = Callable[[Rows, Catalogue], tuple[Any, Any]]  # (events table, covered mask)


def lit(value: object) -> Any:
    """A literal as an Arrow scalar: given as a Python value, each compute call would first look
    for pandas (~50 µs a call where it is not installed)."""
    import pyarrow as pa

    kind = pa.bool_() if isinstance(value, bool) else pa.int64() if isinstance(value, int) else None
    return pa.scalar(value, pa.float64() if isinstance(value, float) else kind or pa.string())


def decimals(text: Any, digits_text: Any) -> Decimals:
    """The column of plain decimal text `text` (`digits_text`: the same without its points)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    point = pc.find_substring(text, ".")
    length = pc.cast(pc.utf8_length(text), pa.int64())
    places = pc.if_else(
        pc.less(point, lit(0)),
        lit(0),
        pc.subtract(pc.subtract(length, point), lit(1)),
    )
    digits = pc.cast(digits_text, pa.float64())  # exact: at most 15 digits
    return Decimals(text, digits, places, _number_keys(text))


def _number_keys(text: Any) -> Any:
    """venues.ids.number_key of plain decimals: no leading zero before a digit, no trailing zero
    after the point, nor a point with nothing after it ("007.50" → "7.5", "100.0" → "100")."""
    import pyarrow.compute as pc

    leading = pc.and_(pc.starts_with(text, "0"), pc.invert(pc.starts_with(text, "0.")))
    trailing = pc.and_(pc.ends_with(text, "0"), pc.match_substring(text, "."))
    if not pc.any(pc.or_(leading, trailing)).as_py():
        return text
    key = pc.ascii_ltrim(text, "0")
    key = pc.if_else(pc.or_(pc.equal(pc.utf8_length(key), lit(0)), pc.starts_with(key, ".")), _join("0", key), key)
    return pc.if_else(trailing, pc.ascii_rtrim(pc.ascii_rtrim(key, "0"), "."), key)


def _pow10(places: Any) -> Any:
    """10.0 ** places (numbers.POW10), places ≤ 22 (a larger one gives null: the row is not covered)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    within = pc.if_else(pc.less(places, lit(len(POW10))), places, pa.scalar(None, pa.int64()))
    return pc.take(pa.array(POW10, pa.float64()), within)


def _routes(symbols: Any, route_of: Callable[[str], Any]) -> tuple[list[str], list[Any], Any]:
    """The distinct symbols, the route of each (the venue module's own function) and every row's
    index into them."""
    import pyarrow.compute as pc

    distinct = pc.unique(symbols)
    names: list[str] = distinct.to_pylist()
    return names, [route_of(s) for s in names], pc.index_in(symbols, value_set=distinct)


def _per_row(values: list[Any], index: Any, kind: str) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.take(pa.array(values, getattr(pa, kind)()), index)


def _positive_finite(values: Any) -> Any:
    import pyarrow.compute as pc

    return pc.and_(pc.greater(values, lit(0.0)), pc.less(values, lit(math.inf)))


def _table(
    venue: Any, rows: Rows, coin: Any, side: Any, price: Any, qty: Any, usd: Any, coverage: str, event_id: Any
) -> Any:
    import pyarrow as pa

    n = len(rows.symbol)
    columns = {
        "venue": venue if not isinstance(venue, str) else pa.repeat(lit(venue), n),
        "symbol": rows.symbol,
        "coin": coin,
        "side": side,
        "price": price,
        "qty": qty,
        "usd": usd,
        "ts": rows.ts,
        "recv_ts": rows.recv,
        "coverage": pa.repeat(lit(coverage), n),
        "id": event_id,
    }
    return pa.record_batch(columns)


def _join(*parts: Any) -> Any:
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(*(lit(p) if isinstance(p, str) else p for p in parts), lit(""))


def _sides(rows: Rows) -> Any:
    import pyarrow.compute as pc

    return pc.if_else(rows.buy, lit(SHORT), lit(LONG))  # Tardis: a buy order closed a short position


def lit_null() -> Any:
    import pyarrow as pa

    return pa.scalar(None, pa.float64())


def all_of(*masks: Any) -> Any:
    """The rows every mask holds for."""
    import pyarrow.compute as pc

    found = masks[0]
    for mask in masks[1:]:
        found = pc.and_(found, mask)
    return found


def _null_floats(n: int) -> Any:
    import pyarrow as pa

    return pa.nulls(n, pa.float64())


def binance_rule(rows: Rows, cat: Catalogue) -> tuple[Any, Any]:
    """binance.parser's inline paths for `{"e":"forceOrder","o":{S, z: amount, ap = p: price, T}}`:
    linear: qty = z digits / 10**places × contract size, price = ap digits / 10**places / price
    unit, usd = (z × ap digits) / 10**places (the product exact below 2**53); inverse: usd = z ×
    contract size, qty = usd / ap. Id `{venue}:{symbol}:{T}:{BUY|SELL}:{z}`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _, routes, index = _routes(rows.symbol, lambda s: binance._route(s, 0, cat))
    listed = [isinstance(r, tuple) and (r[2] or r[4] != 0.0) for r in routes]  # else `_event` decides
    fixed = [r if isinstance(r, tuple) else ("", "", False, 1.0, 1.0, False, "") for r in routes]
    venue, coin, inverse, size, unit, usd_quoted, prefix = (
        _per_row([r[k] for r in fixed], index, kind)
        for k, kind in enumerate(("string", "string", "bool_", "float64", "float64", "bool_", "string"))
    )
    z, ap = rows.amount, rows.price
    z_value = pc.divide(z.digits, _pow10(z.places))
    ap_value = pc.divide(ap.digits, _pow10(ap.places))
    product = pc.multiply(z.digits, ap.digits)
    places = pc.add(z.places, ap.places)
    # linear
    linear_qty = pc.multiply(z_value, size)
    linear_price = pc.divide(ap_value, unit)
    linear_usd = pc.if_else(usd_quoted, pc.divide(product, _pow10(places)), lit_null())
    linear_ok = all_of(pc.greater(product, lit(0.0)), pc.less(product, lit(EXACT_INT)), pc.less(places, lit(23)))
    # inverse
    inverse_usd = pc.multiply(z_value, size)
    inverse_ok = pc.and_(_positive_finite(z_value), _positive_finite(ap_value))
    covered = pc.and_(
        _per_row(listed, index, "bool_"), pc.if_else(inverse, inverse_ok, pc.fill_null(linear_ok, lit(False)))
    )
    side_text = pc.if_else(rows.buy, lit("BUY"), lit("SELL"))
    event_id = _join(prefix, pc.cast(rows.ts, pa.string()), ":", side_text, ":", z.key)
    table = _table(
        venue,
        rows,
        coin,
        _sides(rows),
        pc.if_else(inverse, ap_value, linear_price),
        pc.if_else(inverse, pc.divide(inverse_usd, ap_value), linear_qty),
        pc.if_else(inverse, inverse_usd, linear_usd),
        SAMPLED,
        event_id,
    )
    return table, pc.fill_null(covered, lit(False))


def bybit_rule(rows: Rows, cat: Catalogue) -> tuple[Any, Any]:
    """bybit.parser's inline path for an allLiquidation entry {S, v: amount, p: price, T} (position
    side: Tardis buy → Sell), and the same values from `_event` for the legacy topic Tardis recorded
    before BYBIT_ALL_LIQUIDATION_SINCE (coverage sampled). size = v digits / 10**places, price = p
    digits / 10**places; linear: qty = size × contract size, usd = (v × p digits) / 10**places;
    inverse (USD): usd = size × contract size, qty = usd / price; coin price = price / divisor.
    Id `bybit:{symbol}:{T}:{Buy|Sell}:{v}:{p}`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _, routes, index = _routes(rows.symbol, lambda s: bybit._route(s, cat))
    mode, coin, divisor, size, usd_quoted, prefix = (
        _per_row([r[k] for r in routes], index, kind)
        for k, kind in enumerate(("int64", "string", "float64", "float64", "bool_", "string"))
    )
    v, p = rows.amount, rows.price
    amount = pc.divide(v.digits, _pow10(v.places))
    price = pc.divide(p.digits, _pow10(p.places))
    product = pc.multiply(v.digits, p.digits)
    places = pc.add(v.places, p.places)
    linear = pc.equal(mode, lit(bybit.LINEAR))
    inverse_usd = pc.and_(pc.equal(mode, lit(bybit.INVERSE)), usd_quoted)
    usd_inverse = pc.multiply(amount, size)
    nothing = _null_floats(len(rows.symbol))
    qty = pc.if_else(linear, pc.multiply(amount, size), pc.if_else(inverse_usd, pc.divide(usd_inverse, price), nothing))
    usd = pc.if_else(
        pc.and_(linear, usd_quoted),
        pc.divide(product, _pow10(places)),
        pc.if_else(inverse_usd, usd_inverse, nothing),
    )
    coin_price = pc.divide(price, divisor)
    covered = pc.and_(
        all_of(pc.greater(product, lit(0.0)), pc.less(product, lit(EXACT_INT)), pc.less(places, lit(23))),
        pc.and_(_positive_finite(coin_price), pc.fill_null(_positive_finite(qty), lit(True))),
    )
    side_text = pc.if_else(rows.buy, lit("Sell"), lit("Buy"))  # Bybit names the POSITION
    event_id = _join(prefix, pc.cast(rows.ts, pa.string()), ":", side_text, ":", v.key, ":", p.key)
    coverage = COMPLETE if pc.min(rows.ts).as_py() >= tardis.BYBIT_ALL_LIQUIDATION_SINCE else None
    table = _table(bybit.VENUE, rows, coin, _sides(rows), coin_price, qty, usd, coverage or SAMPLED, event_id)
    if coverage is None:  # rows on both sides of the switch: each its topic's coverage
        recent = pc.greater_equal(rows.ts, lit(tardis.BYBIT_ALL_LIQUIDATION_SINCE))
        column = pc.if_else(recent, lit(COMPLETE), lit(SAMPLED))
        table = table.set_column(table.schema.get_field_index("coverage"), "coverage", column)
    return table, pc.fill_null(covered, lit(False))


def okx_rule(rows: Rows, cat: Catalogue) -> tuple[Any, Any]:
    """okx.parser's inline path for a liquidation-orders detail {side: buy|sell (order side),
    posSide "", sz: amount, bkPx: price, ts}: sz value = sz digits × contract value digits, places
    added; LINEAR_USD: usd = (sz value × bkPx digits) / 10**places / price unit, qty = sz value /
    10**places; INVERSE: usd = sz value / 10**places, qty = usd / bkPx; coin price = bkPx / divisor.
    Options (an instId of five parts) are skipped by the parser: not covered. Id
    `okx:{instId}:{ts}:{long|short}:{sz}:{bkPx}`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    symbols, routes, index = _routes(rows.symbol, lambda s: okx._route(s, cat))
    inline = [r[0] != okx.OTHER and s.count("-") != 4 for s, r in zip(symbols, routes, strict=True)]
    mode, coin, divisor, size_digits, size_places, unit, prefix = (
        _per_row([r[k] for r in routes], index, kind)
        for k, kind in enumerate(("int64", "string", "float64", "float64", "int64", "float64", "string"))
    )
    sz, px = rows.amount, rows.price
    sz_value = pc.multiply(sz.digits, size_digits)
    places = pc.add(sz.places, size_places)
    # LINEAR_USD
    usd_digits = pc.multiply(sz_value, px.digits)
    usd_places = pc.add(places, px.places)
    price_linear = pc.divide(px.digits, _pow10(px.places))
    usd_linear = pc.divide(pc.divide(usd_digits, _pow10(usd_places)), unit)
    qty_linear = pc.divide(sz_value, _pow10(places))
    ok_linear = pc.and_(
        pc.and_(pc.greater(usd_digits, lit(0.0)), pc.less(usd_digits, lit(EXACT_INT))),
        pc.and_(pc.less(usd_places, lit(23)), _positive_finite(usd_linear)),
    )
    # INVERSE and PRICE_ONLY: bkPx read whole (float(px): its digits / 10**places, both exact)
    price = price_linear
    ok_other = pc.and_(
        pc.and_(_positive_finite(price), pc.greater(sz_value, lit(0.0))),
        pc.and_(pc.less(sz_value, lit(EXACT_INT)), pc.less(places, lit(23))),
    )
    usd_inverse = pc.divide(sz_value, _pow10(places))
    qty_inverse = pc.divide(usd_inverse, price)
    is_linear = pc.equal(mode, lit(okx.LINEAR_USD))
    is_inverse = pc.equal(mode, lit(okx.INVERSE))
    nothing = _null_floats(len(rows.symbol))
    ok = pc.if_else(
        is_linear, ok_linear, pc.if_else(is_inverse, pc.and_(ok_other, _positive_finite(qty_inverse)), ok_other)
    )
    covered = all_of(_per_row(inline, index, "bool_"), ok, pc.greater(rows.ts, lit(0)))
    side = _sides(rows)  # posSide "": the order side names it (sell closes a long)
    event_id = _join(prefix, pc.cast(rows.ts, pa.string()), ":", side, ":", sz.key, ":", px.key)
    table = _table(
        okx.VENUE,
        rows,
        coin,
        side,
        pc.divide(price, divisor),
        pc.if_else(is_linear, qty_linear, pc.if_else(is_inverse, qty_inverse, nothing)),
        pc.if_else(is_linear, usd_linear, pc.if_else(is_inverse, usd_inverse, nothing)),
        SAMPLED,
        event_id,
    )
    return table, pc.fill_null(covered, lit(False))


RULES: dict[str, Rule] = {
    "binance-futures": binance_rule,
    "binance-delivery": binance_rule,
    "bybit": bybit_rule,
    "okex-swap": okx_rule,
    "okex-futures": okx_rule,
}

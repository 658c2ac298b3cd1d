"""Tardis binance-futures and binance-delivery rows as columns: venues/binance.py's inline paths."""

from __future__ import annotations

from typing import Any

from liqwatch.instruments import Catalogue
from liqwatch.model import SAMPLED
from liqwatch.numbers import EXACT_INT
from liqwatch.tardis_rules.columns import (
    Rows,
    all_of,
    event_batch,
    join,
    lit,
    lit_null,
    per_row,
    positive_finite,
    pow10,
    routes_of,
    sides,
)
from liqwatch.venues import binance


def rule(rows: Rows, cat: Catalogue) -> tuple[Any, Any]:
    """binance.parser's inline paths for `{"e":"forceOrder","o":{S, z: amount, ap = p: price, T}}`:
    linear: qty = z digits / 10**places × contract size, price = ap digits / 10**places / price
    unit, usd = (z × ap digits) / 10**places (the product exact below 2**53); inverse: usd = z ×
    contract size, qty = usd / ap. Id `{venue}:{symbol}:{T}:{BUY|SELL}:{z}`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _, routes, index = routes_of(rows.symbol, lambda s: binance._route(s, 0, cat))
    listed = [isinstance(r, tuple) and (r[2] or r[4] != 0.0) for r in routes]  # else `_event` decides
    fixed = [r if isinstance(r, tuple) else ("", "", False, 1.0, 1.0, False, "") for r in routes]
    venue, coin, inverse, size, unit, usd_quoted, prefix = (
        per_row([r[k] for r in fixed], index, kind)
        for k, kind in enumerate(("string", "string", "bool_", "float64", "float64", "bool_", "string"))
    )
    z, ap = rows.amount, rows.price
    z_value = pc.divide(z.digits, pow10(z.places))
    ap_value = pc.divide(ap.digits, pow10(ap.places))
    product = pc.multiply(z.digits, ap.digits)
    places = pc.add(z.places, ap.places)
    # linear
    linear_qty = pc.multiply(z_value, size)
    linear_price = pc.divide(ap_value, unit)
    linear_usd = pc.if_else(usd_quoted, pc.divide(product, pow10(places)), lit_null())
    linear_ok = all_of(pc.greater(product, lit(0.0)), pc.less(product, lit(EXACT_INT)), pc.less(places, lit(23)))
    # inverse
    inverse_usd = pc.multiply(z_value, size)
    inverse_ok = pc.and_(positive_finite(z_value), positive_finite(ap_value))
    covered = pc.and_(
        per_row(listed, index, "bool_"), pc.if_else(inverse, inverse_ok, pc.fill_null(linear_ok, lit(False)))
    )
    side_text = pc.if_else(rows.buy, lit("BUY"), lit("SELL"))
    event_id = join(prefix, pc.cast(rows.ts, pa.string()), ":", side_text, ":", z.key)
    table = event_batch(
        venue,
        rows,
        coin,
        sides(rows),
        pc.if_else(inverse, ap_value, linear_price),
        pc.if_else(inverse, pc.divide(inverse_usd, ap_value), linear_qty),
        pc.if_else(inverse, inverse_usd, linear_usd),
        SAMPLED,
        event_id,
    )
    return table, pc.fill_null(covered, lit(False))

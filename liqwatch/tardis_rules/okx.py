"""Tardis okex-swap and okex-futures rows as columns: venues/okx.py's inline path."""

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
from liqwatch.venues import okx


def rule(rows: Rows, cat: Catalogue) -> tuple[Any, Any]:
    """okx.parser's inline path for a liquidation-orders detail {side: buy|sell (order side),
    posSide "", sz: amount, bkPx: price, ts}: sz value = sz digits × contract value digits, places
    added; LINEAR_USD: usd = (sz value × bkPx digits) / 10**places / price unit, qty = sz value /
    10**places; INVERSE: usd = sz value / 10**places, qty = usd / bkPx; coin price = bkPx / divisor.
    Options (an instId of five parts) are skipped by the parser: not covered. Id
    `okx:{instId}:{ts}:{long|short}:{sz}:{bkPx}`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    symbols, routes, index = routes_of(rows.symbol, lambda s: okx._route(s, cat))
    inline = [r[0] != okx.OTHER and s.count("-") != 4 for s, r in zip(symbols, routes, strict=True)]
    mode, coin, divisor, size_digits, size_places, unit, prefix = (
        per_row([r[k] for r in routes], index, kind)
        for k, kind in enumerate(("int64", "string", "float64", "float64", "int64", "float64", "string"))
    )
    sz, px = rows.amount, rows.price
    sz_value = pc.multiply(sz.digits, size_digits)
    places = pc.add(sz.places, size_places)
    # LINEAR_USD
    usd_digits = pc.multiply(sz_value, px.digits)
    usd_places = pc.add(places, px.places)
    price_linear = pc.divide(px.digits, pow10(px.places))
    usd_linear = pc.divide(pc.divide(usd_digits, pow10(usd_places)), unit)
    qty_linear = pc.divide(sz_value, pow10(places))
    ok_linear = pc.and_(
        pc.and_(pc.greater(usd_digits, lit(0.0)), pc.less(usd_digits, lit(EXACT_INT))),
        pc.and_(pc.less(usd_places, lit(23)), positive_finite(usd_linear)),
    )
    # INVERSE and PRICE_ONLY: bkPx read whole (float(px): its digits / 10**places, both exact)
    price = price_linear
    ok_other = pc.and_(
        pc.and_(positive_finite(price), pc.greater(sz_value, lit(0.0))),
        pc.and_(pc.less(sz_value, lit(EXACT_INT)), pc.less(places, lit(23))),
    )
    usd_inverse = pc.divide(sz_value, pow10(places))
    qty_inverse = pc.divide(usd_inverse, price)
    is_linear = pc.equal(mode, lit(okx.LINEAR_USD))
    is_inverse = pc.equal(mode, lit(okx.INVERSE))
    nothing = lit_null()
    ok = pc.if_else(
        is_linear, ok_linear, pc.if_else(is_inverse, pc.and_(ok_other, positive_finite(qty_inverse)), ok_other)
    )
    covered = all_of(per_row(inline, index, "bool_"), ok, pc.greater(rows.ts, lit(0)))
    side = sides(rows)  # posSide "": the order side names it (sell closes a long)
    event_id = join(prefix, pc.cast(rows.ts, pa.string()), ":", side, ":", sz.key, ":", px.key)
    table = event_batch(
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

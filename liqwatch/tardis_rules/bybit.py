"""Tardis bybit rows as columns: venues/bybit.py's inline path (and the legacy topic's values)."""

from __future__ import annotations

from typing import Any

from liqwatch import tardis
from liqwatch.instruments import Catalogue
from liqwatch.model import COMPLETE, SAMPLED
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
from liqwatch.venues import bybit


def rule(rows: Rows, cat: Catalogue) -> tuple[Any, Any]:
    """bybit.parser's inline path for an allLiquidation entry {S, v: amount, p: price, T} (position
    side: Tardis buy → Sell), and the same values from `_event` for the legacy topic Tardis recorded
    before BYBIT_ALL_LIQUIDATION_SINCE (coverage sampled). size = v digits / 10**places, price = p
    digits / 10**places; linear: qty = size × contract size, usd = (v × p digits) / 10**places;
    inverse (USD): usd = size × contract size, qty = usd / price; coin price = price / divisor.
    Id `bybit:{symbol}:{T}:{Buy|Sell}:{v}:{p}`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _, routes, index = routes_of(rows.symbol, lambda s: bybit._route(s, cat))
    mode, coin, divisor, size, usd_quoted, prefix = (
        per_row([r[k] for r in routes], index, kind)
        for k, kind in enumerate(("int64", "string", "float64", "float64", "bool_", "string"))
    )
    v, p = rows.amount, rows.price
    amount = pc.divide(v.digits, pow10(v.places))
    price = pc.divide(p.digits, pow10(p.places))
    product = pc.multiply(v.digits, p.digits)
    places = pc.add(v.places, p.places)
    linear = pc.equal(mode, lit(bybit.LINEAR))
    inverse_usd = pc.and_(pc.equal(mode, lit(bybit.INVERSE)), usd_quoted)
    usd_inverse = pc.multiply(amount, size)
    nothing = lit_null()
    qty = pc.if_else(linear, pc.multiply(amount, size), pc.if_else(inverse_usd, pc.divide(usd_inverse, price), nothing))
    usd = pc.if_else(
        pc.and_(linear, usd_quoted),
        pc.divide(product, pow10(places)),
        pc.if_else(inverse_usd, usd_inverse, nothing),
    )
    coin_price = pc.divide(price, divisor)
    covered = pc.and_(
        all_of(pc.greater(product, lit(0.0)), pc.less(product, lit(EXACT_INT)), pc.less(places, lit(23))),
        pc.and_(positive_finite(coin_price), pc.fill_null(positive_finite(qty), lit(True))),
    )
    side_text = pc.if_else(rows.buy, lit("Sell"), lit("Buy"))  # Bybit names the POSITION
    event_id = join(prefix, pc.cast(rows.ts, pa.string()), ":", side_text, ":", v.key, ":", p.key)
    coverage = COMPLETE if pc.min(rows.ts).as_py() >= tardis.BYBIT_ALL_LIQUIDATION_SINCE else None
    table = event_batch(bybit.VENUE, rows, coin, sides(rows), coin_price, qty, usd, coverage or SAMPLED, event_id)
    if coverage is None:  # rows on both sides of the switch: each its topic's coverage
        recent = pc.greater_equal(rows.ts, lit(tardis.BYBIT_ALL_LIQUIDATION_SINCE))
        column = pc.if_else(recent, lit(COMPLETE), lit(SAMPLED))
        table = table.set_column(table.schema.get_field_index("coverage"), "coverage", column)
    return table, pc.fill_null(covered, lit(False))

"""Tardis deribit rows as columns: venues/deribit.py's inline path."""

from __future__ import annotations

from typing import Any

from liqwatch.instruments import Catalogue
from liqwatch.model import COMPLETE
from liqwatch.numbers import EXACT_INT
from liqwatch.tardis_rules.columns import (
    Rows,
    all_of,
    contract_routes,
    event_batch,
    join,
    lit,
    lit_null,
    positive_finite,
    pow10,
    sides,
)
from liqwatch.tardis_rules.json_numbers import json_number, tardis_ids
from liqwatch.venues import deribit
from liqwatch.venues.routes import INVERSE, LINEAR


def rule(rows: Rows, cat: Catalogue) -> tuple[Any, Any]:
    """deribit.parser's inline path for a trade {trade_id: id, direction: side, liquidation: "T",
    amount, price} (a "T" trade: the liquidated order side is the Tardis side). The parser reads
    amount and price as doubles and takes the digits of their shortest repr; the cells' digits may
    carry trailing zeros more, which divide back to the same quotient (one correctly rounded
    division of the same rational): value = amount digits × size digits / 10**places; INVERSE:
    usd = value, qty = value / price; LINEAR: qty = value, usd = (amount digits × factor digits ×
    price digits) / 10**places; PRICE_ONLY: neither; coin price = price / divisor. Options and
    combos (SKIP: no event) and SLOW routes are left to the row path. Id
    `deribit:{instrument}:{trade_id}:{long|short}`."""
    import pyarrow.compute as pc

    inline, route = contract_routes(rows.symbol, lambda s: deribit._route(s, cat))
    mode, coin, divisor, size_digits, size_places, factor_digits, factor_places, usd_quoted, prefix = route
    amount, px = rows.amount, rows.price
    price = pc.divide(px.digits, pow10(px.places))
    value_digits = pc.multiply(amount.digits, size_digits)
    value_places = pc.add(amount.places, size_places)
    value_ok = pc.and_(pc.less(value_digits, lit(EXACT_INT)), pc.less(value_places, lit(23)))
    value = pc.divide(value_digits, pow10(value_places))
    # INVERSE: usd = amount × size (USD), qty = usd / price
    inverse_qty = pc.divide(value, price)
    # LINEAR: qty = amount × size, usd = amount × size / price_unit × price (digits multiplied first)
    usd_digits = pc.multiply(pc.multiply(amount.digits, factor_digits), px.digits)
    usd_places = pc.add(pc.add(amount.places, factor_places), px.places)
    linear_usd_ok = pc.or_(
        pc.invert(usd_quoted), pc.and_(pc.less(usd_digits, lit(EXACT_INT)), pc.less(usd_places, lit(23)))
    )
    linear_usd = pc.if_else(usd_quoted, pc.divide(usd_digits, pow10(usd_places)), lit_null())
    is_inverse = pc.equal(mode, lit(INVERSE))
    is_linear = pc.equal(mode, lit(LINEAR))
    ok = pc.if_else(
        is_inverse,
        positive_finite(inverse_qty),
        pc.if_else(is_linear, linear_usd_ok, lit(True)),
    )
    covered = all_of(
        inline,
        json_number(amount),
        json_number(px),
        pc.greater(amount.digits, lit(0.0)),
        positive_finite(price),
        value_ok,
        ok,
    )
    qty = pc.if_else(is_inverse, inverse_qty, pc.if_else(is_linear, value, lit_null()))
    usd = pc.if_else(
        is_inverse, pc.if_else(usd_quoted, value, lit_null()), pc.if_else(is_linear, linear_usd, lit_null())
    )
    side = sides(rows)  # "T": the taker's direction is the liquidated order's (sell closes a long)
    event_id = join(prefix, tardis_ids(rows), ":", side)
    table = event_batch(deribit.VENUE, rows, coin, side, pc.divide(price, divisor), qty, usd, COMPLETE, event_id)
    return table, pc.fill_null(covered, lit(False))

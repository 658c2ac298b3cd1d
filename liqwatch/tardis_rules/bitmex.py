"""Tardis bitmex rows as columns: venues/bitmex.py's inline path."""

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
from liqwatch.venues import bitmex
from liqwatch.venues.routes import INVERSE, LINEAR


def rule(rows: Rows, cat: Catalogue) -> tuple[Any, Any]:
    """bitmex.parser's inline path for a liquidation insert row {orderID: id, side: Buy|Sell (order
    side), price, leavesQty: amount}, received (and timed: BitMEX sends no time) at the row's
    `timestamp`. Only whole contracts are inline: contracts = amount; INVERSE: value = contracts ×
    size digits, qty = value / 10**size places / price, usd = value / 10**size places; LINEAR: qty =
    contracts × size digits / 10**size places, usd = (contracts × factor digits × price digits) /
    10**places (the parser's price digits lack the cell's trailing zeros: the same quotient);
    PRICE_ONLY (unlisted, quanto): neither; coin price = price / divisor. Id `bitmex:{symbol}:{orderID}`."""
    import pyarrow.compute as pc

    inline, route = contract_routes(rows.symbol, lambda s: bitmex._route(s, cat))
    mode, coin, divisor, size_digits, size_places, factor_digits, factor_places, usd_quoted, prefix = route
    amount, px = rows.amount, rows.price
    contracts = pc.divide(amount.digits, pow10(amount.places))
    price = pc.divide(px.digits, pow10(px.places))
    value = pc.multiply(contracts, size_digits)
    scaled = pc.divide(value, pow10(size_places))  # INVERSE: the quote value; LINEAR: the coins
    # INVERSE: coins at the price
    inverse_qty = pc.divide(scaled, price)
    inverse_ok = pc.and_(pc.less(value, lit(EXACT_INT)), positive_finite(inverse_qty))
    # LINEAR: coins, then their quote value (digits multiplied first)
    usd_digits = pc.multiply(pc.multiply(contracts, factor_digits), px.digits)
    usd_places = pc.add(factor_places, px.places)
    usd_ok = pc.and_(pc.less(usd_digits, lit(EXACT_INT)), pc.less(usd_places, lit(23)))
    linear_ok = pc.and_(pc.less(value, lit(EXACT_INT)), pc.or_(pc.invert(usd_quoted), usd_ok))
    linear_usd = pc.if_else(usd_quoted, pc.divide(usd_digits, pow10(usd_places)), lit_null())
    is_inverse = pc.equal(mode, lit(INVERSE))
    is_linear = pc.equal(mode, lit(LINEAR))
    covered = all_of(
        inline,
        json_number(amount),
        json_number(px),
        pc.greater(contracts, lit(0.0)),
        pc.less(contracts, lit(EXACT_INT)),
        pc.equal(contracts, pc.floor(contracts)),  # leavesQty.is_integer()
        positive_finite(price),
        pc.if_else(is_inverse, inverse_ok, pc.if_else(is_linear, linear_ok, lit(True))),
    )
    nothing = lit_null()
    qty = pc.if_else(is_inverse, inverse_qty, pc.if_else(is_linear, scaled, nothing))
    usd = pc.if_else(is_inverse, pc.if_else(usd_quoted, scaled, nothing), pc.if_else(is_linear, linear_usd, nothing))
    event_id = join(prefix, tardis_ids(rows))
    # rows.recv is the row's timestamp here (tardis_rules.RECEIVED_AT_TIMESTAMP): ts == recv_ts
    table = event_batch(bitmex.VENUE, rows, coin, sides(rows), pc.divide(price, divisor), qty, usd, COMPLETE, event_id)
    return table, pc.fill_null(covered, lit(False))

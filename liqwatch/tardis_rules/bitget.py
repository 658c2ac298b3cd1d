"""Tardis bitget-futures rows as columns: venues/bitget.py's inline path."""

from __future__ import annotations

from typing import Any

from liqwatch.instruments import Catalogue
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
from liqwatch.tardis_rules.json_numbers import json_number
from liqwatch.venues import bitget


def rule(rows: Rows, cat: Catalogue) -> tuple[Any, Any]:
    """bitget.parser's inline path for a liquidation entry {side: sell|buy (position side: Tardis
    buy → sell), price, amount (quote coin), ts} of a push without instType (the catalogue's quote
    says whether amount is USD): amount = float(amount), qty = amount / price × bundle, coin price
    = price / bundle, usd = amount. Unlisted symbols (`_event`'s `unlisted`) and prices the lax
    decoder does not read as numbers are left to the row path. Id
    `bitget:{symbol}:{ts}:{buy|sell}:{amount}`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _, routes, index = routes_of(rows.symbol, lambda s: bitget._route(s, cat))
    listed = [r is not None for r in routes]
    fixed = [r if r is not None else ("", 1.0, False, "") for r in routes]
    coin, bundle, usd_quoted, prefix = (
        per_row([r[k] for r in fixed], index, kind) for k, kind in enumerate(("string", "float64", "bool_", "string"))
    )
    amount = pc.divide(rows.amount.digits, pow10(rows.amount.places))
    price = pc.divide(rows.price.digits, pow10(rows.price.places))
    qty = pc.multiply(pc.divide(amount, price), bundle)
    coin_price = pc.divide(price, bundle)
    covered = all_of(
        per_row(listed, index, "bool_"),
        json_number(rows.price),
        positive_finite(amount),
        positive_finite(qty),
        positive_finite(coin_price),
        pc.greater(rows.ts, lit(0)),
    )
    side_text = pc.if_else(rows.buy, lit("sell"), lit("buy"))  # Bitget names the POSITION
    event_id = join(prefix, pc.cast(rows.ts, pa.string()), ":", side_text, ":", rows.amount.key)
    usd = pc.if_else(usd_quoted, amount, lit_null())
    table = event_batch(bitget.VENUE, rows, coin, sides(rows), coin_price, qty, usd, bitget.COVERAGE, event_id)
    return table, pc.fill_null(covered, lit(False))

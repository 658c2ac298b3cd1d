"""Tardis bitfinex-derivatives rows as columns: venues/bitfinex.py's `_event`."""

from __future__ import annotations

from typing import Any

from liqwatch.instruments import Catalogue, normalize_coin
from liqwatch.model import COMPLETE
from liqwatch.numbers import EXACT_INT, exact_digits
from liqwatch.tardis_rules.columns import (
    Rows,
    all_of,
    event_batch,
    join,
    lit,
    lit_null,
    per_row,
    pow10,
    routes_of,
    sides,
)
from liqwatch.tardis_rules.contracts import milliseconds
from liqwatch.tardis_rules.json_numbers import json_number
from liqwatch.venues import bitfinex

MAX_POS_ID_DIGITS = 19  # tardis.frame_of writes longer ids (and any other text) as 0

# (listed: qty and usd are computed, exact: the contract size is exact in a double, coin, size
#  digits, size places, usd quoted)
Route = tuple[bool, bool, str, float, int, bool]


def _route(symbol: str, cat: Catalogue) -> Route:
    inst = cat.resolve(bitfinex.VENUE, symbol, bitfinex.derive)
    if inst is None:
        base = bitfinex.split_symbol(symbol)[0]
        return (False, True, normalize_coin(base)[0] if base else base, 0.0, 0, False)
    size = exact_digits(inst.contract_size)
    digits, places = size if size is not None else (0.0, 0)
    return (True, size is not None, inst.coin, digits, places, inst.usd_quoted)


def rule(rows: Rows, cat: Catalogue) -> tuple[Any, Any]:
    """bitfinex.parser on a liq:global trigger row [pos, POS_ID: id cell (ASCII digits of at most 19
    characters, else 0), MTS, null, t+symbol, ±amount (buy: a short, negative), …, IS_MATCH 0, …,
    price] whose numbers are JSON numbers: qty = exact_product(|amount|, contract size), usd =
    exact_product(|amount|, contract size, price) for a USD quote, price = float(price). The symbol
    and the route are those of t+symbol. Id `bitfinex:{POS_ID}:{MTS}`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    symbol = pc.if_else(pc.starts_with(rows.symbol, "t"), rows.symbol, join("t", rows.symbol))
    _, routes, index = routes_of(symbol, lambda s: _route(s, cat))
    listed, exact, coin, size_digits, size_places, usd_quoted = (
        per_row([r[k] for r in routes], index, kind)
        for k, kind in enumerate(("bool_", "bool_", "string", "float64", "int64", "bool_"))
    )
    amount, price = rows.amount, rows.price
    product = pc.multiply(amount.digits, size_digits)
    places = pc.add(amount.places, size_places)
    usd_product = pc.multiply(product, price.digits)
    usd_places = pc.add(places, price.places)
    nothing = lit_null()
    qty = pc.if_else(listed, pc.divide(product, pow10(places)), nothing)
    usd = pc.if_else(pc.and_(listed, usd_quoted), pc.divide(usd_product, pow10(usd_places)), nothing)
    qty_ok = pc.and_(pc.less(product, lit(EXACT_INT)), pc.less(places, lit(23)))
    usd_ok = pc.and_(pc.less(usd_product, lit(EXACT_INT)), pc.less(usd_places, lit(23)))
    amounts_ok = pc.or_(pc.invert(listed), pc.and_(qty_ok, pc.or_(pc.invert(usd_quoted), usd_ok)))
    pos_id = _pos_ids(rows.row_id)
    covered = all_of(
        exact,
        amounts_ok,
        pc.greater(amount.digits, lit(0.0)),
        pc.greater(price.digits, lit(0.0)),
        json_number(amount),
        json_number(price),
        json_number_id(pos_id),
        milliseconds(rows.ts),
    )
    event_id = join(f"{bitfinex.VENUE}:", pos_id, ":", pc.cast(rows.ts, pa.string()))
    table = event_batch(
        bitfinex.VENUE,
        rows._replace(symbol=symbol),
        coin,
        sides(rows),
        pc.divide(price.digits, pow10(price.places)),
        qty,
        usd,
        COMPLETE,
        event_id,
    )
    return table, pc.fill_null(covered, lit(False))


def _pos_ids(row_id: Any) -> Any:
    """The POS_ID tardis.frame_of writes: the id cell when it is ASCII digits of at most 19, else "0"."""
    import pyarrow.compute as pc

    digits = pc.and_(pc.ascii_is_decimal(row_id), pc.less_equal(pc.utf8_length(row_id), lit(MAX_POS_ID_DIGITS)))
    return pc.if_else(digits, row_id, lit("0"))


def json_number_id(pos_id: Any) -> Any:
    """A JSON integer: no leading zero (the frame of "007" is not JSON, the row path words it)."""
    import pyarrow.compute as pc

    return pc.or_(pc.invert(pc.starts_with(pos_id, "0")), pc.equal(pos_id, lit("0")))

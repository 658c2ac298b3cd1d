"""Tardis cryptofacilities rows as columns: venues/kraken_futures.py's `_event`."""

from __future__ import annotations

from typing import Any

from liqwatch.instruments import Catalogue
from liqwatch.model import COMPLETE
from liqwatch.tardis_rules.columns import Rows, all_of, event_batch, join, lit, routes_of, sides
from liqwatch.tardis_rules.contracts import (
    contract_amounts,
    contract_route,
    float_repr,
    milliseconds,
)
from liqwatch.tardis_rules.json_numbers import json_number
from liqwatch.venues import kraken_futures
from liqwatch.venues.kraken_futures_rest import coin_of


def rule(rows: Rows, cat: Catalogue) -> tuple[Any, Any]:
    """kraken_futures.parser on a liquidation trade {product_id: symbol, uid: id, side (the taker's),
    qty: amount (contracts), price, time} whose qty and price are JSON numbers read as floats:
    routes.contract_amounts with the catalogue's instrument (or kraken_futures.derive's), the coin
    of the name when neither knows it. Id `kraken_futures:{uid}`; without a uid
    `kraken_futures:{product_id}:{time}:{side}:{qty!r}:{price!r}`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _, routes, index = routes_of(
        rows.symbol,
        lambda s: contract_route(cat.resolve(kraken_futures.VENUE, s, kraken_futures.derive), coin_of(s)[0]),
    )
    qty, price = rows.amount, rows.price
    amounts = contract_amounts(routes, index, qty, price)
    has_uid = pc.greater(pc.utf8_length(rows.row_id), lit(0))
    covered = all_of(amounts.ok, json_number(qty), json_number(price), milliseconds(rows.ts))
    key = rows.row_id
    if not pc.all(has_uid).as_py():  # Tardis writes the uid: the key of the numbers is rarely needed
        side = pc.if_else(rows.buy, lit("buy"), lit("sell"))  # the taker side, as Tardis writes it
        numbers = join(rows.symbol, ":", pc.cast(rows.ts, pa.string()), ":", side, ":", float_repr(qty), ":")
        key = pc.if_else(has_uid, rows.row_id, join(numbers, float_repr(price)))
    event_id = join(f"{kraken_futures.VENUE}:", key)
    coin = pc.take(pa.array([r[1] for r in routes], pa.string()), index)
    table = event_batch(
        kraken_futures.VENUE, rows, coin, sides(rows), amounts.coin_price, amounts.qty, amounts.usd, COMPLETE, event_id
    )
    return table, pc.fill_null(covered, lit(False))

"""Tardis huobi-dm, huobi-dm-swap and huobi-dm-linear-swap rows as columns: venues/htx.py's `_event`."""

from __future__ import annotations

from typing import Any

from liqwatch.instruments import Catalogue, normalize_coin
from liqwatch.model import COMPLETE
from liqwatch.tardis_rules.columns import Rows, all_of, event_batch, join, lit, routes_of, sides
from liqwatch.tardis_rules.contracts import canonical, contract_amounts, contract_route, milliseconds
from liqwatch.tardis_rules.json_numbers import json_number
from liqwatch.venues import htx


def rule(rows: Rows, cat: Catalogue) -> tuple[Any, Any]:
    """htx.parser on a notify row {contract_code: symbol, direction: side (order side), volume:
    amount, price, created_at} whose volume and price are JSON numbers: routes.contract_amounts with
    the catalogue's instrument (or htx.derive's), the coin of the code when neither knows it. Id
    `htx:{contract_code}:{created_at}:{direction}:{volume}:{price}`, the numbers as htx.canonical
    writes them (the cell's canonical key, or its repr with an exponent below 1e-4)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _, routes, index = routes_of(
        rows.symbol,
        lambda s: contract_route(cat.resolve(htx.VENUE, s, htx.derive), normalize_coin(s.partition("-")[0])[0]),
    )
    volume, price = rows.amount, rows.price
    amounts = contract_amounts(routes, index, volume, price)
    covered = all_of(amounts.ok, json_number(volume), json_number(price), milliseconds(rows.ts))
    direction = pc.if_else(rows.buy, lit("buy"), lit("sell"))  # the order side, as Tardis writes it
    event_id = join("htx:", rows.symbol, ":", pc.cast(rows.ts, pa.string()), ":", direction, ":", canonical(volume))
    event_id = join(event_id, ":", canonical(price))
    coin = pc.take(pa.array([r[1] for r in routes], pa.string()), index)
    table = event_batch(
        htx.VENUE, rows, coin, sides(rows), amounts.coin_price, amounts.qty, amounts.usd, COMPLETE, event_id
    )
    return table, pc.fill_null(covered, lit(False))

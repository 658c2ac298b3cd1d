"""What the column rules of tardis_rules share: the rows they take, Arrow literals, decimals read
as the venue parsers read them, per-symbol routes spread over rows, the event batch they return.

Pure: pyarrow is imported by the functions that need it, as in store/event_arrow.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

from liqwatch.instruments import Catalogue
from liqwatch.model import LONG, SHORT
from liqwatch.numbers import POW10
from liqwatch.venues.routes import INVERSE, LINEAR, PRICE_ONLY, Route


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
    recv: Any  # int64 ms: the receive time tardis.frame_of gives (Row.local_ms; BitMEX: Row.ts_ms)
    amount: Decimals
    price: Decimals
    row_id: Any  # string: the `id` cell as written (often empty)
    timestamp: Any  # string: the `timestamp` cell as written (µs, ASCII digits)


Rule = Callable[[Rows, Catalogue], tuple[Any, Any]]  # (events table, covered mask)


def lit(value: object) -> Any:
    """A literal as an Arrow scalar: given as a Python value, each compute call would first look
    for pandas (~50 µs a call where it is not installed)."""
    import pyarrow as pa

    kind = pa.bool_() if isinstance(value, bool) else pa.int64() if isinstance(value, int) else None
    return pa.scalar(value, pa.float64() if isinstance(value, float) else kind or pa.string())


def decimals(text: Any, digits_text: Any, point: Any, length: Any) -> Decimals:
    """The column of plain decimal text `text`: `digits_text` is the same without its point,
    `point` where that point is (-1: none) and `length` the text's length (int64 both)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pointed = pc.greater_equal(point, lit(0))
    places = pc.if_else(pointed, pc.subtract(pc.subtract(length, point), lit(1)), lit(0))
    digits = pc.cast(digits_text, pa.float64())  # exact: at most 15 digits
    return Decimals(text, digits, places, number_keys(text, pointed))


def number_keys(text: Any, pointed: Any) -> Any:
    """venues.ids.number_key of plain decimals (`pointed`: those with a point): no leading zero
    before a digit, no trailing zero after the point, nor a point with nothing after it ("007.50" →
    "7.5", "100.0" → "100")."""
    import pyarrow.compute as pc

    leading = pc.and_(pc.starts_with(text, "0"), pc.invert(pc.starts_with(text, "0.")))
    trailing = pc.and_(pc.ends_with(text, "0"), pointed)
    if not pc.any(pc.or_(leading, trailing)).as_py():
        return text
    key = pc.ascii_ltrim(text, "0")
    key = pc.if_else(pc.or_(pc.equal(pc.binary_length(key), lit(0)), pc.starts_with(key, ".")), join("0", key), key)
    return pc.if_else(trailing, pc.ascii_rtrim(pc.ascii_rtrim(key, "0"), "."), key)


def pow10(places: Any) -> Any:
    """10.0 ** places (numbers.POW10), places ≤ 22 (a larger one gives null: the row is not covered)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    within = pc.if_else(pc.less(places, lit(len(POW10))), places, pa.scalar(None, pa.int64()))
    return pc.take(pa.array(POW10, pa.float64()), within)


def routes_of(symbols: Any, route_of: Callable[[str], Any]) -> tuple[list[str], list[Any], Any]:
    """The distinct symbols, the route of each (the venue module's own function) and every row's
    index into them."""
    import pyarrow.compute as pc

    distinct = pc.unique(symbols)
    names: list[str] = distinct.to_pylist()
    return names, [route_of(s) for s in names], pc.index_in(symbols, value_set=distinct)


def per_row(values: list[Any], index: Any, kind: str) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.take(pa.array(values, getattr(pa, kind)()), index)


def positive_finite(values: Any) -> Any:
    import pyarrow.compute as pc

    return pc.and_(pc.greater(values, lit(0.0)), pc.less(values, lit(math.inf)))


def event_batch(
    venue: Any,
    rows: Rows,
    coin: Any,
    side: Any,
    price: Any,
    qty: Any,
    usd: Any,
    coverage: str,
    event_id: Any,
    recv: Any = None,
) -> Any:
    """The events as a record batch of store.schema.EVENT_COLUMNS (`venue`: one for all rows, or a
    column; `recv`: the receive times when they are not the rows' own, as for BitMEX)."""
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
        "recv_ts": rows.recv if recv is None else recv,
        "coverage": pa.repeat(lit(coverage), n),
        "id": event_id,
    }
    return pa.record_batch(columns)


def join(*parts: Any) -> Any:
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(*(lit(p) if isinstance(p, str) else p for p in parts), lit(""))


def sides(rows: Rows) -> Any:
    import pyarrow.compute as pc

    return pc.if_else(rows.buy, lit(SHORT), lit(LONG))  # Tardis: a buy order closed a short position


def lit_null() -> Any:
    """A null double, for the rows of an if_else that have no value (unpriced, price only)."""
    import pyarrow as pa

    return pa.scalar(None, pa.float64())


def all_of(*masks: Any) -> Any:
    """The rows every mask holds for."""
    import pyarrow.compute as pc

    found = masks[0]
    for mask in masks[1:]:
        found = pc.and_(found, mask)
    return found


# venues.routes.Route, the route of the contract venues (BitMEX, Deribit…), field by field as Arrow types
CONTRACT_ROUTE_KINDS = ("int64", "string", "float64", "float64", "int64", "float64", "int64", "bool_", "string")


def contract_routes(symbols: Any, route_of: Callable[[str], Route]) -> tuple[Any, list[Any]]:
    """For a venue whose routes are venues.routes.Route: per row, whether its parser's inline path
    takes the route (INVERSE, LINEAR, PRICE_ONLY; not SLOW, SKIP), and each field of the route."""
    _, routes, index = routes_of(symbols, route_of)
    inline = per_row([r[0] in (INVERSE, LINEAR, PRICE_ONLY) for r in routes], index, "bool_")
    return inline, [per_row([r[k] for r in routes], index, kind) for k, kind in enumerate(CONTRACT_ROUTE_KINDS)]

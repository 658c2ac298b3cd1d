"""Which plain decimal cells stay numbers in the frames tardis.frame_of writes for them.

BitMEX and Deribit rows are written back with `price` and `amount` as bare JSON numbers, which JSON
(and msgspec) refuses with a leading zero ("07", "00.5"): the parser then words a dead letter. Bitget
writes `price` as text that its lax decoder reads as a number only when it is written as one. A rule
covers neither: the row path says what becomes of them.

Pure: pyarrow is imported by the functions that need it, as in store/event_arrow.py.
"""

from __future__ import annotations

from typing import Any

from liqwatch.tardis_rules.columns import Decimals, Rows, join, lit


def json_number(cells: Decimals) -> Any:
    """The cells that read as a JSON number: no leading zero before a digit ("0.5" is one, "05" not)."""
    import pyarrow.compute as pc

    return pc.invert(pc.and_(pc.starts_with(cells.text, "0"), pc.invert(pc.starts_with(cells.text, "0."))))


def tardis_ids(rows: Rows) -> Any:
    """tardis.frame_of's id of a BitMEX order or a Deribit trade: the `id` cell, or when it is empty
    `tardis-{timestamp µs as an int}-{side}-{amount}-{price}` of the cells as written."""
    import pyarrow as pa
    import pyarrow.compute as pc

    micros = pc.cast(pc.cast(rows.timestamp, pa.int64()), pa.string())  # int(): no leading zeros
    side = pc.if_else(rows.buy, lit("buy"), lit("sell"))
    synthetic = join("tardis-", micros, "-", side, "-", rows.amount.text, "-", rows.price.text)
    return pc.if_else(pc.equal(pc.utf8_length(rows.row_id), lit(0)), synthetic, rows.row_id)

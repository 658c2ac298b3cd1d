"""Bybit's older liquidation frames (`bybit`): the deprecated v5 topic and pre-v5 (v2) frames.

The deprecated v5 `liquidation.{symbol}` topic (at most one liquidation per second per symbol,
removed from the docs 2025-11-19) and pre-v5 (v2) frames are read so old captures import; their
events are "sampled" (bybit.py's `_old_event` applies the `allLiquidation` rules). Their fields are the
same under other names (symbol, updatedTime/time, side, size/qty, price); `side` is the POSITION
side, the same rule as `S` (tardis-node, quoting Bybit support). Legacy pre-v5 frames (tardis
2021: `{"topic":"liquidation.BTCUSDT","data":{"symbol","side","price","qty","time"}}`) differ
from the deprecated v5 shape only in names (`qty` for `size`, `time` for `updatedTime`): one
struct reads both; v2 REST liq-records (a list) carry JSON numbers.
"""

from __future__ import annotations

import msgspec

from liqwatch.venues.base import BadFrame

OLD_TOPIC = "liquidation."  # deprecated v5 and pre-v5 (v2): at most one per second per symbol


class OldEntry(msgspec.Struct, frozen=True, gc=False):  # deprecated v5 `liquidation.{symbol}`, pre-v5
    symbol: str
    side: str  # POSITION side, same rule as `S`
    price: str | int | float  # bankruptcy price (a JSON number in v2 REST liq-records)
    size: str = ""  # deprecated v5: same unit as `v`
    qty: str | int | float = ""  # pre-v5 (v2) name of `size`
    updatedTime: int = 0  # deprecated v5, ms (the doc table says updateTime, every example updatedTime)
    time: int = 0  # pre-v5 (v2) name of `updatedTime`


_decode_old = msgspec.json.Decoder(OldEntry | list[OldEntry]).decode


def old_entries(topic: str, data: msgspec.Raw) -> list[OldEntry]:
    """The old entries of a frame's `data` (one object, or a v2 list): DecodeError for a broken one,
    BadFrame for none."""
    if not data:
        raise BadFrame(f"bybit {topic}: no data")
    decoded = _decode_old(data)
    return decoded if isinstance(decoded, list) else [decoded]

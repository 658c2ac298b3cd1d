"""What every venue's REST answers share: the reply/context/error types and the candle, open-interest
and funding helpers. Pure."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

import msgspec

from liqwatch.sim import markets as mk
from liqwatch.sim.markets import Market
from liqwatch.sim.model import Liq
from liqwatch.sim.tape import Candle, PriceBook


class Reply(NamedTuple):
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Context:
    """What a REST answer may depend on: the clock, the prices, what the venue published recently."""

    now_ms: int
    book: PriceBook
    recent: Sequence[Liq] = ()  # recently published liquidations of the venue, oldest first
    active: Sequence[Liq] = ()  # BitMEX: liquidation orders still active
    extra: dict[str, Any] = field(default_factory=dict)


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


Query = Mapping[str, str]
Route = Callable[[Query, Context], Any]

_encoder = msgspec.json.Encoder()


def json_reply(obj: Any, status: int = 200) -> Reply:
    return Reply(status, _encoder.encode(obj), (("Content-Type", "application/json"),))


def not_found(venue: str, path: str) -> Reply:
    return json_reply({"error": f"{venue}: no such endpoint {path}"}, 404)


_INTERVAL = re.compile(r"^(\d+)([smhHdDwWM])(?:utc)?$")
_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "H": 3_600_000, "d": 86_400_000, "D": 86_400_000}
_UNIT_MS |= {"w": 7 * 86_400_000, "W": 7 * 86_400_000, "M": 30 * 86_400_000}


def interval_ms(text: str, default: int = 60_000) -> int:
    """ "1m", "4h", "1H", "1D", "1w", "60" (minutes, Bybit/Deribit), "D" → milliseconds."""
    if not text:
        return default
    if text.isdigit():
        return int(text) * 60_000
    if text in ("D", "W", "M"):
        return _UNIT_MS[text]
    match = _INTERVAL.match(text)
    if not match:
        raise ValueError(f"bad interval {text!r}")
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def _int(query: Query, name: str, default: int) -> int:
    value = query.get(name, "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer") from None


def quoted_price(m: Market, book: PriceBook) -> float:
    return book.last(m.coin) * m.bundle


def fmt(value: float, tick: str) -> str:
    return mk.text(mk.quantize(Decimal(repr(value)), tick))


def candles(
    m: Market,
    query: Query,
    ctx: Context,
    interval: str,
    *,
    start: str,
    end: str,
    limit: int,
    newest: bool = False,
    exclusive: bool = False,
) -> list[Candle]:
    """(open ms, o, h, l, c, volume) in the market's quoted price, oldest first.

    `start`/`end`: the query parameters bounding the open times (`exclusive`: both bounds exclusive,
    OKX's after/before). With a start, the first `limit` bars from it (Binance) unless `newest`
    (Bybit, OKX: the newest `limit` bars of the range).
    """
    step = interval_ms(interval)
    count = max(1, min(_int(query, "limit", limit), 1500))
    end_ms = _int(query, end, ctx.now_ms)
    if exclusive and query.get(end):
        end_ms -= 1
    end_ms = min(end_ms, ctx.now_ms)
    start_ms = _int(query, start, 0) or None
    if start_ms is not None and exclusive:
        start_ms += 1
    first = start_ms if start_ms is not None else end_ms - step * count
    rows = ctx.book.candles(m.coin, step, end_ms, count, first)
    rows = [r for r in rows if r[0] >= first - first % step]
    rows = rows[-count:] if newest or start_ms is None else rows[:count]
    b = m.bundle
    return [(t, o * b, h * b, low * b, c * b, v / b) for t, o, h, low, c, v in rows]


def _market_or_error(venue: str, symbol: str, error: Callable[[str], ApiError]) -> Market:
    m = mk.market(venue, symbol)
    if m is None:
        raise error(symbol)
    return m


def contracts_of_oi(m: Market, price: float) -> float:
    """Open interest in the venue's size unit."""
    usd = mk.oi_usd(m)
    unit = float(m.unit)
    if m.kind == "inverse":
        return usd / unit
    if m.kind == "linear":
        return usd / (price / m.bundle * unit)
    return usd / (price / m.bundle)


FUNDING_MS = 8 * 3_600_000


def series(query: Query, ctx: Context, step: int, start: str, end: str, default: int, most: int) -> list[int]:
    """Sample times (ms, multiples of `step`) for history endpoints: in [start, end], at most `limit`
    (the oldest ones from a start, else the newest up to now), oldest first."""
    limit = max(1, min(_int(query, "limit", default), most))
    last = min(_int(query, end, ctx.now_ms), ctx.now_ms)
    last -= last % step
    first = _int(query, start, 0)
    if first:
        first += -first % step
        return [t for t in range(first, last + 1, step)][:limit]
    return [last - i * step for i in range(limit - 1, -1, -1)]


def price_at(book: PriceBook, coin: str, t: int) -> float:
    bars = book.bars(coin, t - 3_600_000, t)
    return bars[-1][4] if bars else book.last(coin)


def wobble(t: int) -> float:
    """A slow, deterministic ±2% variation of open interest over time."""
    return 1.0 + 0.02 * math.sin(t / 3_600_000 / 7)


def funding_at(t: int) -> str:
    return f"{0.0001 + 0.00005 * math.sin(t / FUNDING_MS):.8f}"


def _decimals(step: str) -> int:
    exponent = Decimal(step).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _expiry_ms(yymmdd: str) -> int:
    if not yymmdd:
        return 4_133_404_800_000
    import calendar

    year, month, day = 2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    return calendar.timegm((year, month, day, 8, 0, 0)) * 1000

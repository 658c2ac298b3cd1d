"""Aggregate liquidation history from data providers (Coinalyze, CoinGlass): the rows, and the
file layouts `liqwatch import` recognises by their content.

Pure. An aggregate row is one source's long and short USD for one coin, one set of exchanges and
one bucket [start_ts, start_ts + interval_ms). Rows are kept apart from liqwatch's own events and
never added into event totals (see analytics.basis for how ranks use them). A bucket a source
does not cover has NO row: unknown, never zero.

Layouts (recognised by content, not by file name):
- CoinGlass CSV export: header `timestamp,datetime_utc,longUsd,shortUsd,totalUsd` (timestamp in ms);
  the coin is not in the file: from `--coin` or the file name (`coinglass_BTC_…`); the exchanges
  are "every exchange CoinGlass aggregates" (venues = ALL).
- Coinalyze wide CSV: header `t,<market> - <exchange>_long|_short,…` (t a date, values in USD;
  an empty cell = that market not covered that day). One row per exchange and day, the sum of its
  markets that have a value; the coin is the market's base (`BTC/USDT` → BTC).
- Coinalyze API JSON (`/v1/liquidation-history` with convert_to_usd=true, saved as is):
  `[{"symbol": "BTCUSDT_PERP.A", "history": [{"t": <s>, "l": <usd>, "s": <usd>}, …]}, …]`;
  the exchange from the symbol's suffix code (`.A` Binance), the coin from its base.
- CoinGlass API JSON (v4 `/api/futures/liquidation/aggregated-history`, saved as is):
  `{"code": "0", "data": [{"time": <ms>, "aggregated_long_liquidation_usd": …,
  "aggregated_short_liquidation_usd": …}, …]}`; the coin from `--coin` or the file name.
For the two JSON layouts the interval is the smallest step between consecutive buckets.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import msgspec

ALL = "all"  # venues of a series a provider aggregates over exchanges it does not name
DAY_MS = 86_400_000

SOURCE_NAMES = {"coinalyze": "Coinalyze", "coinglass": "CoinGlass"}

# Coinalyze's exchange codes (the symbol suffix after the dot), from its /v1/exchanges list
COINALYZE_EXCHANGES = {
    "A": "Binance",
    "6": "Bybit",
    "3": "OKX",
    "4": "Huobi",
    "0": "BitMEX",
    "F": "Bitfinex",
    "2": "Deribit",
    "8": "dYdX",
    "Y": "Gate.io",
    "K": "Kraken",
    "7": "Phemex",
    "W": "WOO X",
    "V": "Vertex",
    "P": "Poloniex",
    "C": "Coinbase",
    "D": "Bitforex",
}
_QUOTES = ("USDT", "USDC", "BUSD", "USD", "PERP")

COINGLASS_HEADER = ("timestamp", "datetime_utc", "longUsd", "shortUsd", "totalUsd")


class AggregateRow(msgspec.Struct, frozen=True, order=True):
    """One source's liquidations of one coin on a set of exchanges in [start_ts, start_ts + interval_ms)."""

    source: str  # "coinalyze" | "coinglass"
    venues: str  # the exchanges, as the source names them, comma-separated; ALL: unnamed
    coin: str
    interval_ms: int
    start_ts: int  # ms
    long_usd: float
    short_usd: float


class NotAggregate(ValueError):
    """A file that is none of the aggregate layouts (the importer then tries other kinds)."""


class BadAggregate(ValueError):
    """A file of an aggregate layout that cannot be read: one line naming what is wrong."""


def describe_venues(source: str, venues: Sequence[str]) -> str:
    """ "Coinalyze, 7 exchanges" / "CoinGlass, Binance" / "CoinGlass, every exchange it aggregates"."""
    name = SOURCE_NAMES.get(source, source)
    if not venues or list(venues) == [ALL]:
        return f"{name}, every exchange it aggregates"
    if len(venues) == 1:
        return f"{name}, {venues[0]}"
    return f"{name}, {len(venues)} exchanges"


def coin_from_name(name: str) -> str | None:
    """The coin a file name spells in capitals (`coinglass_BTC_liquidation_1h.csv.gz` → BTC)."""
    for token in re.split(r"[_\-. ]+", name):
        if re.fullmatch(r"[A-Z][A-Z0-9]{1,9}", token) and token not in ("CSV", "JSON", "USD", "UTC"):
            return token
    return None


def coin_of_symbol(symbol: str) -> str:
    """The base coin of a Coinalyze symbol or market: BTCUSDT_PERP.A → BTC, BTC/USD → BTC."""
    base = symbol.split(".", 1)[0].split("/", 1)[0].split("_", 1)[0].upper()
    if "/" in symbol:
        return base
    for quote in _QUOTES:
        if base.endswith(quote) and len(base) > len(quote):
            return base[: -len(quote)]
    return base


def _number(text: str, what: str) -> float | None:
    """A finite, non-negative amount; None for an empty cell (not covered)."""
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise BadAggregate(f"{what}: {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise BadAggregate(f"{what}: {text!r} is not a non-negative amount")
    return value


def _date_ms(text: str, what: str) -> int:
    text = text.strip()
    try:
        if text.isdigit():
            value = int(text)
            return value if value > 10**11 else value * 1000  # seconds or ms
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadAggregate(f"{what}: {text!r} is not a date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


# --- recognising -----------------------------------------------------------------------------


def kind_of_header(first_line: str) -> str | None:
    """ "coinglass_csv" / "coinalyze_csv" from a CSV header line, else None."""
    cells = next(csv.reader([first_line.strip().lstrip("\ufeff")]), [])
    if tuple(c.strip() for c in cells) == COINGLASS_HEADER:
        return "coinglass_csv"
    if len(cells) >= 3 and cells[0].strip() == "t" and all(_wide_column(c) is not None for c in cells[1:]):
        return "coinalyze_csv"
    return None


def kind_of_json(doc: object) -> str | None:
    """ "coinalyze_json" / "coinglass_json" for a decoded API response, else None."""
    if isinstance(doc, list) and doc and all(isinstance(d, dict) and {"symbol", "history"} <= d.keys() for d in doc):
        return "coinalyze_json"
    if isinstance(doc, dict) and isinstance(doc.get("data"), list) and "code" in doc:
        data = doc["data"]
        if all(isinstance(d, dict) and "aggregated_long_liquidation_usd" in d for d in data):
            return "coinglass_json"
    return None


_WIDE = re.compile(r"^(?P<market>.+?) - (?P<exchange>.+)_(?P<side>long|short)$")


def _wide_column(name: str) -> tuple[str, str, str] | None:
    match = _WIDE.match(name.strip())
    if match is None:
        return None
    return match["market"], match["exchange"], match["side"]


# --- reading ---------------------------------------------------------------------------------


def read_coinglass_csv(text: str, coin: str, what: str) -> list[AggregateRow]:
    reader = csv.reader(io.StringIO(text))
    next(reader, None)
    points: list[tuple[int, float, float]] = []
    for cells in reader:
        if not cells:
            continue
        where = f"{what}:{reader.line_num}"
        if len(cells) != len(COINGLASS_HEADER):
            raise BadAggregate(f"{where}: expected {len(COINGLASS_HEADER)} columns, got {len(cells)}")
        long_usd = _number(cells[2], where)
        short_usd = _number(cells[3], where)
        if long_usd is None or short_usd is None:
            continue  # not covered
        total = _number(cells[4], where)
        if total is not None and abs(long_usd + short_usd - total) > 0.01 + 1e-9 * total:
            raise BadAggregate(f"{where}: longUsd + shortUsd is not totalUsd ({long_usd} + {short_usd} ≠ {total})")
        points.append((_date_ms(cells[0], where), long_usd, short_usd))
    interval = _interval([p[0] for p in points], what)
    return [AggregateRow("coinglass", ALL, coin, interval, ts, lo, sh) for ts, lo, sh in points]


def read_coinalyze_csv(text: str, what: str) -> list[AggregateRow]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    columns = [_wide_column(c) for c in header[1:]]
    sums: dict[tuple[str, str, int], list[float]] = {}
    for cells in reader:
        if not cells:
            continue
        where = f"{what}:{reader.line_num}"
        if len(cells) != len(header):
            raise BadAggregate(f"{where}: expected {len(header)} columns, got {len(cells)}")
        day = _date_ms(cells[0], where)
        for column, cell in zip(columns, cells[1:], strict=True):
            assert column is not None  # kind_of_header checked every column
            value = _number(cell, where)
            if value is None:
                continue  # that market was not covered that day
            market, exchange, side = column
            acc = sums.setdefault((coin_of_symbol(market), exchange, day), [0.0, 0.0])
            acc[0 if side == "long" else 1] += value
    return [
        AggregateRow("coinalyze", exchange, coin, DAY_MS, day, acc[0], acc[1])
        for (coin, exchange, day), acc in sorted(sums.items())
    ]


def exchange_of_symbol(symbol: str) -> str:
    code = symbol.rsplit(".", 1)[1] if "." in symbol else ""
    return COINALYZE_EXCHANGES.get(code, f"code {code}" if code else "unknown")


def read_coinalyze_json(
    doc: list[dict[str, object]], what: str, interval_ms: int | None = None, coin: str | None = None
) -> list[AggregateRow]:
    """Rows per (exchange, coin, bucket): an exchange's symbols of one coin are summed. `coin`:
    the coin every symbol is of (as asked), else each symbol's base."""
    sums: dict[tuple[str, str, int], list[float]] = {}
    times: list[int] = []
    for entry in doc:
        symbol = str(entry.get("symbol", ""))
        history = entry.get("history")
        if not symbol or not isinstance(history, list):
            raise BadAggregate(f"{what}: an entry without symbol or history")
        key = (coin or coin_of_symbol(symbol), exchange_of_symbol(symbol))
        for point in history:
            if not isinstance(point, dict) or "t" not in point:
                raise BadAggregate(f"{what}: {symbol}: a history point without t")
            ts = _date_ms(str(point["t"]), f"{what}: {symbol}")
            long_usd = _number(str(point.get("l", "")), f"{what}: {symbol} l")
            short_usd = _number(str(point.get("s", "")), f"{what}: {symbol} s")
            if long_usd is None or short_usd is None:
                continue
            acc = sums.setdefault((*key, ts), [0.0, 0.0])
            acc[0] += long_usd
            acc[1] += short_usd
            times.append(ts)
    interval = interval_ms or _interval(sorted(set(times)), what)
    return [
        AggregateRow("coinalyze", exchange, coin, interval, ts, acc[0], acc[1])
        for (coin, exchange, ts), acc in sorted(sums.items())
    ]


def read_coinglass_json(
    doc: dict[str, object], coin: str, what: str, venues: str = ALL, interval_ms: int | None = None
) -> list[AggregateRow]:
    data = doc.get("data")
    if str(doc.get("code")) != "0" or not isinstance(data, list):
        raise BadAggregate(f"{what}: CoinGlass error {doc.get('code')}: {doc.get('msg')}")
    points = []
    for point in data:
        ts = _date_ms(str(point.get("time", "")), f"{what}: time")
        long_usd = _number(str(point.get("aggregated_long_liquidation_usd", "")), f"{what}: long")
        short_usd = _number(str(point.get("aggregated_short_liquidation_usd", "")), f"{what}: short")
        if long_usd is not None and short_usd is not None:
            points.append((ts, long_usd, short_usd))
    interval = interval_ms or _interval(sorted(p[0] for p in points), what)
    return [AggregateRow("coinglass", venues, coin, interval, ts, lo, sh) for ts, lo, sh in points]


def _interval(times: Sequence[int], what: str) -> int:
    """The smallest positive step between sorted bucket starts; a lone bucket is a day when it
    starts at midnight, else an hour."""
    ordered = sorted(set(times))
    steps = [b - a for a, b in itertools.pairwise(ordered)]
    if steps:
        return min(steps)
    if not ordered:
        raise BadAggregate(f"{what}: no buckets with values")
    return DAY_MS if ordered[0] % DAY_MS == 0 else 3_600_000


def merge(rows: Iterable[AggregateRow]) -> list[AggregateRow]:
    """One row per key (the last wins), in key order."""
    latest = {(r.source, r.venues, r.coin, r.interval_ms, r.start_ts): r for r in rows}
    return [latest[k] for k in sorted(latest)]

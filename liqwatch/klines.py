"""Kline (candle) CSV files in Binance's public-data layout (data.binance.vision), as candles.

Pure. Each line: open_time, open, high, low, close, volume, close_time, quote_volume, count,
taker_buy_volume, taker_buy_quote_volume, ignore; the futures files since 2022 start with that
header row, older and spot files have none. Times are ms (spot files since 2025: µs). The file
name says the symbol and interval (`BTCUSDT-1h-2024-01-01.csv`, inside `…zip` as published);
the interval is also the bar's close_time − open_time + 1, which is checked.
"""

from __future__ import annotations

import csv
import io
import math
import re

from liqwatch.instruments import normalize_coin
from liqwatch.model import Candle

HEADER_FIRST = "open_time"
COLUMNS = 12
INTERVALS = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
}
_NAME = re.compile(r"^(?P<symbol>[A-Z0-9_]+)-(?P<interval>\d+[mhd])-\d{4}-\d{2}(?:-\d{2})?\.(?:csv|zip)$")
_QUOTES = ("USDT", "USDC", "BUSD", "FDUSD", "USD")


class BadKlines(ValueError):
    """A kline file that cannot be read; one line naming the cause."""


def is_kline_line(line: str) -> bool:
    """The header row, or a data row of 12 numeric cells whose first is a time."""
    cells = line.strip().lstrip("\ufeff").split(",")
    if cells and cells[0] == HEADER_FIRST:
        return len(cells) == COLUMNS
    if len(cells) != COLUMNS:
        return False
    try:
        [float(c) for c in cells]
    except ValueError:
        return False
    return cells[0].isdigit() and cells[6].isdigit()


def name_parts(name: str) -> tuple[str, int] | None:
    """(symbol, interval ms) from a public-data file name, or None."""
    match = _NAME.match(name)
    if match is None or match["interval"] not in INTERVALS:
        return None
    return match["symbol"], INTERVALS[match["interval"]]


def coin_of(symbol: str) -> tuple[str, float]:
    """(coin, coins per quoted unit): BTCUSDT → (BTC, 1), BTCUSD_PERP → (BTC, 1), 1000PEPEUSDT →
    (PEPE, 1000): a candle's prices are per one coin, as model.Candle says."""
    base = symbol.split("_", 1)[0]
    for quote in _QUOTES:
        if base.endswith(quote) and len(base) > len(quote):
            base = base[: -len(quote)]
            break
    return normalize_coin(base)


def _ms(text: str) -> int:
    value = int(text)
    return value // 1000 if value > 10**14 else value  # µs (spot files since 2025) → ms


def parse(text: str, venue: str, symbol: str, interval_ms: int | None, what: str) -> list[Candle]:
    """The candles of one file; BadKlines on a malformed line or an interval that disagrees."""
    coin, per_unit = coin_of(symbol)
    out: list[Candle] = []
    reader = csv.reader(io.StringIO(text))
    for cells in reader:
        if not cells or cells[0].lstrip("\ufeff") == HEADER_FIRST:
            continue
        where = f"{what}:{reader.line_num}"
        if len(cells) != COLUMNS:
            raise BadKlines(f"{where}: expected {COLUMNS} columns, got {len(cells)}")
        try:
            open_ts, close_ts = _ms(cells[0]), _ms(cells[6])
            o, h, lo, c = (float(x) for x in cells[1:5])
        except ValueError:
            raise BadKlines(f"{where}: not a kline row") from None
        if not all(math.isfinite(x) and x > 0 for x in (o, h, lo, c)) or lo > h:
            raise BadKlines(f"{where}: prices must be positive with low ≤ high")
        length = close_ts - open_ts + 1
        if interval_ms is None:
            interval_ms = length
        if length != interval_ms:
            raise BadKlines(f"{where}: a bar of {length} ms in a file of {interval_ms} ms bars")
        o, h, lo, c = (x / per_unit for x in (o, h, lo, c))
        out.append(Candle(venue, symbol, coin, interval_ms, open_ts, o, h, lo, c, "binance-public-data"))
    return out

"""The readers of the importable files that hold no events: provider aggregates
(liqwatch.aggregates: "coinglass_csv", "coinalyze_csv", "coinalyze_json", "coinglass_json") and
Binance public-data kline CSVs ("klines", plain, gzipped or zipped as published). Which kind a file
is, is decided in one place: liqwatch.import_kinds. gzip is undone first whatever the name says.
"""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import msgspec

from liqwatch import aggregates, klines
from liqwatch.aggregates import AggregateRow
from liqwatch.model import Candle

AGGREGATE_KINDS = ("coinglass_csv", "coinalyze_csv", "coinalyze_json", "coinglass_json")
PROBE_BYTES = 1 << 16


class NotKnown(ValueError):
    """A file of no format liqwatch knows (one line naming the file)."""


def read_text(path: Path) -> str:
    """The whole text of a plain, gzipped or (first CSV of a) zipped file."""
    with path.open("rb") as f:
        head = f.read(4)
    if head[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as g:
            return g.read().decode("utf-8")
    if head == b"PK\x03\x04":
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.lower().endswith(".csv")]
            return z.read(names[0]).decode("utf-8") if names else ""
    return path.read_text(encoding="utf-8")


def json_kind_of(path: Path) -> str | None:
    """The aggregate kind of a saved API response (the whole file read), or None."""
    try:
        doc = msgspec.json.decode(read_text(path))
    except (msgspec.DecodeError, UnicodeDecodeError, OSError):
        return None
    return aggregates.kind_of_json(doc)


def read_aggregates(path: Path, kind: str, coin: str | None) -> list[AggregateRow]:
    """The rows of an aggregate file; BadAggregate (one line) when it cannot be read."""
    text = read_text(path)
    what = str(path)
    if kind == "coinalyze_csv":
        return aggregates.read_coinalyze_csv(text, what)
    if kind == "coinalyze_json":
        return aggregates.read_coinalyze_json(msgspec.json.decode(text), what)
    named = coin or aggregates.coin_from_name(path.name)
    if not named:
        raise aggregates.BadAggregate(f"{what}: the file does not say its coin: add --coin (e.g. --coin BTC)")
    if kind == "coinglass_csv":
        return aggregates.read_coinglass_csv(text, named.upper(), what)
    return aggregates.read_coinglass_json(msgspec.json.decode(text), named.upper(), what)


def read_klines(path: Path, venue: str = "binance_usdm") -> list[Candle]:
    """The candles of a Binance public-data kline file (symbol and interval from its name)."""
    name = path.name.removesuffix(".gz")
    parts = klines.name_parts(name)
    if parts is None:
        raise klines.BadKlines(
            f"{path}: a kline file must keep its public-data name, e.g. BTCUSDT-1h-2024-01-01.zip (it says the symbol)"
        )
    symbol, interval = parts
    return klines.parse(read_text(path), venue, symbol, interval, str(path))


def not_known(path: Path) -> str:
    return (
        f"{path}: not a format liqwatch knows (capture journals, Tardis liquidation CSVs, Coinalyze or CoinGlass "
        "liquidation history as CSV or saved API JSON, Binance public-data kline CSV/zip)"
    )


def rows_text(rows: list[AggregateRow]) -> str:
    """ "1,234 buckets of Coinalyze BTC daily …" for the import report."""
    series = {(r.source, r.coin, r.interval_ms) for r in rows}
    return ", ".join(f"{aggregates.SOURCE_NAMES.get(s, s)} {c} every {io_interval(i)}" for s, c, i in sorted(series))


def io_interval(ms: int) -> str:
    if ms % 86_400_000 == 0:
        return f"{ms // 86_400_000}d"
    if ms % 3_600_000 == 0:
        return f"{ms // 3_600_000}h"
    return f"{ms // 60_000}m"

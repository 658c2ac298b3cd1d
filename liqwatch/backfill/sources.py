"""The public history sources `liqwatch backfill` reads: URLs, requests and time windows. Pure.

- Tardis datasets: GET {base}/v1/{exchange}/liquidations/{YYYY}/{MM}/{DD}/{SYMBOL}.csv.gz, the
  first day of each month without a key, any day with `Authorization: Bearer KEY`; grouped
  symbols (PERPETUALS, FUTURES) hold every instrument of that kind.
- Coinalyze: GET {base}/v1/future-markets and /v1/liquidation-history?symbols=… (≤ 20 per call)
  &interval=daily|1hour&from=&to= (SECONDS)&convert_to_usd=true, key in the `api_key` header;
  40 calls a minute; intraday history keeps only the last ~1,500–2,000 points.
- CoinGlass (v4): GET {base}/api/futures/liquidation/aggregated-history?symbol=BTC
  &exchange_list=Binance,OKX,Bybit&interval=1d&start_time=&end_time= (ms)&limit=1000, key in the
  `CG-API-KEY` header; plan limits on the interval (Hobbyist ≥ 4h).
- OKX `/api/v5/public/liquidation-orders` and Deribit `public/get_last_trades_by_currency_and_time`
  (liqwatch.venues.okx / deribit build and parse those); klines through liqwatch.prices.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from liqwatch.venues.base import RestRequest

DAY_MS = 86_400_000
HOUR_MS = 3_600_000

TARDIS_URL = "https://datasets.tardis.dev"
COINALYZE_URL = "https://api.coinalyze.net"
COINGLASS_URL = "https://open-api-v4.coinglass.com"

COINALYZE_PACE_S = 1.5  # 40 calls a minute
COINALYZE_SYMBOLS_PER_CALL = 20
COINALYZE_INTERVALS = {"daily": DAY_MS, "1hour": HOUR_MS}
COINALYZE_WINDOW_MS = {"daily": 365 * DAY_MS, "1hour": 60 * DAY_MS}  # under its ~1,500-point replies
COINALYZE_HOURLY_KEEPS_MS = 80 * DAY_MS

COINGLASS_INTERVALS = {"1h": HOUR_MS, "4h": 4 * HOUR_MS, "12h": 12 * HOUR_MS, "1d": DAY_MS}
COINGLASS_LIMIT = 1000
COINGLASS_EXCHANGES = "Binance,OKX,Bybit"


def tardis_path(exchange: str, day_ms: int, symbol: str) -> str:
    d = datetime.fromtimestamp(day_ms / 1000, UTC)
    return f"/v1/{exchange}/liquidations/{d.year:04d}/{d.month:02d}/{d.day:02d}/{symbol}.csv.gz"


def tardis_days(since: int, until: int, *, keyed: bool) -> list[int]:
    """The UTC days [since, until) to fetch: every day with a key, the first of each month without."""
    first = since // DAY_MS * DAY_MS
    out = []
    for day in range(first, until, DAY_MS):
        if keyed or datetime.fromtimestamp(day / 1000, UTC).day == 1:
            out.append(day)
    return out


def windows(since: int, until: int, length: int) -> Iterator[tuple[int, int]]:
    """[since, until) cut into consecutive windows of at most `length`."""
    start = since
    while start < until:
        yield start, min(start + length, until)
        start += length


def coinalyze_markets_request() -> RestRequest:
    return RestRequest("/v1/future-markets", {})


def coinalyze_symbols(markets: object, coin: str, exchanges: Sequence[str] = ()) -> list[str]:
    """The perpetual symbols of `coin` in a /v1/future-markets reply (exchange codes to keep: all)."""
    if not isinstance(markets, list):
        raise ValueError("coinalyze future-markets: expected a list")
    out = []
    for m in markets:
        if not isinstance(m, dict):
            continue
        if str(m.get("base_asset", "")).upper() != coin.upper() or not m.get("is_perpetual"):
            continue
        if exchanges and str(m.get("exchange")) not in exchanges:
            continue
        out.append(str(m["symbol"]))
    return sorted(out)


def coinalyze_history_request(symbols: Sequence[str], interval: str, start: int, end: int) -> RestRequest:
    params = {
        "symbols": ",".join(symbols),
        "interval": interval,
        "from": str(start // 1000),
        "to": str(end // 1000 - 1),
        "convert_to_usd": "true",
    }
    return RestRequest("/v1/liquidation-history", params)


def coinglass_request(coin: str, exchanges: str, interval: str, start: int, end: int) -> RestRequest:
    params = {
        "symbol": coin,
        "exchange_list": exchanges,
        "interval": interval,
        "start_time": str(start),
        "end_time": str(end - 1),
        "limit": str(COINGLASS_LIMIT),
    }
    return RestRequest("/api/futures/liquidation/aggregated-history", params)

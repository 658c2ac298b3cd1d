"""Prices, open interest and funding from the venues' public REST APIs: request builders and parsers.

Pure (like the venue modules): `feed/prices.py` performs the GETs. Every parser returns liqwatch
Candles / MarketStats and refuses a body that is not the documented shape (PriceError).

Candles (klines), per venue, for an interval of five minutes (the dashboard), one hour or one day:
- binance_usdm: GET /fapi/v1/klines?symbol=BTCUSDT&interval=5m|1h|1d&startTime&endTime&limit=1500
  → [[openTime, "open", "high", "low", "close", "volume", closeTime, …], …] oldest first.
- bybit: GET /v5/market/kline?category=linear&symbol=BTCUSDT&interval=5|60|D&start&end&limit=1000
  → {"retCode":0,"result":{"list":[["startTime","open","high","low","close","volume","turnover"],…]}}
  newest first (the newest `limit` bars of the range: pages go backwards by lowering `end`).
- okx: GET /api/v5/market/history-candles?instId=BTC-USDT-SWAP&bar=5m|1H|1Dutc&after&limit=100
  → {"code":"0","data":[["ts","o","h","l","c","vol","volCcy","volCcyQuote","confirm"],…]} newest
  first; `after` pages backwards (records older than it); confirm "0" = the bar is still open.
  (`1Dutc`: OKX's plain `1D` bars open at Hong Kong midnight.)
A bar that has not closed by `now` is dropped: a stored candle is a final price.

Open interest (USD notional) and funding rates:
- binance_usdm: GET /futures/data/openInterestHist?symbol&period=1h&startTime&endTime&limit=500
  → [{"sumOpenInterestValue": "…", "timestamp": ms}, …] (the venue keeps about 30 days);
  GET /fapi/v1/fundingRate?symbol&startTime&endTime&limit=1000 → [{"fundingRate","fundingTime"}, …].
- bybit: GET /v5/market/funding/history?category=linear&symbol&startTime&endTime&limit=200
  → {"result":{"list":[{"fundingRate","fundingRateTimestamp"}, …]}}.
- okx: GET /api/v5/rubik/stat/contracts/open-interest-volume?ccy=BTC&period=1H&begin&end
  → {"data":[["ts","oi (USD)","volume (USD)"], …]}; GET /api/v5/public/funding-rate-history?
  instId&after&limit=100 → {"data":[{"fundingRate","fundingTime"}, …]}.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from liqwatch.model import Candle, MarketStat
from liqwatch.venues.base import RestRequest

FIVE_MIN_MS = 300_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000

VENUES = ("binance_usdm", "bybit", "okx")
REST_BASES = {
    "binance_usdm": "https://fapi.binance.com",
    "bybit": "https://api.bybit.com",
    "okx": "https://www.okx.com",
}
LIMITS = {"binance_usdm": 1500, "bybit": 1000, "okx": 100}
_INTERVALS = {
    "binance_usdm": {FIVE_MIN_MS: "5m", HOUR_MS: "1h", DAY_MS: "1d"},
    "bybit": {FIVE_MIN_MS: "5", HOUR_MS: "60", DAY_MS: "D"},
    "okx": {FIVE_MIN_MS: "5m", HOUR_MS: "1H", DAY_MS: "1Dutc"},
}


class PriceError(ValueError):
    """A response that is not the documented shape, or an unsupported request."""


def symbol_for(venue: str, coin: str) -> str:
    """The coin's USDT perpetual: BTCUSDT (Binance, Bybit), BTC-USDT-SWAP (OKX)."""
    if venue == "okx":
        return f"{coin}-USDT-SWAP"
    if venue in ("binance_usdm", "bybit"):
        return f"{coin}USDT"
    raise PriceError(f"no price source for venue {venue!r}")


def _interval(venue: str, interval_ms: int) -> str:
    try:
        return _INTERVALS[venue][interval_ms]
    except KeyError:
        raise PriceError(f"{venue}: candles of {interval_ms} ms are not supported (5m, 1h or 1d)") from None


# --- candles ------------------------------------------------------------------------------------


def kline_request(venue: str, symbol: str, interval_ms: int, start: int, end: int) -> RestRequest:
    """The first page of bars opening in [start, end) (ms)."""
    bar = _interval(venue, interval_ms)
    if venue == "binance_usdm":
        params = {"symbol": symbol, "interval": bar, "startTime": str(start), "endTime": str(end - 1)}
        return RestRequest("/fapi/v1/klines", params | {"limit": str(LIMITS[venue])})
    if venue == "bybit":
        params = {"category": "linear", "symbol": symbol, "interval": bar, "start": str(start), "end": str(end - 1)}
        return RestRequest("/v5/market/kline", params | {"limit": str(LIMITS[venue])})
    if venue == "okx":
        return RestRequest(
            "/api/v5/market/history-candles",
            {"instId": symbol, "bar": bar, "after": str(end), "limit": str(LIMITS[venue])},
        )
    raise PriceError(f"no klines for venue {venue!r}")


def next_kline_request(
    venue: str, request: RestRequest, page: list[Candle], start: int, end: int
) -> RestRequest | None:
    """The following page, or None when the range is covered (or the venue returned nothing)."""
    if not page:
        return None
    interval = page[0].interval_ms
    if venue in ("okx", "bybit"):  # newest first: pages go backwards
        oldest = min(c.open_ts for c in page)
        if oldest <= start:
            return None
        if venue == "okx":
            return RestRequest(request.path, dict(request.params) | {"after": str(oldest)})
        return RestRequest(request.path, dict(request.params) | {"end": str(oldest - 1)})
    newest = max(c.open_ts for c in page)  # Binance: oldest first, pages go forwards
    if newest + interval >= end or len(page) < LIMITS[venue] - 1:
        return None
    return RestRequest(request.path, dict(request.params) | {"startTime": str(newest + interval)})


def _number(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PriceError(f"{what} is not a number: {value!r}") from None
    if not math.isfinite(number):
        raise PriceError(f"{what} is not finite: {value!r}")
    return number


def _ms(value: Any, what: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PriceError(f"{what} is not a ms timestamp: {value!r}") from None
    if number <= 0:
        raise PriceError(f"{what} is not a ms timestamp: {value!r}")
    return number


def _candle(venue: str, symbol: str, coin: str, interval_ms: int, row: Any) -> Candle:
    if not isinstance(row, list) or len(row) < 5:
        raise PriceError(f"{venue} kline row is not [time, open, high, low, close, …]: {row!r}")
    o, h, lo, c = (_number(row[i], f"{venue} kline field {i}") for i in range(1, 5))
    if not (0 < lo <= min(o, c) and max(o, c) <= h):
        raise PriceError(f"{venue} kline prices are inconsistent: {row!r}")
    return Candle(venue, symbol, coin, interval_ms, _ms(row[0], f"{venue} kline time"), o, h, lo, c, "rest")


def _decode(body: bytes, venue: str) -> Any:
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise PriceError(f"{venue}: not JSON: {exc}") from None


def _envelope_list(doc: Any, venue: str) -> list[Any]:
    """The data list of a Bybit ({retCode, result: {list}}) or OKX ({code, data}) response."""
    if venue == "bybit":
        if not isinstance(doc, dict) or doc.get("retCode") != 0:
            raise PriceError(f"bybit: error response: {str(doc)[:200]}")
        result = doc.get("result")
        rows = result.get("list") if isinstance(result, dict) else None
    else:
        if not isinstance(doc, dict) or doc.get("code") != "0":
            raise PriceError(f"okx: error response: {str(doc)[:200]}")
        rows = doc.get("data")
    if not isinstance(rows, list):
        raise PriceError(f"{venue}: no data list in the response")
    return rows


def parse_klines(
    venue: str, symbol: str, coin: str, interval_ms: int, body: bytes, now: int | None = None
) -> list[Candle]:
    """Candles of a klines response, oldest first; bars still open at `now` (ms) are dropped."""
    doc = _decode(body, venue)
    if venue == "binance_usdm":
        if not isinstance(doc, list):
            raise PriceError(f"binance_usdm: klines response is not a list: {str(doc)[:200]}")
        rows = doc
    elif venue in ("bybit", "okx"):
        rows = _envelope_list(doc, venue)
    else:
        raise PriceError(f"no klines for venue {venue!r}")
    out = []
    for row in rows:
        if venue == "okx" and isinstance(row, list) and len(row) >= 9 and row[8] == "0":
            continue  # still open
        candle = _candle(venue, symbol, coin, interval_ms, row)
        if now is not None and candle.open_ts + interval_ms > now:
            continue
        out.append(candle)
    return sorted(out, key=lambda c: c.open_ts)


# --- open interest and funding --------------------------------------------------------------------


def open_interest_request(venue: str, coin: str, start: int, end: int) -> RestRequest | None:
    """Hourly open interest in USD, where the venue publishes it in USD (Binance, OKX)."""
    if venue == "binance_usdm":
        params = {"symbol": symbol_for(venue, coin), "period": "1h", "startTime": str(start), "endTime": str(end)}
        return RestRequest("/futures/data/openInterestHist", params | {"limit": "500"})
    if venue == "okx":
        params = {"ccy": coin, "period": "1H", "begin": str(start), "end": str(end)}
        return RestRequest("/api/v5/rubik/stat/contracts/open-interest-volume", params)
    return None


def parse_open_interest(venue: str, coin: str, body: bytes) -> list[MarketStat]:
    doc = _decode(body, venue)
    out = []
    if venue == "binance_usdm":
        if not isinstance(doc, list):
            raise PriceError(f"binance_usdm: openInterestHist is not a list: {str(doc)[:200]}")
        symbol = symbol_for(venue, coin)
        for row in doc:
            if not isinstance(row, dict):
                raise PriceError(f"binance_usdm: openInterestHist row is not an object: {row!r}")
            value = _number(row.get("sumOpenInterestValue"), "sumOpenInterestValue")
            out.append(
                MarketStat(venue, symbol, coin, "open_interest_usd", _ms(row.get("timestamp"), "timestamp"), value)
            )
    elif venue == "okx":
        for row in _envelope_list(doc, venue):
            if not isinstance(row, list) or len(row) < 2:
                raise PriceError(f"okx: open-interest row is not [ts, oi, vol]: {row!r}")
            out.append(
                MarketStat(venue, f"{coin}-USD", coin, "open_interest_usd", _ms(row[0], "ts"), _number(row[1], "oi"))
            )
    else:
        raise PriceError(f"no open interest for venue {venue!r}")
    return sorted(out, key=lambda s: s.ts)


def funding_request(venue: str, coin: str, start: int, end: int) -> RestRequest:
    symbol = symbol_for(venue, coin)
    if venue == "binance_usdm":
        params = {"symbol": symbol, "startTime": str(start), "endTime": str(end), "limit": "1000"}
        return RestRequest("/fapi/v1/fundingRate", params)
    if venue == "bybit":
        params = {"category": "linear", "symbol": symbol, "startTime": str(start), "endTime": str(end)}
        return RestRequest("/v5/market/funding/history", params | {"limit": "200"})
    if venue == "okx":
        return RestRequest("/api/v5/public/funding-rate-history", {"instId": symbol, "after": str(end), "limit": "100"})
    raise PriceError(f"no funding for venue {venue!r}")


def parse_funding(venue: str, coin: str, body: bytes) -> list[MarketStat]:
    doc = _decode(body, venue)
    symbol = symbol_for(venue, coin)
    if venue == "binance_usdm":
        if not isinstance(doc, list):
            raise PriceError(f"binance_usdm: fundingRate is not a list: {str(doc)[:200]}")
        rows, rate, time = doc, "fundingRate", "fundingTime"
    elif venue == "bybit":
        rows, rate, time = _envelope_list(doc, venue), "fundingRate", "fundingRateTimestamp"
    elif venue == "okx":
        rows, rate, time = _envelope_list(doc, venue), "fundingRate", "fundingTime"
    else:
        raise PriceError(f"no funding for venue {venue!r}")
    out = []
    for row in rows:
        if not isinstance(row, dict):
            raise PriceError(f"{venue}: funding row is not an object: {row!r}")
        out.append(
            MarketStat(venue, symbol, coin, "funding_rate", _ms(row.get(time), time), _number(row.get(rate), rate))
        )
    return sorted(out, key=lambda s: s.ts)

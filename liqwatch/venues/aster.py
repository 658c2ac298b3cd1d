"""Aster (`aster`): Binance USD-M's `forceOrder` streams on Aster's own host (a Binance clone).

Docs: https://github.com/asterdex/api-docs (V3(Recommended)/EN/aster-finance-futures-api-v3.md,
      "Liquidation Order Streams", "All Market Liquidation Order Streams", "Exchange Information")
      tardis-node `src/mappers/aster.ts` maps the same `forceOrder` payload as Binance's.
URLs: WebSocket `wss://fstream.asterdex.com` (raw `/ws/<stream>`, combined `/stream?streams=…`,
  live SUBSCRIBE requests as Binance); REST `https://fapi.asterdex.com/fapi/v1/exchangeInfo`.
Streams: `!forceOrder@arr` (all symbols) and `<symbol>@forceOrder`, documented as "liquidation
  snapshot (1000ms)": the latest liquidation per symbol per second, as Binance. Payload: Binance's
  `{"e":"forceOrder","E","o":{s,S,o,f,q,p,ap,X,l,z,T}}` (tardis' recorded Aster message matches).
Side: `o.S` is the liquidation ORDER side as on Binance: SELL closes a long, BUY a short.
Size: USDT-margined linear perpetuals; `z` is in base coin (bundles for 1000-prefixed symbols),
  usd = z × ap exactly; the same parse as Binance USD-M (`binance.parser` with Aster's routes).
Coverage: sampled (one liquidation per symbol per second, as the docs say of the snapshot).
Id: `aster:{symbol}:{T}:{S}:{z}` (venues/ids.py).
Limits (docs): a connection lives 24 h; the server pings every 5 min and closes without a pong
  within 15 min; 10 incoming messages/s; at most 200 streams per connection.
UNCONFIRMED: Aster's docs do not state the side rule (we follow Binance, as tardis-node does);
  whether `!forceOrder@arr` carries every symbol (listed in the docs, never recorded here); whether
  Aster pushes COIN-M-style `st` fields (it lists no coin-margined contracts: `st` is ignored).
"""

from __future__ import annotations

import math

import msgspec

from liqwatch.instruments import Catalogue, Instrument, normalize_coin, split_symbol
from liqwatch.model import SAMPLED
from liqwatch.venues import binance
from liqwatch.venues.base import Heartbeat, InstrumentsPage, Parse, RestRequest, VenueSpec
from liqwatch.venues.binance_rest import ExchangeInfo
from liqwatch.venues.binance_rest import connections as binance_connections

VENUE = "aster"
URLS = {"market": "wss://fstream.asterdex.com/stream"}
REST = "https://fapi.asterdex.com"
QUOTES = ("USDT", "USDC")  # USD-quoted linear perpetuals (others: not derived, see venues/base.py)


def derive(symbol: str) -> Instrument | None:
    """A linear contract from the symbol's quote (BTCUSDT, 1000PEPEUSDT); None when no quote fits."""
    parts = split_symbol(symbol, QUOTES)
    if parts is None:
        return None
    coin, bundle = normalize_coin(parts[0])
    return Instrument(VENUE, symbol, coin, "linear", bundle, parts[1], price_unit=bundle)


def _route(symbol: str, _symbol_type: int, cat: Catalogue) -> binance._Route | str:
    inst = cat.resolve(VENUE, symbol, derive)
    if inst is None:
        return VENUE  # not listed, no quote we know: stored unpriced (venues/base.py)
    inverse = inst.kind == "inverse"
    usd_quoted = inverse or inst.usd_quoted
    return (VENUE, inst.coin, inverse, inst.contract_size, inst.price_unit, usd_quoted, f"{VENUE}:{symbol}:")


def parser(max_usd: float = math.inf, min_ts: float = -math.inf) -> Parse:
    return binance.parser(max_usd, min_ts, _route, VENUE)


parse = parser()


# BTCUSDT's mark price ticks every second: it proves the socket alive between liquidations.
connections = binance_connections("!forceOrder@arr", "btcusdt@markPrice@1s")


def parse_instruments(_req: RestRequest, body: bytes) -> InstrumentsPage:
    info = msgspec.json.decode(body, type=ExchangeInfo)
    out = []
    for sym in info.symbols:
        if not sym.baseAsset or not sym.quoteAsset:
            continue
        coin, bundle = normalize_coin(sym.baseAsset)
        out.append(Instrument(VENUE, sym.symbol, coin, "linear", bundle, sym.quoteAsset, bundle, "rest"))
    return InstrumentsPage(out)


ASTER_SPEC = VenueSpec(
    id=VENUE,
    coverage=SAMPLED,
    urls=URLS,
    rest_base=REST,
    connections=connections,
    parse=parse,
    is_data=binance.is_data,
    heartbeat=Heartbeat(interval_s=60.0),  # the server pings every 5 min; the client library pongs
    silence_s=30.0,
    instrument_requests=lambda: [RestRequest("/fapi/v1/exchangeInfo")],
    parse_instruments=parse_instruments,
    notes="Aster pushes at most one liquidation per symbol per second: totals are lower bounds.",
    checked_parse=parser,
)

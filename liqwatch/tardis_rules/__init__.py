"""Per exchange, a venue parser's rules for Tardis rows as Arrow columns (liqwatch/tardis_columns.py).

Each rule takes the plain rows of one Tardis exchange (cells already checked: plain decimals of at
most 15 digits, buy/sell, times in ms) priced with one catalogue, and returns their events as an
Arrow record batch of store.schema.EVENT_COLUMNS with a mask of the rows it covers; the others go
to the row path. A rule repeats its venue parser's arithmetic operation for operation (a digit
string as a double, divided by an exact power of ten, times the route's contract size…), so every
double is the one the parser computes; the routes are the venue modules' own `_route` functions.
Where a parser has an inline path, the rule follows it and leaves uncovered every row that path
hands to the parser's rules function (`_event`); where `_event` is the parser's only path (HTX,
Kraken Futures, Bitfinex), the rule follows `_event`.

    binance-futures, binance-delivery   venues/binance.py  parser (linear and inverse inline paths)
    bybit                               venues/bybit.py    parser (allLiquidation, or the legacy
                                                           topic before BYBIT_ALL_LIQUIDATION_SINCE)
    okex-swap, okex-futures             venues/okx.py      parser (LINEAR_USD, INVERSE, PRICE_ONLY)
    deribit                             venues/deribit.py  parser (INVERSE, LINEAR, PRICE_ONLY)
    bitmex                              venues/bitmex.py   parser (INVERSE, LINEAR, PRICE_ONLY; whole
                                                           contracts; received at the row's timestamp)
    bitget-futures                      venues/bitget.py   parser (listed symbols)
    huobi-dm, huobi-dm-swap,            venues/htx.py      `_event`, the parser's only path: routes.
      huobi-dm-linear-swap                                 contract_amounts on JSON numbers (contracts.py)
    cryptofacilities                    venues/kraken_futures.py  `_event`, likewise
    bitfinex-derivatives                venues/bitfinex.py `_event`, the parser's only path (exact products)
"""

from __future__ import annotations

from liqwatch.tardis_rules import binance, bitfinex, bitget, bitmex, bybit, deribit, htx, kraken_futures, okx
from liqwatch.tardis_rules.columns import Rule

RULES: dict[str, Rule] = {
    "binance-futures": binance.rule,
    "binance-delivery": binance.rule,
    "bybit": bybit.rule,
    "okex-swap": okx.rule,
    "okex-futures": okx.rule,
    "deribit": deribit.rule,
    "bitmex": bitmex.rule,
    "bitget-futures": bitget.rule,
    "huobi-dm": htx.rule,
    "huobi-dm-swap": htx.rule,
    "huobi-dm-linear-swap": htx.rule,
    "cryptofacilities": kraken_futures.rule,
    "bitfinex-derivatives": bitfinex.rule,
}
# The exchanges whose rows tardis.frame_of hands over as received at their `timestamp`, not their
# `local_timestamp` (BitMEX sends no time): the receive time also picks the catalogue
RECEIVED_AT_TIMESTAMP = frozenset({"bitmex"})

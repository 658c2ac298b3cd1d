"""One event id per liquidation, whichever way it reached liqwatch.

The same liquidation arrives through a capture journal (the venue's own frame), a Tardis CSV row
(`liqwatch/tardis.py` rebuilds the frame from the row) or a REST backfill (OKX, Deribit). An id is
built only from what every source states the same way:

- numbers in canonical decimal text (`number_key`): Bybit's `45171.00`, Tardis's `45171` and
  a JSON number's `4.5171e4` are all `45171`; `0.500` is `0.5`;
- the side of the liquidated POSITION (`long`/`short`) where the venue's own flag depends on
  the source: OKX `side`+`posSide` (Tardis writes no posSide), Deribit `M`/`T` (who was the
  taker; Tardis writes every liquidation as `T`).

The id forms (venue modules build them; `canonical_id` rewrites the ids stores held before):
    binance_usdm|binance_coinm:{symbol}:{T}:{S}:{z}      S the order side as sent (BUY/SELL)
    bybit:{symbol}:{T}:{S}:{v}:{p}                        S the position side as sent (Buy/Sell)
    okx:{instId}:{ts}:{long|short}:{sz}:{bkPx}
    deribit:{instrument}:{trade_id}:{long|short}
    bitget:{symbol}:{ts}:{side}:{amount}
    gate:{contract}:{create_time_ms}:{size}:{price}      size signed as sent
    bitmex:{symbol}:{orderID}
    aster:{symbol}:{T}:{S}:{z}                            (Binance's form)
"""

from __future__ import annotations

from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, InvalidOperation

_NONZERO = "123456789"


def number_key(text: str) -> str:
    """Canonical decimal text of a number: no exponent, no leading or trailing zeros.

    "45171.00" → "45171", "0.500" → "0.5", "1e-05" → "0.00001", "-124.50" → "-124.5". Text that
    is not a number is returned unchanged (the parser refuses it before an id is built). Plain
    ASCII decimals (what venues send) take the quick path; anything else goes through Decimal.
    """
    # 1-9 at both ends, ASCII, no exponent or underscore: canonical (or no number: unchanged all the same)
    plain = text and text[0] in _NONZERO and text[-1] in _NONZERO and text.isascii()
    if plain and "e" not in text and "E" not in text and "_" not in text:
        return text
    head, dot, tail = text.partition(".")
    if head.isdecimal() and text.isascii() and (len(head) == 1 or head[0] != "0"):
        if not dot:
            return text
        if tail.isdecimal():
            if tail[-1] != "0":
                return text
            tail = tail.rstrip("0")
            return f"{head}.{tail}" if tail else head
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if not value.is_finite():
        return text
    # normalize() rounds to its context's precision (28 digits by default): give it every digit
    exact = Context(prec=max(28, len(value.as_tuple().digits)), Emax=MAX_EMAX, Emin=MIN_EMIN)
    canonical = format(value.normalize(exact), "f")
    return "0" if canonical in ("-0", "0") else canonical


def _numbers(fields: list[str], *positions: int) -> list[str]:
    for at in positions:
        fields[at] = number_key(fields[at])
    return fields


def canonical_id(venue: str, old: str, side: str) -> str:
    """The id an event stored under `old` gets now (ids of liqwatch ≤ schema 4 → the forms above).

    Pure and idempotent: a canonical id maps to itself. Ids of other venues, or of a shape this
    does not recognise, are returned unchanged.
    """
    fields = old.split(":")
    n = len(fields)
    if venue in ("binance_usdm", "binance_coinm", "aster", "bitget") and n == 5:
        return ":".join(_numbers(fields, 4))
    if (venue == "bybit" and n == 6) or (venue == "gate" and n == 5):  # …:{size}:{price}
        return ":".join(_numbers(fields, n - 2, n - 1))
    if venue == "okx":
        if n == 7:  # okx:{instId}:{ts}:{side}:{posSide}:{sz}:{bkPx}
            fields = [*fields[:3], side, *fields[5:]]
        if len(fields) == 6:
            fields[3] = side
            return ":".join(_numbers(fields, 4, 5))
        return old
    if venue == "deribit" and n == 4:  # deribit:{instrument}:{trade_id}:{M|T}
        fields[3] = side
        return ":".join(fields)
    return old

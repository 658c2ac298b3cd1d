"""OKX v5 REST (`okx`): the requests liqwatch sends and the instruments catalogue they return.

Docs: https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments
      https://www.okx.com/docs-v5/en/#public-data-rest-api-get-liquidation-orders

Instruments: `GET /api/v5/public/instruments?instType=SWAP|FUTURES`; a row's contract value is
  ctVal × ctMult (ctMult absent: 1). ctType `inverse`: the value is in ctValCcy (USD). ctType
  `linear`: the value is in ctValCcy; when that is the base coin the instrument is linear (a
  bundled coin such as 1000PEPE multiplies it), otherwise quanto (the value is in another coin).
  Rows without a positive contract value are left out (their events stay unpriced, never guessed).
Liquidation orders: `GET /api/v5/public/liquidation-orders` (about the last day, ≤100 rows a call,
  instFamily or uly and state required for SWAP/FUTURES). Its rows have the stream's `data[]` shape
  (plus `totalLoss`): `rest_rows_as_push` wraps them as the push that would carry them, which
  `okx.parse_rest_liquidations` parses with the stream's rules.
Naming (`derive`): MARGIN instIds BASE-QUOTE (`sz` in base currency); inverse BASE-USD-… at the
  convention INVERSE_USD (okx.py: the size rules); linear SWAP/FUTURES only from the catalogue.
Subscribe (`subscribe_message`): `liquidation-orders` per instType and the `mark-price` companion.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from liqwatch.instruments import Catalogue, Instrument, Kind, normalize_coin
from liqwatch.numbers import BadNumber, exact_product, positive
from liqwatch.venues.base import BadFrame, Connection, InstrumentsPage, RestRequest

VENUE = "okx"
INST_TYPES = ("SWAP", "FUTURES")
INSTRUMENTS_PATH = "/api/v5/public/instruments"
LIQUIDATIONS_PATH = "/api/v5/public/liquidation-orders"
CHANNEL = "liquidation-orders"  # one subscription per instType (INST_TYPES) covers all its instruments
COMPANION = {"channel": "mark-price", "instId": "BTC-USDT-SWAP"}
INVERSE_USD = {"BTC": 100.0}  # USD per inverse contract; every other coin: INVERSE_USD_OTHER
INVERSE_USD_OTHER = 10.0


class _Instrument(msgspec.Struct):
    instId: str
    instType: str = ""
    ctVal: str = ""  # contract value, in ctValCcy
    ctMult: str = ""  # contract multiplier
    ctType: str = ""  # linear | inverse (SWAP/FUTURES)
    ctValCcy: str = ""  # linear: the base coin; inverse: USD
    settleCcy: str = ""  # linear: USDT/USDC; inverse: the coin
    uly: str = ""
    instFamily: str = ""
    state: str = ""  # live | suspend | preopen | test


class _Instruments(msgspec.Struct):
    code: str = "0"
    msg: str = ""
    data: list[_Instrument] = []


def instrument(raw: _Instrument, source: str = "rest") -> Instrument | None:
    """The catalogue entry of one instruments-endpoint row; None when it has no contract value."""
    ct_mult = raw.ctMult or "1"
    try:
        positive(raw.ctVal, "ctVal")
        positive(ct_mult, "ctMult")
        value = exact_product(raw.ctVal, ct_mult)
    except (BadNumber, ValueError, OverflowError):
        return None
    parts = raw.instId.split("-")
    if len(parts) < 2 or not parts[0]:
        return None
    coin, bundle = normalize_coin(parts[0])
    if raw.ctType == "inverse":
        return Instrument(VENUE, raw.instId, coin, "inverse", value, raw.ctValCcy, 1.0, source)
    if raw.ctType != "linear":
        return None
    value_coin, value_bundle = normalize_coin(raw.ctValCcy) if raw.ctValCcy else (coin, bundle)
    kind: Kind = "linear" if value_coin == coin else "quanto"  # quanto: the value is in another coin
    size = value if value_bundle == 1.0 else exact_product(value, value_bundle)
    quote = raw.settleCcy or parts[1]
    return Instrument(VENUE, raw.instId, coin, kind, size, quote, bundle, source)


def instrument_requests() -> list[RestRequest]:
    return [RestRequest(INSTRUMENTS_PATH, {"instType": inst_type}) for inst_type in INST_TYPES]


def parse_instruments(_req: RestRequest, body: bytes) -> InstrumentsPage:
    try:
        response = msgspec.json.decode(body, type=_Instruments)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"okx instruments: {exc}") from None
    if response.code != "0":
        raise BadFrame(f"okx instruments: error {response.code}: {response.msg}")
    found = (instrument(raw) for raw in response.data)
    return InstrumentsPage([inst for inst in found if inst is not None])


def liquidation_orders_request(
    inst_type: str = "SWAP",
    *,
    inst_family: str = "",
    uly: str = "",
    state: str = "filled",
    after: str = "",
    before: str = "",
    limit: int = 100,
) -> RestRequest:
    """A backfill request. Page to older rows with `after` = the oldest `ts` already received."""
    if inst_type in INST_TYPES and not (inst_family or uly):
        raise ValueError("okx liquidation-orders: SWAP/FUTURES need inst_family or uly")
    params = {"instType": inst_type, "limit": str(min(max(limit, 1), 100))}
    optional = {"instFamily": inst_family, "uly": uly, "state": state, "after": after, "before": before}
    params.update({key: value for key, value in optional.items() if value})
    return RestRequest(LIQUIDATIONS_PATH, params)


class _RestLiquidations(msgspec.Struct, frozen=True):
    code: str  # "0" = success
    data: msgspec.Raw = msgspec.Raw()  # rows of the stream's `data[]` shape
    msg: str = ""


_decode_rest = msgspec.json.Decoder(_RestLiquidations).decode


def rest_rows_as_push(body: str | bytes) -> bytes:
    """The liquidation-orders push carrying a REST response's rows (b"" for no rows; no instType:
    each row states its own), or BadFrame for an error reply or a body that is not one."""
    try:
        response = _decode_rest(body)
    except (msgspec.DecodeError, UnicodeError) as exc:
        raise BadFrame(f"okx rest: {exc}") from None
    if response.code != "0":
        raise BadFrame(f"okx rest: error {response.code}: {response.msg}")
    if not response.data:
        return b""
    return b'{"arg":{"channel":"liquidation-orders"},"data":' + bytes(response.data) + b"}"


def derive(symbol: str) -> Instrument | None:
    """MARGIN instIds (BASE-QUOTE): `sz` is base currency. Inverse BASE-USD-…: the USD convention.

    Linear SWAP/FUTURES sizes: catalogue only.
    """
    parts = symbol.split("-")
    if len(parts) == 3 and parts[1] == "USD" and parts[0]:
        coin, _ = normalize_coin(parts[0])
        return Instrument(VENUE, symbol, coin, "inverse", INVERSE_USD.get(coin, INVERSE_USD_OTHER), "USD")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    coin, bundle = normalize_coin(parts[0])
    return Instrument(VENUE, symbol, coin, "linear", bundle, parts[1], price_unit=bundle)


def subscribe_message() -> str:
    args = [{"channel": CHANNEL, "instType": inst_type} for inst_type in INST_TYPES]
    args.append(COMPANION)
    return msgspec.json.encode({"op": "subscribe", "args": args}).decode()


def connections(urls: Mapping[str, str], _cat: Catalogue) -> list[Connection]:
    return [Connection("public", urls["public"], [subscribe_message()])]

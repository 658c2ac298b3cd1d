"""What liqwatch sends HTX (the subscribe frame) and its contracts (REST contract info).

Docs: https://www.htx.com/en-us/opend/newApiPages/ and huobiapi.github.io/docs/usdt_swap/v1/en/
      (the sources htx.py names): `/linear-swap-api/v1/swap_contract_info` (USDT-M),
      `/swap-api/v1/swap_contract_info` (coin-M swaps), `/api/v1/contract_contract_info` (coin-M futures).

Connections: one per notification endpoint (USDT-M linear swaps, coin-M swaps, coin-M futures),
  each subscribing `public.*.liquidation_orders` (every contract) with one `sub` frame.
Contracts: `contract_size` is coins per contract for USDT-M (linear; quote from
  `trade_partition`, USDT when absent) and USD per contract for coin-M (inverse). A row without a
  positive size is left out; a response whose `status` is not `ok` is refused with its message.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from liqwatch.instruments import Catalogue, Instrument, Kind, normalize_coin
from liqwatch.venues.base import BadFrame, Connection, InstrumentsPage, RestRequest

VENUE = "htx"
TOPIC = "public.*.liquidation_orders"
CONTRACT_INFO = {
    "/linear-swap-api/v1/swap_contract_info": "linear",
    "/swap-api/v1/swap_contract_info": "inverse",
    "/api/v1/contract_contract_info": "inverse",
}


def subscribe_frame() -> str:
    return msgspec.json.encode({"op": "sub", "cid": "liqwatch", "topic": TOPIC}).decode()


def connections(urls: Mapping[str, str], _cat: Catalogue) -> list[Connection]:
    return [Connection(name, url, [subscribe_frame()]) for name, url in urls.items()]


class _Contract(msgspec.Struct):
    contract_code: str
    symbol: str = ""
    contract_size: float = 0.0
    trade_partition: str = ""


class _Contracts(msgspec.Struct):
    status: str = ""
    data: list[_Contract] = []
    err_msg: str = ""


def instrument_requests() -> list[RestRequest]:
    return [RestRequest(path) for path in CONTRACT_INFO]


def parse_instruments(req: RestRequest, body: bytes) -> InstrumentsPage:
    try:
        response = msgspec.json.decode(body, type=_Contracts)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"htx contract info: {exc}") from None
    if response.status != "ok":
        raise BadFrame(f"htx contract info: {response.status or 'no status'}: {response.err_msg}")
    linear = CONTRACT_INFO.get(req.path) == "linear"
    out = []
    for raw in response.data:
        if not raw.contract_size > 0:
            continue
        coin = normalize_coin(raw.symbol or raw.contract_code.partition("-")[0])[0]
        kind: Kind = "linear" if linear else "inverse"
        quote = (raw.trade_partition or "USDT") if linear else "USD"
        out.append(Instrument(VENUE, raw.contract_code, coin, kind, raw.contract_size, quote, 1.0, "rest"))
    return InstrumentsPage(out)

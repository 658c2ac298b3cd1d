"""What liqwatch sends Gate (subscribe, ping) and its contracts (REST `contracts`, `contract_info`).

Docs: https://www.gate.com/docs/developers/apiv4/en/#list-all-futures-contracts
      https://www.gate.com/docs/developers/futures/ws/en/ (contract_info, ping/pong; changelog 2026-08-20)

Connections: one per settlement currency (`usdt`, `btc`), each subscribing the liquidations of all
  contracts and `futures.tickers` of its BTC contract (BTC_USDT / BTC_USD), which ticks with the
  market so a silent-but-open socket is detected. Heartbeat: `{"time","channel":"futures.ping"}`
  every 10 s (as Gate's demo client), answered by `futures.pong` (a control frame).
Subscribe `time`: the request envelope has a `time` (unix s; the doc: "gap between request time and
  server time must not exceed 60 seconds"). The only reported rejections (REQUEST_EXPIRED) come from
  signed requests; the docs' own public subscribe examples send `"time": 123456` with a success
  reply, and some public clients omit it. The connection builds each subscribe frame at send time
  (`subscribe_at`), so `time` is the real unix second, as the doc asks.

USDT-settled contracts (type `direct`) are linear: one contract is `quanto_multiplier` coins
(BTC 0.0001, ETH 0.01, …; no naming convention, so an unlisted contract is never guessed), times
the bundle of a multiplier-prefixed name (1000XXX_USDT). BTC-settled contracts (type `inverse`)
have a USD value per contract that is UNCONFIRMED: listed only from `INVERSE_USD_PER_CONTRACT`
(empty until verified), else left out. The `futures.contract_info` WS channel (2026-08-20) pushes
quanto_multiplier changes; `parse_contract_info` turns a push into Instruments for `Catalogue.update`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import msgspec

from liqwatch.instruments import Catalogue, Instrument, normalize_coin
from liqwatch.numbers import BadNumber, exact_product, positive
from liqwatch.venues.base import BadFrame, Connection, Frame, InstrumentsPage, RestRequest

VENUE = "gate"
CONTRACT_INFO = "futures.contract_info"
# UNCONFIRMED: USD value of one contract of the BTC-settled inverse contracts. Filled only once
# verified (e.g. {"BTC_USD": 1.0}); until then their events have usd None.
INVERSE_USD_PER_CONTRACT: Mapping[str, float] = {}
_SETTLE_KIND = {"usdt": "direct", "btc": "inverse"}
CHANNEL = "futures.public_liquidates"
TICKERS = "futures.tickers"
COMPANION = {"usdt": "BTC_USDT", "btc": "BTC_USD"}  # per connection: its busiest contract's ticker
SUBSCRIBE_TIME_S = 0  # the `time` of subscribe requests (only signed requests are checked)


def subscribe_frame(channel: str, payload: Sequence[str], time_s: int = SUBSCRIBE_TIME_S) -> str:
    request = {"time": time_s, "channel": channel, "event": "subscribe", "payload": list(payload)}
    return msgspec.json.encode(request).decode()


def subscribe_at(channel: str, payload: Sequence[str]) -> Callable[[int], str]:
    """The subscribe request, stamped with the time it is sent (Gate checks it within 60 s)."""
    return lambda now_ms: subscribe_frame(channel, payload, now_ms // 1000)


def connections(urls: Mapping[str, str], _cat: Catalogue) -> list[Connection]:
    return [
        Connection(name, urls[name], [subscribe_at(CHANNEL, ["!all"]), subscribe_at(TICKERS, [COMPANION[name]])])
        for name in ("usdt", "btc")
        if name in urls
    ]


def ping(now_ms: int) -> str:
    return msgspec.json.encode({"time": now_ms // 1000, "channel": "futures.ping"}).decode()


def base_of(contract: str) -> str:
    return contract.split("_", 1)[0]


def derive(symbol: str) -> Instrument | None:
    """Only verified inverse contract values; quanto_multiplier has no naming convention."""
    usd = INVERSE_USD_PER_CONTRACT.get(symbol)
    if usd is None:
        return None
    coin, _ = normalize_coin(base_of(symbol))
    return Instrument(VENUE, symbol, coin, "inverse", usd, "USD", 1.0, "rule")


def instrument(name: str, kind: str | None, quanto_multiplier: str | None, source: str) -> Instrument | None:
    """The catalogue entry of one contract; None when its contract value is not known."""
    base, _, quote = name.partition("_")
    if not base or not quote:
        return None
    coin, bundle = normalize_coin(base)
    if kind == "inverse":
        usd = INVERSE_USD_PER_CONTRACT.get(name)
        return None if usd is None else Instrument(VENUE, name, coin, "inverse", usd, "USD", 1.0, source)
    if kind != "direct" or quanto_multiplier is None:
        return None
    try:
        positive(quanto_multiplier, "quanto_multiplier")
        size = exact_product(quanto_multiplier, bundle)
    except (BadNumber, ValueError, OverflowError):
        return None
    return Instrument(VENUE, name, coin, "linear", size, quote, bundle, source)


class _Contract(msgspec.Struct):
    name: str
    type: str | None = None  # direct (USDT-settled, linear) | inverse (BTC-settled)
    quanto_multiplier: str | None = None  # direct: base-coin units per contract
    in_delisting: bool | None = None


class _ContractInfo(msgspec.Struct):
    contract: str
    quanto_multiplier: str | None = None


class _Push(msgspec.Struct, frozen=True):
    channel: str = ""
    event: str = ""  # all (the contracts on subscribe) | update
    time: int = 0  # s
    time_ms: int = 0
    result: msgspec.Raw = msgspec.Raw()


_decode_push = msgspec.json.Decoder(_Push).decode
_decode_contract_info = msgspec.json.Decoder(list[_ContractInfo] | _ContractInfo).decode


def parse_contract_info(frame: Frame, settle: str = "usdt") -> list[Instrument]:
    """A `futures.contract_info` push on the `settle` connection → Instruments for the catalogue."""
    try:
        push = _decode_push(frame)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"gate: {exc}") from None
    if push.channel != CONTRACT_INFO or push.event not in ("all", "update") or not push.result:
        return []
    try:
        decoded = _decode_contract_info(push.result)
    except msgspec.DecodeError as exc:
        raise BadFrame(f"gate contract_info: {exc}") from None
    infos = decoded if isinstance(decoded, list) else [decoded]
    kind = _SETTLE_KIND.get(settle)
    found = (instrument(info.contract, kind, info.quanto_multiplier, "rest") for info in infos)
    return [inst for inst in found if inst is not None]


def instrument_requests() -> list[RestRequest]:
    return [RestRequest(f"/api/v4/futures/{settle}/contracts") for settle in ("usdt", "btc")]


def parse_instruments(req: RestRequest, body: bytes) -> InstrumentsPage:
    try:
        contracts = msgspec.json.decode(body, type=list[_Contract])
    except msgspec.DecodeError as exc:
        raise BadFrame(f"gate contracts: {exc}") from None
    settle = req.path.rstrip("/").split("/")[-2] if req.path.count("/") >= 2 else ""
    out = []
    for contract in contracts:
        inst = instrument(contract.name, contract.type or _SETTLE_KIND.get(settle), contract.quanto_multiplier, "rest")
        if inst is not None:
            out.append(inst)
    return InstrumentsPage(out)

"""Tardis.dev liquidation CSV rows → the venue's own wire frame → the venue's own parser.

Pure. The public Tardis "liquidations" dataset format (one file per exchange, day and symbol;
`.csv` or `.csv.gz`) has the columns
    exchange, symbol, timestamp, local_timestamp, id, side, price, amount
with timestamps in MICROseconds, `side` in Tardis's normalized meaning ("buy": a SHORT position was
liquidated by a buy order, "sell": a LONG) and `amount` in the venue's native size unit (the same
field Tardis read from the venue's message: Binance `z`, Bybit `v`/`size`, OKX `sz` contracts,
BitMEX `leavesQty` contracts, Deribit `amount`, Bitget `amount` in the quote coin).

Rather than re-deriving sizes, each row is written back as the venue message it came from (the
fields liqwatch's parser reads) and handed to that venue's `parse` with the instrument catalogue:
the USD value, coin, side, coverage and dedup id follow exactly the rules of liqwatch/venues/*.py,
so a Tardis file and a capture journal of the same liquidations agree.

Mapping, per Tardis exchange id:
    binance-futures, binance-delivery → binance_usdm / binance_coinm (routed by the symbol),
        forceOrder {S: BUY|SELL, z: amount, ap = p: price, T: timestamp}
    bybit → bybit: allLiquidation {S: Sell|Buy (position side), v: amount, p: price, T} from
        BYBIT_ALL_LIQUIDATION_SINCE (complete), else the deprecated 1-per-second `liquidation`
        topic (sampled). UNCONFIRMED: the date Tardis switched its recording to allLiquidation.
    okex-swap, okex-futures → okx: liquidation-orders detail {side: buy|sell (order side), posSide: "",
        sz: amount, bkPx: price, ts}
    bitmex → bitmex: liquidation insert {orderID: id, side: Buy|Sell, price, leavesQty: amount};
        BitMEX sends no exchange time, so `timestamp` (= local_timestamp) is the event time.
    deribit → deribit: a trade {trade_id: id, direction: side, liquidation: "T", amount, price}: Tardis
        keeps one side per trade (an "MT" trade appears once), and its side is the liquidated one.
    bitget-futures → bitget: liquidation {side: sell|buy (position side), amount, price, ts}
    cryptofacilities → kraken_futures: a trade {type: liquidation, uid: id, side (taker = the
        liquidation order), qty: amount (contracts), price, time}
    bitfinex-derivatives → bitfinex: a `liq:global` trigger row [pos, POS_ID: id, MTS, …, t+SYMBOL,
        ±AMOUNT (buy: a short, negative), …, IS_MATCH 0, …, price]. Tardis's price is the row's
        BASE_PRICE, not the liquidation price liqwatch values live events at: the USD of a Tardis row
        is at the position's entry price (the id is the same as live).
    huobi-dm, huobi-dm-swap, huobi-dm-linear-swap → htx: a notify row {contract_code: symbol,
        direction: side (order side), volume: amount (contracts), price, created_at}. huobi-dm symbols
        are Tardis aliases (BTC_CQ), not contract codes: their ids differ from a journal's.
Other exchanges are not venues liqwatch knows: their rows are skipped and counted.
"""

from __future__ import annotations

import re

import msgspec

from liqwatch.venues.base import Frame

COLUMNS = ("exchange", "symbol", "timestamp", "local_timestamp", "id", "side", "price", "amount")
HEADER = ",".join(COLUMNS)

VENUES = {
    "binance-futures": "binance_usdm",
    "binance-delivery": "binance_usdm",  # the parser routes COIN-M symbols (BTCUSD_PERP) to binance_coinm
    "bybit": "bybit",
    "okex-swap": "okx",
    "okex-futures": "okx",
    "bitmex": "bitmex",
    "deribit": "deribit",
    "bitget-futures": "bitget",
    "cryptofacilities": "kraken_futures",
    "bitfinex-derivatives": "bitfinex",
    "huobi-dm": "htx",
    "huobi-dm-swap": "htx",
    "huobi-dm-linear-swap": "htx",
}

BYBIT_ALL_LIQUIDATION_SINCE = 1_740_441_600_000  # 2025-02-25T00:00:00Z (UNCONFIRMED, see module doc)

_NUMBER = re.compile(r"^[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$")


class BadRow(ValueError):
    """A row that is not a valid Tardis liquidation row."""


class Row(msgspec.Struct, frozen=True):
    exchange: str
    symbol: str
    timestamp: int  # µs
    local_timestamp: int  # µs
    id: str
    side: str  # "buy" (short liquidated) | "sell" (long liquidated)
    price: str
    amount: str

    @property
    def ts_ms(self) -> int:
        return self.timestamp // 1000

    @property
    def local_ms(self) -> int:
        return self.local_timestamp // 1000


def is_header(line: str) -> bool:
    return line.strip().lstrip("\ufeff").replace(" ", "") == HEADER


def row_of(cells: list[str], stripped: bool = False) -> Row:
    """A Row from the eight cells of a CSV line (`stripped`: the caller knows no cell has white
    space around it); BadRow when a cell is malformed."""
    if len(cells) != len(COLUMNS):
        raise BadRow(f"expected {len(COLUMNS)} columns, got {len(cells)}")
    # A backfill reads millions of rows: the checks below are the cheap string methods where they
    # say the same as a pattern (ASCII digits, at most 19 of them; a plain decimal number)
    exchange, symbol, timestamp, local_timestamp, id_, side, price, amount = (
        cells if stripped else [c.strip() for c in cells]
    )
    if not symbol:
        raise BadRow("empty symbol")
    if side != "buy" and side != "sell":
        raise BadRow(f"side must be buy or sell, not {side!r}")
    if not (timestamp.isdigit() and timestamp.isascii() and len(timestamp) <= 19):
        raise BadRow(f"timestamp is not microseconds: {timestamp!r}")
    if not (local_timestamp.isdigit() and local_timestamp.isascii() and len(local_timestamp) <= 19):
        raise BadRow(f"local_timestamp is not microseconds: {local_timestamp!r}")
    if not _is_number(price):
        raise BadRow(f"price is not a positive decimal: {price!r}")
    if not _is_number(amount):
        raise BadRow(f"amount is not a positive decimal: {amount!r}")
    return Row(exchange, symbol, int(timestamp), int(local_timestamp), id_, side, price, amount)


def _is_number(text: str) -> bool:
    """_NUMBER.match(text), answered by string methods for the usual plain decimal."""
    head, point, tail = text.partition(".")
    if text.isascii() and head.isdigit() and (tail.isdigit() or not point):
        return True
    return _NUMBER.match(text) is not None


def venue_of(row: Row) -> str | None:
    return VENUES.get(row.exchange)


def _json(obj: object) -> str:
    return msgspec.json.encode(obj).decode()


def _quoted(text: str) -> str:
    """_json(text) for a text; a plain symbol (ASCII letters, digits, `_`, `-`) needs no escape."""
    if text.isascii() and text.replace("_", "").replace("-", "").isalnum():
        return f'"{text}"'
    return _json(text)


def frame_of(row: Row) -> tuple[str, Frame, int]:
    """(venue id, the venue frame, the receive time in ms) for a row; BadRow for other exchanges."""
    venue = venue_of(row)
    if venue is None:
        raise BadRow(f"exchange {row.exchange!r} is not a venue liqwatch reads")
    short = row.side == "buy"  # Tardis: a buy order closed a short position
    ts = row.ts_ms
    recv = row.local_ms
    if venue == "binance_usdm":  # most rows of a backfill: written out directly (price and amount are digits)
        order = f'{{"s":{_quoted(row.symbol)},"S":"{"BUY" if short else "SELL"}","p":"{row.price}","ap":"{row.price}",'
        order += f'"X":"FILLED","z":"{row.amount}","T":{ts}}}'
        return venue, f'{{"e":"forceOrder","E":{ts},"o":{order}}}', recv
    if venue == "bybit":
        side = "Sell" if short else "Buy"  # Bybit names the POSITION
        if ts >= BYBIT_ALL_LIQUIDATION_SINCE:
            entry = {"T": ts, "s": row.symbol, "S": side, "v": row.amount, "p": row.price}
            return venue, _json({"topic": f"allLiquidation.{row.symbol}", "ts": ts, "data": [entry]}), recv
        old = {"updatedTime": ts, "symbol": row.symbol, "side": side, "size": row.amount, "price": row.price}
        return venue, _json({"topic": f"liquidation.{row.symbol}", "ts": ts, "data": old}), recv
    if venue == "okx":
        detail = {"side": row.side, "posSide": "", "sz": row.amount, "bkPx": row.price, "ts": str(ts)}
        entry = {"instId": row.symbol, "details": [detail]}
        return venue, _json({"arg": {"channel": "liquidation-orders"}, "data": [entry]}), recv
    if venue == "bitmex":
        order_id = row.id or f"tardis-{row.timestamp}-{row.side}-{row.amount}-{row.price}"
        data = (
            f'[{{"orderID":{_json(order_id)},"symbol":{_json(row.symbol)},"side":"{"Buy" if short else "Sell"}",'
            f'"price":{row.price},"leavesQty":{row.amount}}}]'
        )
        return venue, f'{{"table":"liquidation","action":"insert","data":{data}}}', ts
    if venue == "deribit":
        trade_id = row.id or f"tardis-{row.timestamp}-{row.side}-{row.amount}-{row.price}"
        trade = (
            f'{{"trade_id":{_json(trade_id)},"instrument_name":{_json(row.symbol)},"timestamp":{ts},'
            f'"price":{row.price},"amount":{row.amount},"direction":"{row.side}","liquidation":"T"}}'
        )
        return venue, f'{{"method":"subscription","params":{{"channel":"trades.tardis","data":[{trade}]}}}}', recv
    if venue == "kraken_futures":
        trade = f'{{"feed":"trade","product_id":{_json(row.symbol)},"uid":{_json(row.id)},"side":"{row.side}",'
        trade += f'"type":"liquidation","time":{ts},"qty":{row.amount},"price":{row.price}}}'
        return venue, trade, recv
    if venue == "bitfinex":
        pos_id = row.id if row.id.isascii() and row.id.isdigit() and len(row.id) <= 19 else "0"
        amount = f"-{row.amount}" if short else row.amount
        symbol = _json(row.symbol if row.symbol.startswith("t") else f"t{row.symbol}")
        liq = f'["pos",{pos_id},{ts},null,{symbol},{amount},{row.price},null,0,1,null,{row.price}]'
        return venue, f"[0,[{liq}]]", recv
    if venue == "htx":
        notice = f'{{"contract_code":{_json(row.symbol)},"direction":"{row.side}","offset":"close",'
        notice += f'"volume":{row.amount},"price":{row.price},"created_at":{ts}}}'
        topic = _json(f"public.{row.symbol}.liquidation_orders")
        return venue, f'{{"op":"notify","topic":{topic},"ts":{ts},"data":[{notice}]}}', recv
    # bitget
    entry = {"symbol": row.symbol, "side": "sell" if short else "buy", "price": row.price}
    entry |= {"amount": row.amount, "ts": str(ts)}
    return venue, _json({"action": "update", "arg": {"topic": "liquidation"}, "data": [entry]}), recv

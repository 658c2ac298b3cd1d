"""Generated liquidation-levels and watched-wallet data for the web tests, written into a real store.

The levels tape (liqwatch.sim.levels_tape: 5-minute candles, USD open interest, liquidations of known
positions) is shifted to end at a chosen hour; the stored hourly candles are its 5-minute bars merged.
The wallets are the simulator's generated Hyperliquid wallets, answered by its /info handlers and read
back through liqwatch's own parsers, exactly as a poll would; a second poll closes and flips positions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import msgspec

from liqwatch.model import Candle
from liqwatch.sim.levels_tape import LevelsTape, generate
from liqwatch.sim.rest import hyperliquid as hl
from liqwatch.sim.tape import PriceBook
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.wallets.model import WalletPoll, WalletSet, WalletSpec
from liqwatch.wallets.parse import parse_clearinghouse, parse_user_fills

HOUR = 3_600_000
DAY = 24 * HOUR
RULE = "leaderboard: allTime pnl >= 100000 (generated test set)"


def hourly(candles: Sequence[Candle]) -> list[Candle]:
    """5-minute bars merged into hourly bars (the interval the levels queries read)."""
    groups: dict[int, list[Candle]] = {}
    for c in candles:
        groups.setdefault(c.open_ts // HOUR * HOUR, []).append(c)
    return [
        Candle(
            bars[0].venue,
            bars[0].symbol,
            bars[0].coin,
            HOUR,
            start,
            bars[0].open,
            max(b.high for b in bars),
            min(b.low for b in bars),
            bars[-1].close,
        )
        for start, bars in sorted(groups.items())
        if len(bars) == HOUR // bars[0].interval_ms
    ]


def levels_tape(end_ms: int, days: float = 4.0, seed: int = 1) -> LevelsTape:
    """The seeded tape of BTC, ending at the hour at or before `end_ms`."""
    end = end_ms // HOUR * HOUR
    return generate(seed, days=days, start_ms=end - int(days * DAY))


def wallet_set(seed: int = 7) -> WalletSet:
    wallets = hl.generate_wallets(seed)
    specs = tuple(
        WalletSpec(w.address, w.name or f"wallet {i + 1}", "money_printer" if w.all_time_pnl >= 1e6 else "smart_money")
        for i, w in enumerate(wallets)
    )
    return WalletSet(specs, RULE)


def wallet_polls(polls_at: Sequence[int], btc_mark: float, seed: int = 7) -> list[WalletPoll]:
    """Every generated wallet polled at each time; from the second poll on, the first wallet with two
    positions has closed one and the next such wallet has flipped its first."""
    watched = wallet_set(seed)
    specs = watched.by_address()
    book = PriceBook(polls_at[0], seed)
    book.record("BTC", polls_at[0], btc_mark)
    marks = hl.marks(book)
    wallets = hl.generate_wallets(seed)
    out: list[WalletPoll] = []
    for k, ts in enumerate(polls_at):
        changed = list(wallets)
        if k > 0:
            pairs = [i for i, w in enumerate(wallets) if len(w.positions) >= 2]
            closer, flipper = pairs[0], pairs[1]
            changed[closer] = dataclasses.replace(wallets[closer], positions=wallets[closer].positions[1:])
            first, *rest = wallets[flipper].positions
            flipped = dataclasses.replace(first, szi=-first.szi)
            changed[flipper] = dataclasses.replace(wallets[flipper], positions=(flipped, *rest))
        for w in changed:
            body = msgspec.json.encode(hl.clearinghouse_state(w, book, ts))
            out.append(parse_clearinghouse(body, specs[w.address], ts, marks, watched.hash))
    return out


def fill_store(store: DuckDBStore, end_ms: int, *, days: float = 4.0) -> LevelsTape:
    """Write the tape (5-minute and hourly candles, open interest, liquidations) and two wallet polls
    (an hour apart, the last at `end_ms`) with the wallets' fills; returns the tape."""
    tape = levels_tape(end_ms, days)
    store.write_candles(tape.candles)
    store.write_candles(hourly(tape.candles))
    store.write_stats(tape.open_interest)
    store.write_events(tape.liquidations)
    write_wallets(store, end_ms, tape.candles[-1].close)
    return tape


def write_wallets(store: DuckDBStore, end_ms: int, btc_mark: float) -> None:
    watched = wallet_set()
    store.write_wallet_set(watched, end_ms - HOUR)
    store.write_positions(wallet_polls([end_ms - HOUR, end_ms], btc_mark))
    fills = [
        f
        for w in hl.generate_wallets(7)
        for f in parse_user_fills(msgspec.json.encode(hl.user_fills(w, end_ms)), w.address)
    ]
    store.write_wallet_fills(fills)

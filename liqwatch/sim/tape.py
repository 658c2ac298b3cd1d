"""Tapes: what the simulated venues publish, and when. Pure (no sockets, no clocks).

A tape is a time-ordered iterator of `Push`es: one frame a venue endpoint publishes at exchange time
`at` (ms since the epoch) on one topic, with the truth liquidations it carries. Two sources:

- `scenario_tape(scenario, seed, venues, start_ms)`: a seeded market. Every second of tape time the
  coins' prices move (BTC drives, the others follow with their own beta and noise), liquidations
  arrive as a self-exciting (Hawkes) process whose base rate (raised by the last minute's price
  move), drift, size scale and side bias come from the market's regime (regimes.py: the scenario's
  episode first, then calm stretches and episodes at random times); sizes are heavy-tailed (a
  lognormal body, a Pareto tail: many small, rare huge); the side follows the last minute's price
  move (a fall liquidates longs). Each venue then publishes them its own way (see FRAMERS): Binance
  at most the latest per symbol per second, Bybit 500 ms batches per symbol, OKX 250 ms batches per
  instType, BitMEX an insert then a delete per order, Deribit 100 ms trade batches per currency (a
  few trades liquidate both sides: "MT"), Bitget the largest long and short per symbol per second,
  Gate 1 s aggregates per contract (≤ 20 a push). Endless; the same (scenario, seed, venues,
  start_ms) always gives the same tape.
- replayed capture journals: `replay_push` turns one recorded data frame into a Push (the server
  reads the files: `server.replay_tape`).

Prices are recorded in a `PriceBook` as the tape is generated, for the companion streams and the
REST context endpoints (klines, mark prices, open interest).
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

import msgspec

from liqwatch.model import LONG, SHORT, Side
from liqwatch.sim import encode
from liqwatch.sim import markets as mk
from liqwatch.sim.markets import Market
from liqwatch.sim.model import Liq, Push, truth
from liqwatch.sim.regimes import PHASES, SCENARIOS, Phase, regime_seconds

# ── scenarios ──────────────────────────────────────────────────────────────────────────────────
# The market's regimes (calm, squeezes, cascades, crashes at random times) are liqwatch.sim.regimes.

HAWKES_DECAY_S = 8.0  # excitation half-life scale (e-folding seconds)
CAP_USD = 150e6
# Prices drift back toward where the tape started (half-life 40 minutes): episodes keep coming for as
# long as the tape is read, and without this each would add its rally or slide to the last (a squeeze
# tape read for 9 hours once took BTC up 122 %); with it BTC stays within about 10 % of its start on
# a squeeze or cascade day and about 20 % in a crash.
REVERSION_PER_S = math.log(2) / 2_400
# How big a coin's and a venue's largest liquidations get: (scale of the heavy tail, cap in USD).
# BTC's book takes $100M+ orders; a meme coin's or a small venue's does not (no $60M PEPE order on Gate).
COIN_SIZE: dict[str, tuple[float, float]] = {
    "BTC": (1.0, 150e6),
    "ETH": (0.8, 80e6),
    "SOL": (0.5, 25e6),
    "XRP": (0.45, 15e6),
    "DOGE": (0.4, 12e6),
    "BNB": (0.35, 10e6),
    "SUI": (0.3, 8e6),
    "LINK": (0.3, 6e6),
    "PEPE": (0.25, 6e6),
    "SHIB": (0.2, 4e6),
}
VENUE_SIZE: dict[str, float] = {"binance_usdm": 1.0, "bybit": 0.9, "okx": 0.8, "binance_coinm": 0.7}
SMALL_VENUE_SIZE = 0.5
MAX_PER_SECOND = 2_000  # a safety cap on arrivals (the Hawkes process stays far below it)


def notional(rng: random.Random, scale: float, tail: float = 1.0, cap: float = CAP_USD) -> float:
    """Heavy-tailed USD notional: lognormal body (median ~$1.8k × scale), 2% Pareto tail (α 1.3)
    scaled by `tail` (the coin's and venue's depth), at most `cap`."""
    if rng.random() < 0.02:
        usd = 30_000.0 * scale * tail * rng.paretovariate(1.3)
    else:
        usd = math.exp(rng.gauss(math.log(1_800.0 * scale), 1.4))
    return min(max(usd, 5.0), cap)


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# ── prices ─────────────────────────────────────────────────────────────────────────────────────

MINUTE = 60_000
HOUR_MINUTES = 60
HISTORY_MINUTES = 1_500  # synthetic 1-minute bars before the tape starts (klines)…
HISTORY_HOURS = 60 * 24  # …and hourly bars before those (60 days, for daily candles)

Bar = tuple[int, float, float, float, float]  # open time ms, open, high, low, close
Candle = tuple[int, float, float, float, float, float]  # … and volume (coins)


class PriceBook:
    """Per-coin prices: the latest, and OHLC bars — 1-minute bars from a seeded history before
    `start_ms` (hourly further back) and from the tape as it is generated."""

    def __init__(self, start_ms: int, seed: int = 1) -> None:
        self.start_ms = start_ms
        self.seed = seed
        self._last = {coin: base for coin, (base, _, _) in mk.COINS.items()}
        # minute index → [open, high, low, close, minutes covered]
        self._bars: dict[str, dict[int, list[float]]] = defaultdict(dict)
        self._history: set[str] = set()

    def record(self, coin: str, t_ms: int, price: float) -> None:
        self._last[coin] = price
        minute = t_ms // MINUTE
        bars = self._bars[coin]
        bar = bars.get(minute)
        if bar is None:
            bars[minute] = [price, price, price, price, 1]
        else:
            if price > bar[1]:
                bar[1] = price
            elif price < bar[2]:
                bar[2] = price
            bar[3] = price

    def last(self, coin: str) -> float:
        return self._last.get(coin, 1.0)

    def _fill_history(self, coin: str) -> None:
        if coin in self._history:
            return
        self._history.add(coin)
        rng = random.Random(f"liqwatch-sim/history/{self.seed}/{coin}")
        base, beta, idio = mk.COINS.get(coin, (1.0, 1.0, 1.0))
        sigma = 7e-4 * math.hypot(beta, idio)  # per minute (BTC: ~2.7% a day)
        bars = self._bars[coin]
        close = base
        minute = self.start_ms // MINUTE
        for k in range(HISTORY_MINUTES + HISTORY_HOURS):
            span = 1 if k < HISTORY_MINUTES else HOUR_MINUTES
            if span == HOUR_MINUTES and minute % HOUR_MINUTES:
                span = minute % HOUR_MINUTES  # align the hourly bars on the hour
            minute -= span
            spread = sigma * math.sqrt(span)
            open_ = close * math.exp(rng.gauss(0.0, spread))
            high = max(open_, close) * (1 + abs(rng.gauss(0.0, spread / 2)))
            low = min(open_, close) * (1 - abs(rng.gauss(0.0, spread / 2)))
            bars.setdefault(minute, [open_, high, low, close, span])
            close = open_

    def bars(self, coin: str, start_ms: int, end_ms: int) -> list[Bar]:
        """Bars (open time ms, o, h, l, c) with open time in [start_ms, end_ms], oldest first."""
        return [(b[0], b[1], b[2], b[3], b[4]) for b in self._spans(coin, start_ms, end_ms)]

    def _spans(self, coin: str, start_ms: int, end_ms: int) -> list[tuple[int, float, float, float, float, float]]:
        self._fill_history(coin)
        bars = self._bars.get(coin, {})
        lo, hi = start_ms // MINUTE, end_ms // MINUTE
        if hi - lo > len(bars):
            keys = sorted(k for k in bars if lo <= k <= hi)
        else:
            keys = [k for k in range(lo, hi + 1) if k in bars]
        return [(k * MINUTE, bars[k][0], bars[k][1], bars[k][2], bars[k][3], bars[k][4]) for k in keys]

    def candles(
        self, coin: str, interval_ms: int, end_ms: int, limit: int, start_ms: int | None = None
    ) -> list[Candle]:
        """OHLC + synthetic volume (coins) per `interval_ms` with open time in [start, end], oldest first.

        Without `start_ms`: the last `limit` intervals up to `end_ms`.
        """
        interval_ms = max(MINUTE, interval_ms - interval_ms % MINUTE)
        first = start_ms if start_ms is not None else end_ms - interval_ms * limit
        base = mk.COINS.get(coin, (1.0, 1.0, 1.0))[0]
        out: list[Candle] = []
        current = -1
        group: list[tuple[int, float, float, float, float, float]] = []
        for span in self._spans(coin, first - first % interval_ms, end_ms):
            slot = span[0] - span[0] % interval_ms
            if slot != current and group:
                out.append(_merge(current, group, base))
                group = []
            current = slot
            group.append(span)
        if group:
            out.append(_merge(current, group, base))
        return out


def _merge(slot: int, group: list[tuple[int, float, float, float, float, float]], base: float) -> Candle:
    minutes = sum(bar[5] for bar in group)
    volume = 3e6 / base * minutes * (1 + (slot // MINUTE) % 7 / 7)  # about $3M a minute
    return (slot, group[0][1], max(b[2] for b in group), min(b[3] for b in group), group[-1][4], volume)


# ── generation ─────────────────────────────────────────────────────────────────────────────────


@dataclass
class _State:
    rng: random.Random
    book: PriceBook
    log_price: dict[str, float]
    returns: deque[float]  # BTC per-second log returns, last 60 s
    excitation: float = 0.0
    trade_id: int = 312_000_000
    btc_moved: float = 0.0  # BTC's log return since the other coins last moved
    _weights: tuple[list[str], list[float], dict[str, list[float]]] | None = None

    def weights(self, universe: dict[str, list[Market]]) -> tuple[list[str], list[float], dict[str, list[float]]]:
        """The venues, their cumulative shares, and each venue's markets' cumulative weights (once)."""
        if self._weights is None:
            venues = list(universe)
            self._weights = (
                venues,
                list(itertools.accumulate(mk.VENUE_SHARE[v] for v in venues)),
                {v: list(itertools.accumulate(m.weight for m in universe[v])) for v in venues},
            )
        return self._weights


_LOG_BASES = [(coin, math.log(base), beta, idio) for coin, (base, beta, idio) in mk.COINS.items() if coin != "BTC"]
_LOG_BTC = math.log(mk.COINS["BTC"][0])
ALT_STEP_S = 5  # the other coins move every 5 tape seconds (BTC every second): a day takes a fifth of the work


def _advance_prices(state: _State, phase: Phase, t0: int, vol_factor: float = 1.0) -> None:
    gauss = state.rng.gauss
    vol = phase.vol * vol_factor
    log_price, record = state.log_price, state.book.record
    r_btc = phase.drift / phase.seconds + vol * gauss(0.0, 1.0)
    state.returns.append(r_btc)
    log_price["BTC"] += r_btc - REVERSION_PER_S * (log_price["BTC"] - _LOG_BTC)
    record("BTC", t0, math.exp(log_price["BTC"]))
    state.btc_moved += r_btc
    if t0 // 1000 % ALT_STEP_S:
        return
    moved, state.btc_moved = state.btc_moved, 0.0
    spread = vol * ALT_STEP_S**0.5
    for coin, log_base, beta, idio in _LOG_BASES:
        r = beta * moved + idio * spread * gauss(0.0, 1.0)
        log_price[coin] += r - REVERSION_PER_S * ALT_STEP_S * (log_price[coin] - log_base)
        record(coin, t0, math.exp(log_price[coin]))


def pressure(ret60: float, vol: float) -> float:
    """How much the last minute's move raises the arrival rate: 1 on average for a random walk of
    per-second σ `vol`, more the further the price ran (stops and liquidations cluster there), ≤ 3."""
    moved = ret60 / (vol * 7.746)  # σ of a minute: vol × √60
    return min(3.0, 0.5 + 0.5 * moved * moved)


def _new_liquidations(
    state: _State, phase: Phase, t0: int, universe: dict[str, list[Market]], vol_factor: float = 1.0
) -> list[Liq]:
    rng = state.rng
    decay = math.exp(-1.0 / HAWKES_DECAY_S)
    ret60 = sum(state.returns)
    lam = phase.rate * pressure(ret60, phase.vol * vol_factor) + state.excitation
    n = min(poisson(rng, lam), MAX_PER_SECOND)
    state.excitation = state.excitation * decay + phase.excite * (1 - decay) * n
    p_long = min(0.97, max(0.03, 0.5 + phase.long_bias - 25.0 * ret60))
    venues, venue_weights, market_weights = state.weights(universe)
    taken: set[tuple[str, str, int]] = set()  # (venue, symbol, ms): one liquidation each, stable ids
    out: list[Liq] = []
    random_ = rng.random
    for _ in range(n):
        # what rng.choices(population, cum_weights=…) draws, without its per-call overhead
        venue = venues[bisect.bisect(venue_weights, random_() * venue_weights[-1])]
        cum = market_weights[venue]
        m = universe[venue][bisect.bisect(cum, random_() * cum[-1])]
        side: Side = LONG if rng.random() < p_long else SHORT
        tail, cap = COIN_SIZE.get(m.coin, (0.3, 5e6))
        usd = notional(rng, phase.size, tail * VENUE_SIZE.get(m.venue, SMALL_VENUE_SIZE), cap)
        slip = rng.uniform(0.0005, 0.008)  # the bankruptcy price sits beyond the mark: below for longs
        coin_price = state.book.last(m.coin) * (1 - slip if side == LONG else 1 + slip)
        price = mk.price_text(m, coin_price)
        size = mk.size_text(m, usd, price, state.book.last("BTC"))
        ts = t0 + rng.randrange(1000)
        while (m.venue, m.symbol, ts) in taken:
            ts = t0 + rng.randrange(1000)
        taken.add((m.venue, m.symbol, ts))
        ref = ""
        if m.venue == "bitmex":
            ref = "-".join(f"{rng.getrandbits(4 * d):0{d}x}" for d in (8, 4, 4, 4, 12))
        elif m.venue in ("deribit", "hyperliquid"):
            state.trade_id += rng.randint(1, 40)
            ref = str(state.trade_id)
        elif m.venue == "dydx":
            ref = f"{rng.getrandbits(96):024x}"  # the indexer's fill id
        elif m.venue == "lighter":
            state.trade_id += rng.randint(1, 40)
            ref = str(state.trade_id)
        elif m.venue == "kraken_futures":  # the trade's uid
            ref = "-".join(f"{rng.getrandbits(4 * d):0{d}x}" for d in (8, 4, 4, 4, 12))
        elif m.venue == "bitfinex":  # the position id
            ref = str(150_000_000 + rng.getrandbits(26))
        variant = rng.getrandbits(16)
        liq = truth(m, side, price, size, ts, ref, variant)
        out.append(liq)
        if m.venue == "deribit" and rng.random() < 0.04:  # "MT": maker and taker both liquidated
            out.append(liq._replace(side=SHORT if side == LONG else LONG))
    out.sort(key=lambda liq: liq.ts)
    return out


Framer = Callable[[list[Liq], int, random.Random, Sequence[str]], list[Push]]


K = TypeVar("K")


def _by(liqs: Iterable[Liq], key: Callable[[Liq], K]) -> dict[K, list[Liq]]:
    groups: dict[K, list[Liq]] = defaultdict(list)
    for liq in liqs:
        groups[key(liq)].append(liq)
    return groups


def frame_binance(liqs: list[Liq], t0: int, rng: random.Random, endpoints: Sequence[str]) -> list[Push]:
    """At most one liquidation per symbol per second is pushed: the latest. Both hosts push both universes."""
    out: list[Push] = []
    for group in _by(liqs, lambda liq: liq.symbol).values():
        latest = max(group, key=lambda liq: liq.ts)
        at = t0 + 1000 + rng.randrange(40)
        text = encode.binance_payload(latest, at)
        out.extend(Push(at, venue, "market", "!forceOrder@arr", text, (latest,)) for venue in endpoints)
    return out


def frame_aster(liqs: list[Liq], t0: int, rng: random.Random, endpoints: Sequence[str]) -> list[Push]:
    """Binance's rule on Aster's host: the latest liquidation per symbol per second."""
    out: list[Push] = []
    for group in _by(liqs, lambda liq: liq.symbol).values():
        latest = max(group, key=lambda liq: liq.ts)
        at = t0 + 1000 + rng.randrange(40)
        out.append(Push(at, "aster", "market", "!forceOrder@arr", encode.binance_payload(latest, at), (latest,)))
    return out


def frame_bybit(liqs: list[Liq], t0: int, rng: random.Random, endpoints: Sequence[str]) -> list[Push]:
    out: list[Push] = []
    for (symbol, half), group in _by(liqs, lambda liq: (liq.symbol, (liq.ts - t0) // 500)).items():
        at = t0 + 500 * (half + 1) + rng.randrange(30)
        m = mk.BY_SYMBOL[("bybit", symbol)]
        out.append(Push(at, "bybit", m.conn, f"allLiquidation.{symbol}", encode.bybit_frame(group, at), tuple(group)))
    return out


def frame_okx(liqs: list[Liq], t0: int, rng: random.Random, endpoints: Sequence[str]) -> list[Push]:
    out: list[Push] = []
    for (group_name, quarter), group in _by(
        liqs, lambda liq: (mk.BY_SYMBOL[("okx", liq.symbol)].group, (liq.ts - t0) // 250)
    ).items():
        at = t0 + 250 * (quarter + 1) + rng.randrange(30)
        topic = f"liquidation-orders:{group_name}"
        out.append(Push(at, "okx", "public", topic, encode.okx_frame(group, group_name), tuple(group)))
    return out


def frame_bitmex(liqs: list[Liq], t0: int, rng: random.Random, endpoints: Sequence[str]) -> list[Push]:
    out: list[Push] = []
    for liq in liqs:
        topic = f"liquidation:{liq.symbol}"
        insert = liq.ts + 5 + rng.randrange(60)
        out.append(Push(insert, "bitmex", "realtime", topic, encode.bitmex_insert([liq]), (liq,), "insert", liq.ref))
        if rng.random() < 0.1 and Decimal(liq.size) > 1:
            left = encode.bitmex_partial_fill(liq)
            out.append(
                Push(insert + 200 + rng.randrange(600), "bitmex", "realtime", topic, left, (), "update", liq.ref)
            )
        delete = insert + 1500 + rng.randrange(3500)
        out.append(Push(delete, "bitmex", "realtime", topic, encode.bitmex_delete(liq), (), "delete", liq.ref))
    return out


def frame_deribit(liqs: list[Liq], t0: int, rng: random.Random, endpoints: Sequence[str]) -> list[Push]:
    out: list[Push] = []
    for (currency, tenth), group in _by(
        liqs, lambda liq: (mk.BY_SYMBOL[("deribit", liq.symbol)].group, (liq.ts - t0) // 100)
    ).items():
        at = t0 + 100 * (tenth + 1) + rng.randrange(20)
        channel = f"trades.future.{currency}"
        out.append(Push(at, "deribit", "ws", channel, encode.deribit_frame(group, f"{channel}.100ms"), tuple(group)))
    return out


def frame_bitget(liqs: list[Liq], t0: int, rng: random.Random, endpoints: Sequence[str]) -> list[Push]:
    """Once a second per instType: the largest long and the largest short liquidation of each symbol."""
    out: list[Push] = []
    for inst_type, group in _by(liqs, lambda liq: mk.BY_SYMBOL[("bitget", liq.symbol)].group).items():
        kept = [
            max(side_group, key=lambda liq: Decimal(liq.size))
            for side_group in _by(group, lambda liq: (liq.symbol, liq.side)).values()
        ]
        kept.sort(key=lambda liq: liq.ts)
        at = t0 + 1000 + rng.randrange(50)
        topic = f"liquidation:{inst_type}"
        out.append(Push(at, "bitget", "public", topic, encode.bitget_frame(kept, str(inst_type), at), tuple(kept)))
    return out


GATE_BATCH = 20


def frame_gate(liqs: list[Liq], t0: int, rng: random.Random, endpoints: Sequence[str]) -> list[Push]:
    """Per contract: a 1 s aggregate, or a push as soon as 20 are cached."""
    out: list[Push] = []
    for contract, group in _by(liqs, lambda liq: liq.symbol).items():
        m = mk.BY_SYMBOL[("gate", str(contract))]
        for i in range(0, len(group), GATE_BATCH):
            chunk = group[i : i + GATE_BATCH]
            full = len(chunk) == GATE_BATCH
            at = (chunk[-1].ts if full else t0 + 1000) + 1 + rng.randrange(30)
            topic = f"futures.public_liquidates:{contract}"
            out.append(Push(at, "gate", m.conn, topic, encode.gate_frame(chunk, at), tuple(chunk)))
    return out


def frame_dydx(liqs: list[Liq], t0: int, rng: random.Random, endpoints: Sequence[str]) -> list[Push]:
    """Per market, one batch a block (~1 s): the liquidation fills beside an ordinary fill, now and then ADL."""
    out: list[Push] = []
    for ticker, group in _by(liqs, lambda liq: liq.symbol).items():
        at = t0 + 1000 + rng.randrange(100)
        first = group[0]
        trades = [encode.dydx_trade(liq) for liq in group]
        trades.append(encode.dydx_trade(first._replace(ref=f"{rng.getrandbits(96):024x}"), "LIMIT"))
        if rng.random() < 0.2:  # auto-deleveraging: a forced close that is not a liquidation
            trades.append(encode.dydx_trade(first._replace(ref=f"{rng.getrandbits(96):024x}"), "DELEVERAGED"))
        text = encode.dydx_batch(str(ticker), trades, at)
        out.append(Push(at, "dydx", "ws", f"v4_trades:{ticker}", text, tuple(group)))
    return out


def frame_lighter(liqs: list[Liq], t0: int, rng: random.Random, endpoints: Sequence[str]) -> list[Push]:
    """Per market every 200 ms: `liquidation_trades` beside the ordinary `trades`."""
    out: list[Push] = []
    for (market, fifth), group in _by(liqs, lambda liq: (liq.symbol, (liq.ts - t0) // 200)).items():
        at = t0 + 200 * (fifth + 1) + rng.randrange(20)
        first = group[0]
        plain = [encode.lighter_trade(first._replace(ref=str(int(first.ref) * 10 + 1)), "trade")]
        text = encode.lighter_update(str(market), plain, [encode.lighter_trade(liq) for liq in group], at)
        out.append(Push(at, "lighter", "stream", f"trade/{market}", text, tuple(group)))
    return out


def frame_kraken_futures(liqs: list[Liq], t0: int, rng: random.Random, endpoints: Sequence[str]) -> list[Push]:
    """One `trade` frame per liquidation trade, right after it."""
    out: list[Push] = []
    for liq in liqs:
        at = liq.ts + 1 + rng.randrange(20)
        text = encode.kraken_frame(liq, 1_000_000 + (liq.ts - t0))
        out.append(Push(at, "kraken_futures", "ws", f"trade:{liq.symbol}", text, (liq,)))
    return out


def frame_bitfinex(liqs: list[Liq], t0: int, rng: random.Random, endpoints: Sequence[str]) -> list[Push]:
    """One `liq:global` update per trigger; some liquidations then match in parts (IS_MATCH 1 rows,
    sent in the same update or a later one), which are not liquidations of their own."""
    out: list[Push] = []
    for liq in liqs:
        at = liq.ts + 5 + rng.randrange(50)
        rows = [encode.bitfinex_row(liq)]
        if rng.random() < 0.3:
            half = mk.text((Decimal(liq.size) / 2).normalize())
            matches = [encode.bitfinex_row(liq, 1, half, 10 + i) for i in range(2)]
            if rng.random() < 0.5:
                rows.extend(matches)
            else:
                later = at + 100 + rng.randrange(400)
                out.append(Push(later, "bitfinex", "public", "status:liq:global", encode.bitfinex_frame(matches)))
        out.append(Push(at, "bitfinex", "public", "status:liq:global", encode.bitfinex_frame(rows), (liq,)))
    return out


def frame_htx(liqs: list[Liq], t0: int, rng: random.Random, endpoints: Sequence[str]) -> list[Push]:
    """Per contract, the orders of one second in one notify frame."""
    out: list[Push] = []
    for contract, group in _by(liqs, lambda liq: liq.symbol).items():
        m = mk.BY_SYMBOL[("htx", str(contract))]
        at = group[-1].ts + 5 + rng.randrange(40)
        out.append(Push(at, "htx", m.conn, encode.htx_topic(group[0]), encode.htx_frame(group, at), tuple(group)))
    return out


def frame_hyperliquid(liqs: list[Liq], t0: int, rng: random.Random, endpoints: Sequence[str]) -> list[Push]:
    """A node's fills: one `node_fills_by_block` line per ~0.1 s block holding liquidations, both legs each."""
    out: list[Push] = []
    for tenth, group in _by(liqs, lambda liq: (liq.ts - t0) // 100).items():
        at = t0 + 100 * (tenth + 1)
        block = at // 100  # a block every 0.1 s of tape time
        text = encode.hyperliquid_block(group, at, block)
        out.append(Push(at, "hyperliquid", "node", "node_fills", text, tuple(group)))
    return out


FRAMERS: dict[str, Framer] = {
    "binance": frame_binance,
    "bybit": frame_bybit,
    "okx": frame_okx,
    "bitmex": frame_bitmex,
    "deribit": frame_deribit,
    "bitget": frame_bitget,
    "gate": frame_gate,
    "aster": frame_aster,
    "dydx": frame_dydx,
    "lighter": frame_lighter,
    "kraken_futures": frame_kraken_futures,
    "bitfinex": frame_bitfinex,
    "htx": frame_htx,
    "hyperliquid": frame_hyperliquid,
}


def _framer_of(venue: str) -> str:
    return "binance" if venue.startswith("binance") else venue


def scenario_tape(
    scenario: str,
    seed: int,
    venues: Sequence[str],
    start_ms: int,
    book: PriceBook | None = None,
    *,
    clock: bool = True,
) -> Iterator[Push]:
    """The endless, seeded tape of `scenario` for the selected endpoint `venues`, from `start_ms`.

    With `clock`, a marker Push (venue "") opens every second of tape time, so a consumer can pace
    itself and the PriceBook never runs more than a second ahead of what was consumed.
    """
    regimes = regime_seconds(scenario, seed)  # raises ValueError for an unknown scenario
    rng = random.Random(f"liqwatch-sim/{scenario}/{seed}")
    book = book if book is not None else PriceBook(start_ms, seed)
    chosen = [m for m in mk.universe(venues)]
    universe: dict[str, list[Market]] = defaultdict(list)
    for m in chosen:
        universe[m.venue].append(m)
    binance_endpoints = [v for v in venues if v.startswith("binance")]
    state = _State(
        rng=rng,
        book=book,
        log_price={coin: math.log(base) for coin, (base, _, _) in mk.COINS.items()},
        returns=deque(maxlen=60),
    )
    framer_of = {v: _framer_of(v) for v in mk.VENUE_SHARE}
    pending: list[tuple[int, int, Push]] = []
    sequence = itertools.count()
    for second, (phase, vol_factor) in enumerate(regimes):
        t0 = start_ms + second * 1000
        _advance_prices(state, phase, t0, vol_factor)
        liqs = _new_liquidations(state, phase, t0, universe, vol_factor) if universe else []
        by_framer: dict[str, list[Liq]] = defaultdict(list)
        for liq in liqs:
            by_framer[framer_of[liq.venue]].append(liq)
        for name in sorted(by_framer):
            for push in FRAMERS[name](by_framer[name], t0, rng, binance_endpoints):
                heapq.heappush(pending, (push.at, next(sequence), push))
        if clock:
            yield Push(t0, "", "", "", "")
        horizon = t0 + 1000
        while pending and pending[0][0] < horizon:
            yield heapq.heappop(pending)[2]


def liquidations(tape: Iterable[Push]) -> Iterator[Liq]:
    """The truth liquidations a tape publishes, each once (both Binance hosts push the same ones)."""
    seen: set[Liq] = set()
    for push in tape:
        for liq in push.truths:
            if liq not in seen:
                seen.add(liq)
                yield liq


# ── replay ─────────────────────────────────────────────────────────────────────────────────────


class _Combined(msgspec.Struct):
    stream: str
    data: msgspec.Raw


class _Topic(msgspec.Struct):
    topic: str = ""


class _GateResult(msgspec.Struct):
    contract: str = ""


class _GatePush(msgspec.Struct):
    result: list[_GateResult] | _GateResult | None = None


_decode_combined = msgspec.json.Decoder(_Combined).decode
_decode_topic = msgspec.json.Decoder(_Topic).decode
_decode_gate = msgspec.json.Decoder(_GatePush).decode


class _Channel(msgspec.Struct):
    channel: str = ""
    id: str = ""


_decode_channel = msgspec.json.Decoder(_Channel).decode


def replay_push(venue: str, ts: int, frame: str) -> Push:
    """A recorded data frame as a Push: routed to its connection, sent to every subscriber of it.

    Binance combined-stream frames are unwrapped (the server wraps them again for clients on a
    combined-stream path, so the text a client receives is the recorded one).
    """
    conn, topic, text = "", "*", frame
    if venue == "hyperliquid":  # a node fills line: written to the node's files, not sent
        conn, topic = "node", "node_fills"
    elif venue.startswith("binance") or venue == "aster":
        try:
            combined = _decode_combined(frame)
        except (msgspec.DecodeError, msgspec.ValidationError):
            pass
        else:
            topic, text = combined.stream, bytes(combined.data).decode()
    elif venue == "bybit":
        try:
            name = _decode_topic(frame).topic
        except (msgspec.DecodeError, msgspec.ValidationError):
            name = ""
        symbol = name.rpartition(".")[2]
        if symbol:
            m = mk.market("bybit", symbol)
            kind = m.conn if m is not None else ("inverse" if _bybit_inverse(symbol) else "linear")
            conn = kind
    elif venue == "gate":
        try:
            result = _decode_gate(frame).result
        except (msgspec.DecodeError, msgspec.ValidationError):
            result = None
        first = result[0] if isinstance(result, list) and result else result
        if isinstance(first, _GateResult) and first.contract:
            conn = "btc" if first.contract.endswith("_USD") else "usdt"
    elif venue in ("dydx", "lighter"):
        try:
            message = _decode_channel(frame)
        except (msgspec.DecodeError, msgspec.ValidationError):
            message = _Channel()
        if message.channel == "v4_trades" and message.id:
            topic = f"v4_trades:{message.id}"
        elif message.channel == "v4_block_height":
            topic = message.channel
        elif message.channel.startswith("trade:"):
            topic = "trade/" + message.channel.partition(":")[2]
    elif venue == "htx":
        conn = _htx_conn(frame)
    return Push(ts, venue, conn, topic, text)


class _HtxOrder(msgspec.Struct):
    contract_code: str = ""


class _HtxPush(msgspec.Struct):
    data: list[_HtxOrder] | None = None


_decode_htx = msgspec.json.Decoder(_HtxPush).decode


def _htx_conn(frame: str) -> str:
    """The connection an HTX notify frame came on, from its contract ("" = every connection)."""
    try:
        data = _decode_htx(frame).data
    except (msgspec.DecodeError, msgspec.ValidationError):
        return ""
    code = data[0].contract_code if data else ""
    m = mk.market("htx", code)
    if m is not None:
        return m.conn
    if code.endswith("-USDT"):
        return "linear"
    return "swap" if code.endswith("-USD") else ("futures" if code else "")


def _bybit_inverse(symbol: str) -> bool:
    from liqwatch.venues import bybit

    inst = bybit.derive(symbol)
    return inst is not None and inst.kind == "inverse"


__all__ = [
    "PHASES",
    "SCENARIOS",
    "Liq",
    "Phase",
    "PriceBook",
    "Push",
    "liquidations",
    "replay_push",
    "scenario_tape",
    "truth",
]

"""Price context from candles: price at a time, moves, extremes, highs, round-number crossings."""

from __future__ import annotations

import math

import pytest

from liqwatch.analytics import context
from liqwatch.model import Candle

H = 3_600_000
DAY = 86_400_000
AT = 1_763_683_200_000  # 2025-11-21T00:00:00Z


def bar(open_ts: int, close: float, high: float | None = None, low: float | None = None, **kw: object) -> Candle:
    return Candle(
        kw.get("venue", "binance_usdm"),  # type: ignore[arg-type]
        kw.get("symbol", "BTCUSDT"),  # type: ignore[arg-type]
        "BTC",
        kw.get("interval", H),  # type: ignore[arg-type]
        open_ts,
        close,
        high if high is not None else close,
        low if low is not None else close,
        close,
    )


def hourly(closes: list[float], end: int = AT) -> list[Candle]:
    start = end - len(closes) * H
    return [bar(start + i * H, c) for i, c in enumerate(closes)]


def test_price_at_is_the_last_close_that_ended_and_not_stale() -> None:
    bars = hourly([100.0, 101.0, 102.0])
    assert context.price_at(bars, AT).price == 102.0  # type: ignore[union-attr]
    assert context.price_at(bars, AT - 1).price == 101.0  # type: ignore[union-attr]
    assert context.price_at(bars, AT - 3 * H) is None  # nothing had ended yet
    assert context.price_at(bars, AT + 2 * H) is None  # the last close is too old
    point = context.price_at(bars, AT + H)
    assert point is not None and point.open_ts == AT - H and point.ts == AT


def test_moves() -> None:
    closes = [100.0] * (8 * 24 - 24) + [100.0 + i for i in range(24)]
    bars = hourly(closes)
    moves = {m.label: m for m in context.moves(bars, [], AT)}
    assert set(moves) == {"1h", "24h", "7d"}
    assert moves["24h"].end.price == 123.0 and moves["24h"].start.price == 100.0
    assert math.isclose(moves["24h"].change, 0.23)
    assert math.isclose(moves["1h"].change, 123 / 122 - 1)


def test_ytd_uses_the_daily_close_at_new_year() -> None:
    jan1 = context.year_start(AT)
    daily = [bar(jan1 - DAY, 80.0, interval=DAY)]
    bars = hourly([100.0] * 30)
    ytd = next(m for m in context.moves(bars, daily, AT) if m.label == "ytd")
    assert ytd.start.price == 80.0 and math.isclose(ytd.change, 0.25)


def test_window_extremes_and_high_record() -> None:
    old = [bar(AT - 40 * DAY + i * H, 90.0, high=95.0) for i in range(24)]
    bars = old + [bar(AT - 24 * H + i * H, 100.0, high=110.0 if i == 5 else 101.0, low=99.0) for i in range(24)]
    high, low = context.window_extremes(bars, AT - DAY, AT)  # type: ignore[misc]
    assert high.price == 110.0 and high.open_ts == AT - 19 * H and low.price == 99.0
    record = context.high_record(bars, high, AT - DAY)
    assert record is not None and record.is_new_high and record.history_start == AT - 40 * DAY
    higher = [*bars, bar(AT - 20 * DAY, 120.0, high=120.0)]
    record = context.high_record(higher, high, AT - DAY)
    assert record is not None and record.previous_higher is not None
    assert record.previous_higher.open_ts == AT - 20 * DAY


@pytest.mark.parametrize(
    ("price", "step"),
    [(120_000.0, 10_000.0), (3_000.0, 200.0), (180.0, 10.0), (2.4, 0.2), (0.25, 0.02), (99_000.0, 5_000.0)],
)
def test_round_steps(price: float, step: float) -> None:
    assert math.isclose(context.round_step(price), step)


def test_crossings() -> None:
    up = hourly([112_000.0] * 24 + [115_000.0, 118_000.0, 121_500.0])
    c = context.crossing(up, AT - 3 * H, AT)
    assert c is not None and c.level == 120_000.0 and c.direction == "up" and not c.reclaimed
    eth_back = hourly([3_100.0] * 24 + [2_900.0] * 24 + [2_950.0, 3_050.0])
    c = context.crossing(eth_back, AT - 2 * H, AT)
    assert c is not None and c.level == 3_000.0 and c.reclaimed
    down = hourly([101_000.0, 100_500.0, 99_000.0])
    c = context.crossing(down, AT - 2 * H, AT)
    assert c is not None and c.level == 100_000.0 and c.direction == "down"
    assert context.crossing(hourly([100.0, 100.5, 101.0]), AT - 2 * H, AT) is None


def test_realized_volatility() -> None:
    closes = [100.0 * (1.01 if i % 2 else 1.0) for i in range(24 * 31)]
    vol = context.realized_volatility(hourly(closes), AT, H, 30)
    assert len(vol.returns) == 30 and vol.sigma is not None and vol.sigma > 0
    assert context.realized_volatility([], AT, H).sigma is None


def test_pick_source_prefers_binance_usdt_perp() -> None:
    bars = [bar(AT - H, 1.0, venue="okx", symbol="BTC-USDT-SWAP"), bar(AT - H, 1.0, symbol="BTCUSDC")]
    bars += [bar(AT - H, 1.0), bar(AT - 2 * H, 1.0, venue="bybit")]
    assert context.pick_source(bars) == ("binance_usdm", "BTCUSDT")
    assert context.pick_source([]) is None


def test_floor_clean() -> None:
    assert context.floor_clean(123_456.0) == 123_000.0
    assert math.isclose(context.floor_clean(3_456.7), 3_450.0)

"""The squeeze detector says no more than its checks support; cascades are bursts with evidence."""

from __future__ import annotations

import math

from liqwatch.analytics.squeeze import Baseline, Params, PriceInput, cascades, detect
from liqwatch.analytics.summary import usd_units
from tests.analytics.factories import AT, H, ev

DAY = 24 * H
QUIET = Baseline(list(range(30)), [usd_units(v) or 0 for v in [10e6 + (i % 5) * 1e6 for i in range(30)]])


def run(long_usd: float, short_usd: float, price: PriceInput | None = None, **kw: object):  # type: ignore[no-untyped-def]
    return detect(
        scope="all coins",
        window="24h",
        start=AT - DAY,
        end=AT,
        long_units=usd_units(long_usd) or 0,
        short_units=usd_units(short_usd) or 0,
        baseline_long=QUIET,
        baseline_short=QUIET,
        price=price,
        **kw,  # type: ignore[arg-type]
    )


UP = PriceInput(log_return=math.log(1.08), sigma=0.02, periods=30, source="test")
DOWN = PriceInput(log_return=math.log(0.92), sigma=0.02, periods=30, source="test")
FLAT = PriceInput(log_return=0.001, sigma=0.02, periods=30, source="test")


def test_a_short_squeeze_needs_every_check() -> None:
    d = run(10e6, 90e6, UP, oi_change=-0.03, funding=-0.0002)
    assert d.verdict == "short_squeeze" and d.side == "short"
    assert d.share is not None and abs(d.share - 0.9) < 1e-12
    assert d.z is not None and d.z > 3
    assert {c.name: c.passed for c in d.checks} == {
        "share": True,
        "z": True,
        "size": True,
        "move": True,
        "oi": True,
        "funding": True,
    }


def test_the_mirror_is_a_long_cascade() -> None:
    assert run(90e6, 10e6, DOWN).verdict == "long_cascade"


def test_without_prices_it_is_only_a_spike() -> None:
    d = run(10e6, 90e6, None)
    assert d.verdict == "short_liquidation_spike"
    move = d.check("move")
    assert move is not None and move.passed is None and move.value is None


def test_price_against_the_side_or_flat_is_no_squeeze() -> None:
    assert run(10e6, 90e6, DOWN).verdict == "shorts_dominated"
    assert run(10e6, 90e6, FLAT).verdict == "shorts_dominated"


def test_rising_open_interest_contradicts_a_squeeze() -> None:
    assert run(10e6, 90e6, UP, oi_change=0.02).verdict == "shorts_dominated"


def test_usual_size_or_mixed_sides() -> None:
    assert run(2e6, 11e6, UP).verdict == "shorts_dominated"  # one-sided, but a normal day
    assert run(40e6, 50e6, UP).verdict == "none"  # 56% shorts
    assert run(0.0, 0.0, UP).verdict == "none"
    assert run(0.0, 0.5e6, UP).verdict == "none"  # below the minimum size


def test_too_little_history_gives_no_z() -> None:
    short = Baseline([1, 2, 3], [1, 2, 3])
    d = detect(
        scope="BTC",
        window="24h",
        start=0,
        end=DAY,
        long_units=0,
        short_units=usd_units(50e6) or 0,
        baseline_long=short,
        baseline_short=short,
        price=UP,
    )
    assert d.z is None and d.verdict == "shorts_dominated"


def test_cascades_are_dense_one_sided_bursts() -> None:
    events = [ev(AT - DAY + 300_000 + i * 600_000, 10_000.0, side="short", id=f"bg{i}") for i in range(140)]
    burst_start = AT - 10 * H
    events += [
        ev(burst_start + i * 2_000, 200_000.0, side="short", venue="bybit" if i % 2 else "okx", id=f"b{i}")
        for i in range(60)
    ]
    events += [ev(burst_start + 500, 5_000_000.0, side="long", id="lonely-long")]
    found = cascades(events, "short", AT - DAY, AT)
    assert len(found) == 1
    c = found[0]
    assert c.count == 60 and c.usd == 12_000_000.0
    assert c.start == burst_start and c.end == burst_start + 59 * 2_000
    assert list(c.venues) == ["bybit", "okx"] and c.venues["bybit"] == 6_000_000.0
    assert c.rate_multiple > 10
    assert cascades(events, "long", AT - DAY, AT) == []  # one order is not a cascade


def test_cascade_thresholds() -> None:
    events = [ev(AT - H + i * 1_000, 300_000.0, side="short", id=f"s{i}") for i in range(4)]
    assert cascades(events, "short", AT - DAY, AT) == []  # too few orders
    assert cascades(events, "short", AT - DAY, AT, Params(cascade_min_count=2))  # fewer required

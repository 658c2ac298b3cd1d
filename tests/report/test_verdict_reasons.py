"""One source of truth for one-sidedness and for why a one-sided window is no squeeze: the check
that decided it (analytics.squeeze.one_sided / short_of_full_pattern), table-tested."""

from __future__ import annotations

import math

import pytest

from liqwatch.analytics.squeeze import Baseline, PriceInput, detect, one_sided, short_of_full_pattern
from liqwatch.analytics.summary import usd_units

QUIET = Baseline(list(range(30)), [usd_units(10e6 + (i % 5) * 1e6) or 0 for i in range(30)])
UP = PriceInput(log_return=math.log(1.08), sigma=0.02, periods=30, source="test")
FLAT = PriceInput(log_return=0.001, sigma=0.02, periods=30, source="test")


def run(short_usd: float, long_usd: float, baseline: Baseline | None, price: PriceInput | None, oi: float | None):  # type: ignore[no-untyped-def]
    return detect(
        scope="all coins",
        window="24h",
        start=0,
        end=1,
        long_units=usd_units(long_usd) or 0,
        short_units=usd_units(short_usd) or 0,
        baseline_long=baseline,
        baseline_short=baseline,
        price=price,
        oi_change=oi,
    )


@pytest.mark.parametrize(
    ("short_usd", "baseline", "price", "oi", "verdict", "decided_by"),
    [
        (90e6, QUIET, UP, -0.03, "short_squeeze", []),
        (90e6, QUIET, UP, 0.033, "shorts_dominated", ["oi"]),  # OI rose: the case
        (90e6, None, UP, -0.03, "shorts_dominated", ["z"]),  # not enough history
        (90e6, QUIET, FLAT, -0.03, "shorts_dominated", ["move"]),
        (12e6, QUIET, UP, -0.03, "shorts_dominated", ["z"]),  # not outsized
        (90e6, None, FLAT, 0.033, "shorts_dominated", ["z", "move", "oi"]),
    ],
)
def test_the_deciding_checks(
    short_usd: float, baseline: Baseline | None, price: PriceInput, oi: float, verdict: str, decided_by: list[str]
) -> None:
    d = run(short_usd, 0.2 * short_usd, baseline, price, oi)
    assert d.verdict == verdict and one_sided(d)
    assert [c.name for c in short_of_full_pattern(d)] == decided_by


@pytest.mark.parametrize(("short_share", "expected"), [(0.70, True), (0.6999, False), (0.29, False)])
def test_one_sided_is_the_share_check(short_share: float, expected: bool) -> None:
    d = run(100e6 * short_share, 100e6 * (1 - short_share), QUIET, UP, None)
    assert one_sided(d) is (expected or 1 - short_share >= 0.70)
    if not one_sided(d):
        assert short_of_full_pattern(d) == []

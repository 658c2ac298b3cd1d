"""Newsroom rounding: headline amounts never overstate, body amounts are stated precisely."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liqwatch.report import words


@pytest.mark.parametrize(
    ("usd", "phrase"),
    [
        (1.02e9, "Top $1 Billion"),
        (1.0e9, "Top $1 Billion"),
        (1.099e9, "Top $1 Billion"),
        (999.97e6, "Near $1 Billion"),
        (960e6, "Near $1 Billion"),
        (396e6, "Near $400 Million"),
        (387e6, "Near $400 Million"),
        (748.3e6, "Near $750 Million"),
        (530e6, "Top $500 Million"),
        (620e6, "Top $600 Million"),
        (151.43e6, "Top $150 Million"),
        (1.5e9, "Top $1.5 Billion"),
        (1.3e9, "Hit $1.3 Billion"),
        (1.27e9, "Near $1.3 Billion"),
        (2.05e9, "Top $2 Billion"),
        (12.3e6, "Exceed $12 Million"),
        (9.7e6, "Near $10 Million"),
        (42.1e6, "Exceed $42 Million"),
        (850_412, "Top $850,000"),
        (19.2e9, "Near $20 Billion"),
    ],
)
def test_headline_rounding_table(usd: float, phrase: str) -> None:
    assert words.headline_phrase(usd) == phrase


@given(st.floats(min_value=1.0, max_value=1e11, allow_nan=False))
def test_headline_amounts_are_true(usd: float) -> None:
    verb, amount = words.headline_amount(usd)
    if verb == "top":
        assert usd >= amount
    elif verb == "exceed":
        assert usd > amount
    elif verb == "hit":
        assert usd == amount
    else:
        assert verb == "near" and abs(usd - amount) <= 0.05 * amount


def test_headline_refuses_nothing() -> None:
    with pytest.raises(ValueError):
        words.headline_amount(0.0)


@pytest.mark.parametrize(
    ("usd", "text", "short"),
    [
        (748_312_345.67, "$748.3 million", "$748.3M"),
        (4_012_000.0, "$4.01 million", "$4.01M"),
        (1_234_567_890.0, "$1.23 billion", "$1.23B"),
        (999_970_000.0, "$1.00 billion", "$1.00B"),
        (850_412.4, "$850,412", "$850.4K"),
        (512.345, "$512.35", "$512"),
        (0.0, "$0", "$0"),
    ],
)
def test_money(usd: float, text: str, short: str) -> None:
    assert words.money(usd) == text
    assert words.money_short(usd) == short


def test_shares_never_round_to_all_or_nothing() -> None:
    assert words.share(0.8312) == "83%"
    assert words.share(0.9996) == "more than 99%"
    assert words.share(0.0004) == "less than 1%"
    assert words.share(1.0) == "100%"


def test_times_and_periods() -> None:
    at = 1_763_712_000_000  # 2025-11-21T08:00:00Z
    assert words.moment(at) == "08:00 UTC on 21 November 2025"
    assert words.day_of(1_763_683_200_000) == "20 November 2025"
    assert words.period(86_400_000) == "24 hours"
    assert words.period(3_600_000) == "hour"
    assert words.period(7 * 86_400_000) == "7 days"
    assert words.period_adjective(86_400_000) == "24-hour"
    assert words.duration(90_000) == "2 minutes"
    assert words.duration(3 * 3_600_000 + 600_000) == "3 hours 10 minutes"
    assert words.join(["a", "b", "c"]) == "a, b and c"
    assert words.level(120_000.0) == "$120,000" and words.level(2.4) == "$2.4"

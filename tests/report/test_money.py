"""The house style for money and numbers (liqwatch.money): exact halves, precision by kind,
headline verbs with honest thresholds (near-misses on both sides of every threshold)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liqwatch import money


@pytest.mark.parametrize(
    ("usd", "text", "short"),
    [
        (226_950_000.0, "$227 million", "$227.0M"),  # an exact half: up, not "226.9"
        (12_250_000.0, "$12.3 million", "$12.3M"),
        (12_350_000.0, "$12.4 million", "$12.4M"),
        (1_050_000.0, "$1.1 million", "$1.1M"),
        (2_675_000_000.0, "$2.68 billion", "$2.68B"),
        (748_312_345.67, "$748.3 million", "$748.3M"),
        (12_000_000.0, "$12 million", "$12.0M"),
        (4_050_000.0, "$4.1 million", "$4.1M"),
        (1_234_567_890.0, "$1.23 billion", "$1.23B"),
        (999_960_000.0, "$1 billion", "$1.00B"),  # rounding carries into the next unit
        (9_950_000.0, "$10 million", "$10.0M"),
        (999_999.6, "$1 million", "$1.0M"),
        (999_950.0, "$999,950", "$1.0M"),
        (850_412.4, "$850,412", "$850.4K"),
        (819_850.0, "$819,850", "$819.9K"),
        (170.91, "$171", "$171"),  # prose and table agree on small amounts
        (5.5, "$6", "$6"),
        (0.425, "$0.43", "$0.43"),
        (0.0, "$0", "$0"),
        (-748_312_345.67, "-$748.3 million", "-$748.3M"),
    ],
)
def test_observed_money(usd: float, text: str, short: str) -> None:
    assert money.prose(usd) == text
    assert money.table(usd) == short


def test_unpriced_is_never_zero_dollars() -> None:
    assert money.table(None) == "—"


@pytest.mark.parametrize(
    ("usd", "text", "short"),
    [
        (960_467.0, "about $960,000", "~$960K"),
        (1_234_567.0, "about $1.2 million", "~$1.2M"),
        (1_250_000.0, "about $1.3 million", "~$1.3M"),
        (189_312_000.0, "about $190 million", "~$190M"),
        (4_450.0, "about $4,500", "~$4.5K"),
    ],
)
def test_modelled_estimates_have_two_significant_figures(usd: float, text: str, short: str) -> None:
    assert money.estimate(usd) == text
    assert money.estimate_table(usd) == short


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (3540.0, "$3,540"),
        (121_438.5, "$121,439"),
        (3050.12, "$3,050"),
        (150.0, "$150"),
        (150.255, "$150.26"),
        (0.55123, "$0.5512"),
    ],
)
def test_prices(p: float, text: str) -> None:
    assert money.price(p) == text


def test_levels_have_as_few_digits_as_they_need() -> None:
    assert [money.level(x) for x in (120_000.0, 3540.0, 2.4, 0.25)] == ["$120,000", "$3,540", "$2.4", "$0.25"]


@pytest.mark.parametrize(
    ("usd", "phrase"),
    [
        (3.33e9, "Top $3.3 Billion"),  # the case: 4.9% under 3.5 is not "near"
        (3.48e9, "Near $3.5 Billion"),  # 0.6% under: near
        (3.43e9, "Top $3.4 Billion"),  # 2.0% under 3.5 but closer to 3.4
        (720.03e6, "Top $720 Million"),  # not "Near $730 Million"
        (3.42e9, "Top $3.4 Billion"),  # 2.3% under: a near-miss for "near"
        (999.97e6, "Near $1 Billion"),
        (980e6, "Near $1 Billion"),  # exactly 2% under
        (975e6, "Top $970 Million"),  # 2.5% under $1 billion: a near-miss
        (960e6, "Hit $960 Million"),
        (1.0e9, "Hit $1 Billion"),
        (1.02e9, "Top $1 Billion"),
        (1.3e9, "Hit $1.3 Billion"),
        (1.299e9, "Near $1.3 Billion"),
        (748.3e6, "Near $750 Million"),
        (1.31e9, "Top $1.3 Billion"),  # 6.4% under 1.4: top the amount below
        (151.43e6, "Top $150 Million"),
        (12.3e6, "Top $12 Million"),
        (9.8e6, "Near $10 Million"),
        (9.79e6, "Near $9.8 Million"),  # 2.1% under $10 million
        (19.7e9, "Near $20 Billion"),
        (170.91, "Top $170"),
    ],
)
def test_headline_verbs(usd: float, phrase: str) -> None:
    assert money.headline_phrase(usd) == phrase


@given(st.floats(min_value=0.01, max_value=1e12, allow_nan=False))
def test_headline_amounts_are_true(usd: float) -> None:
    verb, amount = money.headline_amount(usd)
    value = Decimal(repr(usd))
    if verb == "top":
        assert value > amount
    elif verb == "hit":
        assert value == amount
    else:
        assert verb == "near" and value < amount and amount - value <= Decimal("0.02") * amount


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False))
def test_table_and_prose_round_the_same_decimal(usd: float) -> None:
    """Both read the float's shortest decimal: prose never disagrees with the table on its unit."""
    short, text = money.table(usd), money.prose(usd)
    unit = {"B": " billion", "M": " million"}.get(short[-1])
    if unit:
        assert text.endswith(unit)
        assert Decimal(short[1:-1].replace(",", "")) == Decimal(text[1 : -len(unit)].replace(",", ""))


def test_counts_plurals_and_shares() -> None:
    assert money.plural(1, "order") == "1 order"
    assert money.plural(1204, "wallet") == "1,204 wallets"
    assert money.plural(2, "was", "were") == "2 were"
    assert money.ratio(0.8312) == "83%"
    assert money.ratio(0.825) == "83%"  # a half, up
    assert money.ratio(0.9996) == "more than 99%"
    assert money.ratio(0.0004) == "less than 1%"
    assert money.share(29.1, 28.4 + 0.7) == "100%"  # float noise in a sum is not a share above 100%
    with pytest.raises(ValueError):
        money.share(29.1e6, 28.4e6)  # a part larger than its whole is refused, never printed
    with pytest.raises(ValueError):
        money.ratio(1.02)
    assert money.change(0.0525) == "5.3%"

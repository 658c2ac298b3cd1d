"""Names, times and periods in words (money and headline rounding: tests/report/test_money.py)."""

from __future__ import annotations

from liqwatch.report import words


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


def test_the_article_follows_the_figure_as_read_aloud() -> None:
    for figure in (
        "$8 million",
        "$8.0 million",
        "$11.2 million",
        "$18,000",
        "$80 million",
        "$800,000",
        "8-hour",
        "11-day",
    ):
        assert words.article(figure) == "an", figure
    for figure in ("$1.2 billion", "$180,000", "$110 million", "$1,100", "24-hour", "one-hour", "$2.49 billion"):
        assert words.article(figure) == "a", figure

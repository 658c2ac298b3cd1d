"""Calendar periods and ranks on a named basis (analytics.basis), on small hand-made lanes."""

from __future__ import annotations

from datetime import UTC, datetime

from liqwatch.aggregates import ALL, AggregateRow
from liqwatch.analytics import basis as b
from liqwatch.report.basis_words import rank_sentence

D = b.DAY_MS


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def test_calendar_periods() -> None:
    wed = ms("2024-08-07T13:00:00")
    assert b.period_at("day", wed) == (ms("2024-08-07"), ms("2024-08-08"))
    assert b.period_at("week", wed) == (ms("2024-08-05"), ms("2024-08-12"))  # Monday to Monday
    assert b.period_at("weekend", wed) == (ms("2024-08-03"), ms("2024-08-05"))  # the weekend before
    assert b.period_at("weekend", ms("2024-08-04T23:59:59")) == (ms("2024-08-03"), ms("2024-08-05"))
    assert b.period_at("month", wed) == (ms("2024-08-01"), ms("2024-09-01"))
    assert b.previous("month", ms("2024-03-01")) == (ms("2024-02-01"), ms("2024-03-01"))
    assert b.previous("weekend", ms("2024-08-03")) == (ms("2024-07-27"), ms("2024-07-29"))
    assert b.last_complete("day", ms("2024-08-07")) == (ms("2024-08-06"), ms("2024-08-07"))
    assert b.last_complete("weekend", ms("2024-08-04T12:00:00")) == (ms("2024-07-27"), ms("2024-07-29"))
    assert b.last_complete("month", ms("2024-01-01")) == (ms("2023-12-01"), ms("2024-01-01"))


def daily(source: str, venues: str, start: str, values: list[tuple[float, float] | None]) -> list[AggregateRow]:
    first = ms(start)
    return [
        AggregateRow(source, venues, "BTC", D, first + i * D, v[0], v[1]) for i, v in enumerate(values) if v is not None
    ]


def test_a_day_a_source_does_not_cover_is_unknown_not_zero() -> None:
    rows = daily("coinalyze", "Binance", "2024-01-01", [(5, 0), (9, 0), None, (1, 0), (7, 0)])
    rows += daily("coinalyze", "OKX", "2024-01-01", [(1, 0), (1, 0), (1, 0), None, (1, 0)])
    (basis,) = b.aggregate_bases(rows)
    r = b.rank(basis, "day", b.period_at("day", ms("2024-01-05")), "long")
    assert r is not None and r.venues == ["Binance", "OKX"] and r.usd == 8
    # 3 and 4 January miss one exchange each: left out, not counted as smaller days
    assert (r.comparable, r.unknown, r.rank) == (2, 2, 2)
    assert r.since is not None and r.since.start == ms("2024-01-02") and r.since.usd == 10
    assert r.basis == "Coinalyze, 2 exchanges"


def test_hourly_series_make_a_day_only_when_every_hour_is_there() -> None:
    h = 3_600_000
    first = ms("2024-01-01")
    rows = [AggregateRow("coinglass", ALL, "BTC", h, first + k * h, 1.0, 2.0) for k in range(48) if k != 30]
    (basis,) = b.aggregate_bases(rows)
    assert basis.lanes[ALL] == {first: (24.0, 48.0)}  # the second day lacks an hour: unknown


def test_record_sentence_names_basis_and_gaps() -> None:
    values: list[tuple[float, float] | None] = [(0, 10.0), None, (0, 30.0), (0, 164_700_000.0)]
    (basis,) = b.aggregate_bases(daily("coinalyze", "Binance", "2022-01-02", values))
    r = b.rank(basis, "day", b.period_at("day", ms("2022-01-05")), "short")
    assert r is not None and r.is_record and r.records_begin == ms("2022-01-02")
    assert rank_sentence(r) == (
        "BTC short liquidations ($164.7 million) on 5 January 2022 were the largest for a single day since "
        "records begin on 2 January 2022 (Coinalyze, Binance; 1 day without complete data left out)."
    )


def test_weekends_rank_against_weekends_only() -> None:
    # four weeks of days; weekday values are huge, weekend days small: a weekend ranks among weekends
    start = ms("2024-07-01")  # a Monday
    values = []
    for i in range(28):
        weekday = datetime.fromtimestamp((start + i * D) / 1000, UTC).weekday()
        values.append((1000.0, 0.0) if weekday < 5 else (float(i), 0.0))
    (basis,) = b.aggregate_bases(daily("coinglass", ALL, "2024-07-01", values))
    r = b.rank(basis, "weekend", b.period_at("weekend", ms("2024-07-27")), "long")
    assert r is not None and r.usd == 26 + 27 and r.comparable == 3 and r.is_record
    r2 = b.rank(basis, "weekend", b.period_at("weekend", ms("2024-07-13")), "long")
    assert r2 is not None and r2.usd == 12 + 13 and r2.comparable == 1 and r2.is_record


def test_the_longest_comparable_series_wins_and_own_events_win_ties() -> None:
    own = b.own_basis("BTC", {("okx", ms("2024-01-03")): (4.0, 0.0)}, {"okx": [ms("2024-01-02"), ms("2024-01-03")]})
    (agg,) = b.aggregate_bases(daily("coinalyze", "OKX", "2024-01-01", [(1, 0), (2, 0), (3, 0)]))
    period = b.period_at("day", ms("2024-01-03"))
    chosen, ranks = b.best([own, agg], "day", period, "long")
    assert chosen is not None and chosen.source == "coinalyze" and len(ranks) == 2
    (agg2,) = b.aggregate_bases(daily("coinalyze", "OKX", "2024-01-02", [(2, 0), (3, 0)]))
    chosen, _ = b.best([agg2, own], "day", period, "long")
    assert chosen is not None and chosen.source == b.OWN and chosen.basis == "liqwatch's own records, 1 venue"
    assert chosen.usd == 4.0 and chosen.since is None and chosen.comparable == 1  # 2 January: known, zero


def test_nothing_comparable_is_none() -> None:
    (agg,) = b.aggregate_bases(daily("coinalyze", "OKX", "2024-01-01", [(1, 0)]))
    assert b.rank(agg, "day", b.period_at("day", ms("2024-02-01")), "long") is None


def test_own_events_compare_past_days_without_a_quiet_minor_venue() -> None:
    days = [ms("2024-01-01") + k * D for k in range(4)]
    values = {("okx", d): (100.0 * (k + 1), 0.0) for k, d in enumerate(days)}
    values |= {("gate", d): (3.0, 0.0) for d in days}
    known = {"okx": days, "gate": [days[0], days[3]]}  # gate quiet (no event at all) on 2 and 3 January
    own = b.own_basis(None, values, known)
    r = b.rank(own, "day", b.period_at("day", days[3]), "long")
    assert r is not None and r.venues == ["gate", "okx"] and r.usd == 403.0
    # 2 and 3 January are compared on okx alone (gate holds 0.7% of the current value): 400 vs 200, 300
    assert (r.comparable, r.fewer, r.unknown, r.rank) == (3, 2, 0, 1)
    assert r.since is None and "; 2 compared without a venue holding under 5% of this total" in rank_sentence(r)
    big = b.own_basis(None, values | {("gate", days[3]): (300.0, 0.0)}, known)
    r2 = b.rank(big, "day", b.period_at("day", days[3]), "long")
    assert r2 is not None and (r2.comparable, r2.unknown) == (1, 2)  # gate is 43% now: those days are left out


def test_largest_since_last_weekend_is_a_rank_not_news() -> None:
    values: list[tuple[float, float] | None] = [(10.0, 0), (10.0, 0)] + [(1.0, 0)] * 5 + [(50.0, 0), (50.0, 0)]
    values += [(1.0, 0)] * 5 + [(30.0, 0), (30.0, 0)]
    (basis,) = b.aggregate_bases(daily("coinglass", ALL, "2024-01-06", values))  # Saturday 6 January
    r = b.rank(basis, "weekend", b.period_at("weekend", ms("2024-01-20")), "long")
    assert r is not None and r.since is not None and r.since.start == ms("2024-01-13")
    assert "ranked 2nd of 3 weekends on record since 6 January 2024" in rank_sentence(r)

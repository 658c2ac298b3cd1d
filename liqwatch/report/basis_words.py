"""Rank sentences that name their basis and its gaps (analytics.basis → words), for the report,
`liqwatch history` and the API.

Pure. "BTC short liquidations ($164.7 million) were the largest for a single day since records
begin on 2 January 2022 (Coinalyze, 7 exchanges)."
"""

from __future__ import annotations

from datetime import UTC, datetime

from liqwatch.analytics.basis import HistoryRanks, Past, PeriodKind, PeriodRank
from liqwatch.analytics.history import span_words
from liqwatch.report import words

NOUN = {"day": "for a single day", "weekend": "for a weekend", "week": "for a week", "month": "for a month"}
PLURAL = {"day": "days", "weekend": "weekends", "week": "weeks", "month": "months"}
DAY_MS = 86_400_000
# "the largest since …" only when that is news: otherwise the sentence gives the rank
MIN_SINCE_MS = {"day": 7 * DAY_MS, "weekend": 28 * DAY_MS, "week": 28 * DAY_MS, "month": 89 * DAY_MS}


def what(metric: str, coin: str | None) -> str:
    """ "BTC short liquidations", "Total liquidations", "ETH liquidations", "Long liquidations"."""
    if metric == "total":
        return f"{coin} liquidations" if coin else "Total liquidations"
    return f"{coin} {metric} liquidations" if coin else f"{metric.capitalize()} liquidations"


def period_name(kind: PeriodKind, start: int) -> str:
    """ "5 August 2024", "the weekend of 3 February 2024", "the week of 29 July 2024", "March 2022"."""
    if kind == "day":
        return words.date(start)
    if kind == "month":
        return datetime.fromtimestamp(start / 1000, UTC).strftime("%B %Y")
    return f"the {kind} of {words.date(start)}"


def during(kind: PeriodKind, start: int) -> str:
    """ "on 5 August 2024", "over the weekend of 3 August 2024", "in the week of …", "in March 2022"."""
    preposition = {"day": "on", "weekend": "over", "week": "in", "month": "in"}[kind]
    return f"{preposition} {period_name(kind, start)}"


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def _attribution(r: PeriodRank) -> str:
    text = r.basis
    if r.unknown:
        text += f"; {r.unknown:,} {PLURAL[r.kind] if r.unknown != 1 else r.kind} without complete data left out"
    if r.fewer:
        text += f"; {r.fewer:,} compared without a venue holding under 5% of this total"
    return f"({text})"


def _past(p: Past, kind: PeriodKind) -> str:
    return f"{period_name(kind, p.start)} ({words.money(p.usd)})"


def rank_sentence(r: PeriodRank) -> str:
    """One sentence: the value, where it stands, since when, on which basis, with which gaps."""
    subject = f"{what(r.metric, r.coin)} ({words.money(r.usd)}) {during(r.kind, r.start)}"
    noun = NOUN[r.kind]
    if r.comparable == 0:
        return (
            f"{subject}: no earlier {r.kind} is on record to compare with ({r.basis}, which begins with this {r.kind})."
        )
    if r.is_record:
        return (
            f"{subject} were the largest {noun} since records begin on {words.date(r.records_begin)} {_attribution(r)}."
        )
    since = r.since
    assert since is not None
    span = span_words(r.start - since.start)
    if r.rank > 3 or span is None or r.start - since.end < MIN_SINCE_MS[r.kind]:
        return (
            f"{subject} ranked {_ordinal(r.rank)} of {r.comparable + 1:,} {PLURAL[r.kind]} on record since "
            f"{words.date(r.records_begin)} {_attribution(r)}."
        )
    return f"{subject} were the largest {noun} since {_past(since, r.kind)}, the most in {span} {_attribution(r)}."


def nothing_sentence(kind: PeriodKind, coin: str | None, start: int) -> str:
    scope = f"{coin} liquidations" if coin else "liquidations"
    return (
        f"Nothing comparable is on record for {period_name(kind, start)}: liqwatch did not collect {scope} "
        f"from the same venues through it, and no imported series covers it."
    )


def larger_side(ranks: list[HistoryRanks]) -> list[HistoryRanks]:
    """Per scope (coin, or all coins), the rank of the side with more USD: one sentence each."""
    best: dict[str | None, HistoryRanks] = {}
    for r in ranks:
        if r.best is None:
            continue
        held = best.get(r.coin)
        if held is None or (held.best is not None and r.best.usd > held.best.usd):
            best[r.coin] = r
    return list(best.values())


def split_sentence(ranks: list[HistoryRanks], coin: str) -> str | None:
    """ "Coinalyze (6 exchanges) puts BTC liquidations on 5 August 2024 at $329.0 million: $221.9
    million of longs and $107.1 million of shorts." when both sides stand on the same basis."""
    sides = {r.metric: r.best for r in ranks if r.coin == coin and r.best is not None}
    long_rank, short_rank = sides.get("long"), sides.get("short")
    if long_rank is None or short_rank is None or long_rank.venues != short_rank.venues:
        return None
    if long_rank.source != short_rank.source:
        return None
    total = words.money(long_rank.usd + short_rank.usd)
    name, _, scope = long_rank.basis.partition(", ")
    by = f"By {name}'s count ({scope})" if scope else f"By {name}'s count"
    return (
        f"{by}, {coin} liquidations {during(long_rank.kind, long_rank.start)} came to {total}: "
        f"{words.money(long_rank.usd)} of longs and {words.money(short_rank.usd)} of shorts."
    )

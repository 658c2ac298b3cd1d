"""Reads for ranks with a named basis (analytics.basis): the bases a store holds for a coin, and
the rank of a calendar period on the longest comparable one. Re-exported by liqwatch.queries.

liqwatch's own events make a basis lane per venue from daily series (buckets (d, d + 1 day], as
every liqwatch window) on the days the venue was collecting: it had an event that day (any coin),
its first stored event is no later than the day's start, and its recorded gaps cover at most 1%
of the day. Aggregate series come from the `aggregates` table (apart from events).
"""

from __future__ import annotations

import msgspec

from liqwatch.analytics import basis as b
from liqwatch.analytics.basis import HistoryRanks
from liqwatch.analytics.history import DAY_MS, gap_ms_by_period, presence
from liqwatch.store.base import Store

GAP_TOLERANCE = 0.01


def own_basis(store: Store, coin: str | None, until: int) -> b.Basis | None:
    spans = store.venue_spans()
    if not spans:
        return None
    first_seen = {s.venue: s.first_ts for s in spans}
    since = max(min(first_seen.values()) // DAY_MS * DAY_MS - DAY_MS, until - b.MAX_BACK_MS)
    if since >= until:
        return None
    everything = store.series(since, until, DAY_MS)
    rows = store.series(since, until, DAY_MS, coins=[coin]) if coin else everything
    present = presence(everything)
    tolerance = int(DAY_MS * GAP_TOLERANCE)
    gap_ms = gap_ms_by_period(store.gaps(since=since, until=until), first_seen, since, until, DAY_MS)
    known: dict[str, list[int]] = {}
    for start, venues in present.items():
        day = start // DAY_MS * DAY_MS
        for v in venues:
            if first_seen[v] <= day + tolerance and gap_ms.get((v, day), 0) <= tolerance:
                known.setdefault(v, []).append(day)
    values = {(r.venue, r.start // DAY_MS * DAY_MS): (r.long_usd, r.short_usd) for r in rows}
    return b.own_basis(coin, values, known)


def bases(store: Store, coin: str | None, until: int) -> list[b.Basis]:
    """liqwatch's own events (all coins or one), and for one coin every stored aggregate family."""
    found = []
    own = own_basis(store, coin, until)
    if own is not None:
        found.append(own)
    if coin:
        found += b.aggregate_bases(store.aggregates(coin, until=until))
    return found


def history_ranks(
    store: Store, kind: b.PeriodKind, period: tuple[int, int], metric: b.Metric, coin: str | None
) -> HistoryRanks:
    """The period's rank on the longest comparable basis of `coin` (None: all coins)."""
    (ranks,) = history_ranks_of(store, kind, period, (metric,), coin)
    return ranks


def history_ranks_of(
    store: Store, kind: b.PeriodKind, period: tuple[int, int], metrics: tuple[b.Metric, ...], coin: str | None
) -> list[HistoryRanks]:
    """history_ranks for several metrics, reading the store once."""
    from liqwatch.report.basis_words import nothing_sentence, rank_sentence

    start, end = period
    found = bases(store, coin, end)
    out = []
    for metric in metrics:
        best, ranks = b.best(found, kind, period, metric)
        sentence = rank_sentence(best) if best is not None else nothing_sentence(kind, coin, start)
        out.append(HistoryRanks(kind, start, end, metric, coin, best, ranks, sentence))
    return out


def history_ranks_json(ranks: HistoryRanks) -> dict[str, object]:
    doc: dict[str, object] = msgspec.to_builtins(ranks)
    if ranks.best is not None:
        doc["best"] = msgspec.to_builtins(ranks.best) | {"is_record": ranks.best.is_record}
    return doc


class ImportedDays(msgspec.Struct, frozen=True):
    """Imported aggregate history of one coin by UTC day, on one named basis (for the daily chart)."""

    basis: str  # "Coinalyze, 6 exchanges", "CoinGlass, every exchange it aggregates"
    days: list[tuple[int, float, float]]  # (UTC day start ms, long USD, short USD), oldest first


def imported_days(store: Store, coin: str, since: int, until: int) -> ImportedDays | None:
    """The stored aggregate family of `coin` that knows the most whole days in [since, until), None
    when none does. Its exchanges are those known on at least 95% of the days the best-covered one
    is; a day counts only when every one of them is known (never a partial sum under a full name)."""
    best: ImportedDays | None = None
    for basis in b.aggregate_bases(store.aggregates(coin, since=since, until=until)):
        lanes = {v: {d: pair for d, pair in lane.items() if since <= d < until} for v, lane in basis.lanes.items()}
        widest = max((len(lane) for lane in lanes.values()), default=0)
        chosen = sorted(v for v, lane in lanes.items() if lane and len(lane) >= 0.95 * widest)
        if not chosen:
            continue
        shared = set.intersection(*(set(lanes[v]) for v in chosen))
        days = [(d, sum(lanes[v][d][0] for v in chosen), sum(lanes[v][d][1] for v in chosen)) for d in sorted(shared)]
        if days and (best is None or len(days) > len(best.days)):
            best = ImportedDays(b.basis_name(basis, chosen), days)
    return best


def imported_coins(store: Store) -> list[str]:
    """The coins the store holds imported aggregate history of."""
    return sorted({s.coin for s in store.aggregate_series()})

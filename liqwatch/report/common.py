"""Shared pieces of the report build: constants, the figure `Book`, small word helpers and the state
every section reads (see report.build for the overview)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import msgspec

from liqwatch.analytics import context, squeeze
from liqwatch.analytics.history import (
    Comparison,
    Metric,
)
from liqwatch.analytics.squeeze import Cascade, Detection
from liqwatch.analytics.summary import WindowSummary
from liqwatch.model import Candle, MarketStat
from liqwatch.report import words
from liqwatch.report.model import (
    CoinRow,
    Figure,
    Inputs,
    Query,
    WindowRow,
)
from liqwatch.timeparse import iso

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
MAJORS = ("BTC", "ETH")
OTHER_COINS = 3  # "top movers": the coins with the most liquidations after BTC and ETH
MIN_COMPARABLE = 7  # ranks need at least this many comparable past periods
MIN_RANK_SPAN_MS = 7 * DAY_MS  # "the largest since D" only when D is at least a week back
ONE_SIDED = squeeze.DEFAULT.min_share  # one source of truth: analytics.squeeze.one_sided
SMALL_USD = 100_000.0  # below this total, or SMALL_COUNT orders, a window is a sample: no news headline
SMALL_COUNT = 10
EDGE = 0.05  # the record starting/stopping this share of the window inside it is stated
EXPECTED_IN_GAP = 20  # ... when the window's own rate would have put at least this many events there


def focus_coins(window: WindowSummary) -> list[str]:
    """BTC and ETH (when liquidated in the window) and the top other coins by USD."""
    present = [c for c in MAJORS if c in window.by_coin]
    others = [c for c, t in window.by_coin.items() if c not in MAJORS and t.total_usd > 0]
    return present + others[:OTHER_COINS]


# --- figures and their queries --------------------------------------------------------------------


def events_cli(
    since: int, until: int, side: str | None = None, coins: Sequence[str] = (), venues: Sequence[str] = ()
) -> str:
    parts = ["liqwatch events", f"--since {iso(since)}", f"--until {iso(until)}"]
    if side:
        parts.append(f"--side {side}")
    if coins:
        parts.append(f"--coin {','.join(coins)}")
    if venues:
        parts.append(f"--venue {','.join(venues)}")
    parts.append("--format jsonl")
    return " ".join(parts)


class Book:
    """The figures of one report, each with its query."""

    def __init__(self) -> None:
        self.figures: dict[str, Figure] = {}

    def _put(self, key: str, figure: Figure) -> str:
        self.figures[key] = figure
        return figure.text

    def events(
        self,
        key: str,
        op: str,
        value: float | int,
        text: str,
        since: int,
        until: int,
        side: str | None = None,
        coins: Sequence[str] = (),
        venues: Sequence[str] = (),
    ) -> str:
        query = Query(
            op=op,
            since=since,
            until=until,
            side=side,
            coins=list(coins),
            venues=list(venues),
            cli=events_cli(since, until, side, coins, venues),
        )
        return self._put(key, Figure(value, text, "count" if op == "count" else "usd", query))

    def usd(self, key: str, value: float, since: int, until: int, **where: Any) -> str:
        return self.events(key, "sum_usd", value, words.money(value), since, until, **where)

    def count(self, key: str, value: int, since: int, until: int, **where: Any) -> str:
        return self.events(key, "count", value, words.count(value), since, until, **where)

    def share(self, key: str, value: float, numerator: str, denominator: str) -> str:
        query = msgspec.structs.replace(self.figures[numerator].query, op="share", of=denominator)
        return self._put(key, Figure(value, words.share(value), "ratio", query))

    def candle(self, key: str, point: context.PricePoint, field: str = "close") -> str:
        query = Query(
            op="candle",
            candle={
                "venue": point.venue,
                "symbol": point.symbol,
                "interval_ms": point.interval_ms,
                "open_ts": point.open_ts,
                "field": field,
            },
        )
        return self._put(key, Figure(point.price, words.price(point.price), "price", query))

    def extreme(self, key: str, ex: context.Extreme, source: tuple[str, str], field: str, text: str) -> str:
        query = Query(
            op="candle",
            candle={
                "venue": source[0],
                "symbol": source[1],
                "interval_ms": ex.interval_ms,
                "open_ts": ex.open_ts,
                "field": field,
            },
        )
        return self._put(key, Figure(ex.price, text, "price", query))

    def json(
        self, key: str, value: float | int | str | None, text: str, unit: str, cli: str, path: Sequence[str]
    ) -> str:
        """A figure read from the JSON a `liqwatch levels …` / `liqwatch wallets …` command prints."""
        return self._put(key, Figure(value, text, unit, Query(op="json", cli=cli, path=list(path))))

    def derived(
        self, key: str, value: float | int | str | None, text: str, unit: str, formula: str, inputs: Sequence[str] = ()
    ) -> str:
        return self._put(key, Figure(value, text, unit, Query(op="derived", formula=formula, inputs=list(inputs))))


# --- the build ------------------------------------------------------------------------------------


def _units_by_venue(rows: Sequence[Any], metric: Metric) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[r.venue] = out.get(r.venue, 0) + r.units(metric)
    return out


def _window(inputs: Inputs, label: str) -> WindowSummary:
    return next(w for w in inputs.summary.windows if w.label == label)


def _gap_sentences(inputs: Inputs) -> list[str]:
    if not inputs.gaps:
        return []
    start = inputs.at - inputs.window[1]
    same: dict[tuple[int, int, str], list[str]] = {}  # one stretch and reason, the venues it hit
    for g in inputs.gaps:
        lo, hi = max(g.start, start), min(g.end, inputs.at)
        same.setdefault((lo, hi, g.reason), []).append(words.venue_name(g.venue))
    parts = [
        f"{words.join(names)} {_dated_range(lo, hi, inputs.at)} ({words.duration(hi - lo)}, {reason})"
        for (lo, hi, reason), names in same.items()
    ]
    return [
        f"Feed gaps in the window: {'; '.join(parts)}. Liquidations during a gap were not received, "
        "so the figures miss them."
    ]


def _when(ts: int, at: int) -> str:
    """ "14:05 UTC", with the date when it is not the day of `at`: "14:05 UTC on 20 November"."""
    if ts // DAY_MS == at // DAY_MS:
        return words.clock(ts)
    return f"{words.clock(ts)} on {_day_month(ts)}"


def _dated_range(lo: int, hi: int, at: int) -> str:
    """ "14:00–15:00 UTC", with the day when it is not the day of `at`: "14:00–15:00 UTC on 20 November"."""
    text = f"{words.clock(lo)[:5]}–{words.clock(hi)}"
    if lo // DAY_MS != (hi - 1) // DAY_MS:
        return f"{words.clock(lo)} on {_day_month(lo)} to {words.clock(hi)} on {_day_month(hi)}"
    if (hi - 1) // DAY_MS != at // DAY_MS:
        text += f" on {_day_month(lo)}"
    return text


def _sigma_text(value: float, threshold: float) -> str:
    """One decimal, or more when one decimal would blur which side of the threshold it is on."""
    for digits in (1, 2, 3):
        text = f"{value:.{digits}f}"
        if (float(text) >= threshold) == (value >= threshold):
            return text
    return f"{value:.4f}"


def _stat_at(series: Sequence[MarketStat], t: int, max_age: int = 2 * HOUR_MS) -> float | None:
    best = None
    for s in series:
        if s.ts <= t and t - s.ts <= max_age and (best is None or s.ts > best.ts):
            best = s
    return None if best is None else best.value


def _ceil_clean(p: float) -> float:
    if p <= 0:
        return p
    step = 10.0 ** (math.floor(math.log10(p)) - 2)
    return math.ceil(p / step - 1e-9) * step


def _strength(verdict: str) -> int:
    if verdict in ("short_squeeze", "long_cascade"):
        return 3
    if verdict in ("short_liquidation_spike", "long_liquidation_spike"):
        return 2
    if verdict in ("shorts_dominated", "longs_dominated"):
        return 1
    return 0


def _day_month(ms: int) -> str:
    """ "20 November" (the year is in the dateline)."""
    return words.date(ms).rsplit(" ", 1)[0]


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")


def _comparison_json(c: Comparison) -> dict[str, Any]:
    return {
        "metric": c.metric,
        "coin": c.coin,
        "length": c.length,
        "current_start": c.current_start,
        "current_usd": c.current_usd,
        "venues": c.venues,
        "history_start": c.history_start,
        "examined": c.examined,
        "comparable": len(c.comparable),
        "excluded": c.excluded,
        "rank": c.rank,
        "record": c.is_record,
        "since": None if c.since is None else msgspec.to_builtins(c.since),
        "prior": None if c.prior is None else msgspec.to_builtins(c.prior),
    }


class _StateBase:
    """The pieces of one build, computed once and shared by the sections."""

    comparisons: dict[tuple[str | None, Metric], Comparison]

    def __init__(self, inputs: Inputs, main: WindowSummary, book: Book) -> None:
        self.inputs = inputs
        self.main = main
        self.book = book
        self.at = inputs.at
        self.label, self.length = inputs.window
        self.start = self.at - self.length
        self.window_rows: list[WindowRow] = []
        self.slice_rows: list[WindowRow] = []
        self.coin_rows: list[CoinRow] = []
        self.comparisons_used: list[Comparison] = []
        self.detections: list[Detection] = []
        self.cascade_list: list[Cascade] = []
        self.venues = sorted(main.coverage)
        self.sampled = [v for v, c in main.coverage.items() if c == "sampled"]
        self.coins_focus = focus_coins(main)
        self.first_seen = {s.venue: s.first_ts for s in inputs.spans}
        self.sources: dict[str, tuple[str, str]] = {}
        self.hourly: dict[str, list[Candle]] = {}
        self.daily: dict[str, list[Candle]] = {}
        for coin, candles in inputs.candles.items():
            source = context.pick_source(candles)
            if source is None:
                continue
            self.sources[coin] = source
            self.hourly[coin] = context.of_source(candles, source, HOUR_MS)
            self.daily[coin] = context.of_source(candles, source, DAY_MS)
        self.price_facts: dict[str, dict[str, Any]] = {}
        self.small = main.total_usd < SMALL_USD or main.count < SMALL_COUNT
        self.sections_written: list[str] = []  # keys of the sections built so far (build fills it)
        spans = inputs.spans
        self.data_start = min((sp.first_ts for sp in spans), default=self.at)
        self.data_end = max((sp.last_ts for sp in spans), default=self.start)

    # --- coverage -----------------------------------------------------------------------------

    def _silent_stretch(self, empty_ms: int) -> bool:
        """An empty stretch at the window's edge says the record starts or stops there only when it
        is long (EDGE of the window) and, at the rate seen elsewhere in the window, would have held
        at least EXPECTED_IN_GAP events: a sparse feed's quiet first hours are not a missing record."""
        covered = self.length - empty_ms
        if empty_ms <= EDGE * self.length or covered <= 0:
            return False
        return self.main.count * empty_ms / covered >= EXPECTED_IN_GAP

    @property
    def starts_inside(self) -> bool:
        """liqwatch's stored record starts inside the window (see _silent_stretch)."""
        return self.data_start > self.start and self._silent_stretch(self.data_start - self.start)

    @property
    def stops_inside(self) -> bool:
        return self.data_end < self.at and self._silent_stretch(self.at - self.data_end)

    def unrecorded(self) -> list[tuple[int, int]]:
        """The window's stretches outside liqwatch's record: before it starts, after it stops, and
        the outages of every feed (the chart shades them; the text says so)."""
        out = []
        if self.starts_inside:
            out.append((self.start, self.data_start))
        out += self.outages()
        if self.stops_inside:
            out.append((self.data_end, self.at))
        return out

    def outages(self) -> list[tuple[int, int]]:
        """Stretches of the window when every venue of the window had a feed gap (the recorder was
        blind), at least EDGE of the window long."""
        venues = set(self.venues)
        if not venues:
            return []
        edges = sorted({t for g in self.inputs.gaps for t in (max(g.start, self.start), min(g.end, self.at))})
        out: list[tuple[int, int]] = []
        for lo, hi in itertools.pairwise(edges):
            down = {g.venue for g in self.inputs.gaps if g.start <= lo and g.end >= hi}
            if venues <= down:
                if out and out[-1][1] == lo:
                    out[-1] = (out[-1][0], hi)
                else:
                    out.append((lo, hi))
        return [(lo, hi) for lo, hi in out if hi - lo >= EDGE * self.length]

    def recorded(self, lo: int, hi: int) -> bool:
        """False when the whole stretch (lo, hi] lies before the record starts or after it stops."""
        if self.starts_inside and hi <= self.data_start:
            return False
        return not (self.stops_inside and lo >= self.data_end)

    # --- times in words -------------------------------------------------------------------------

    def when(self, ts: int) -> str:
        """ "14:05 UTC", with the date when it is not the day of the report's end."""
        return _when(ts, self.at)

    def span_words(self, lo: int, hi: int) -> str:
        """ "14:00–15:00 UTC", dated when not the report's end day: "14:00–15:00 UTC on 20 November"."""
        return _dated_range(lo, hi, self.at)

    # --- words shared by sections -------------------------------------------------------------

    @property
    def window_words(self) -> str:
        return f"the {words.period(self.length)} to {words.moment(self.at)}"

    @property
    def noun(self) -> str:
        """ "day" for 24 hours, "hour" for one, else "4-hour period"."""
        if self.length in (DAY_MS, HOUR_MS):
            return "day" if self.length == DAY_MS else "hour"
        return f"{words.period_adjective(self.length)} period"

    @property
    def where(self) -> str:
        names = [words.venue_name(v) for v in self.venues]
        return f"on {names[0]}" if len(names) == 1 else f"across {words.join(names)}"

    @property
    def source(self) -> str:
        """ "from Bybit", "from three exchanges" (the names are in the data note)."""
        if len(self.venues) == 1:
            return f"from {words.venue_name(self.venues[0])}"
        return f"from {words.number_word(len(self.venues))} exchanges"

    @property
    def subject(self) -> str:
        if len(self.venues) >= 3:
            return "Crypto"
        return " and ".join(words.venue_name(v) for v in self.venues)

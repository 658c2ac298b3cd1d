"""Build the report: Inputs → Report. Pure: the same inputs always give the same article.

Every number printed goes through `Book`, which records it as a Figure with the query that
produced it (report.model.Query), so `liqwatch report --format json` can be checked figure by
figure against `liqwatch events`. Sentences only say what the figures support: a price is
mentioned only when stored candles give it, a rank only against comparable past periods
(analytics.history), a squeeze only when the detector's checks pass (analytics.squeeze), and
totals from sampled venues are called lower bounds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import msgspec

from liqwatch.analytics import context
from liqwatch.analytics.history import (
    Comparison,
    Metric,
    PastPeriod,
    compare,
    days_before_words,
    periods,
    presence,
    span_words,
)
from liqwatch.analytics.squeeze import Baseline, Cascade, Detection, PriceInput, cascades, detect
from liqwatch.analytics.summary import WindowSummary, iso_ms, units_to_usd
from liqwatch.model import Candle, MarketStat
from liqwatch.report import words
from liqwatch.report.model import (
    Bar,
    CoinRow,
    Figure,
    Inputs,
    PriceLine,
    Query,
    Report,
    Section,
    VenueRow,
    WindowRow,
)
from liqwatch.timeparse import iso

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
MAJORS = ("BTC", "ETH")
OTHER_COINS = 3  # "top movers": the coins with the most liquidations after BTC and ETH
MIN_COMPARABLE = 7  # ranks need at least this many comparable past periods
MIN_RANK_SPAN_MS = 7 * DAY_MS  # "the largest since D" only when D is at least a week back
ONE_SIDED = 0.70  # "short sellers hit hard" when shorts are at least 70% of the USD


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


def build(inputs: Inputs) -> Report:
    label, length = inputs.window
    at = inputs.at
    start = at - length
    main = _window(inputs, label)
    book = Book()
    if main.count == 0:
        return _empty(inputs, book)
    state = _State(inputs, main, book)
    candidates = [
        state.lead(),
        state.timeframes(),
        state.coins(),
        state.largest(),
        state.prices(),
        state.history(),
        state.signals(),
    ]
    sections = [s for s in candidates if s is not None and s.paragraphs]
    sections.append(state.bottom_line())
    sections.append(state.data_note())
    headline, dek = state.headline()
    return Report(
        at=at,
        at_iso=iso_ms(at),
        window=label,
        start=start,
        end=at,
        empty=False,
        headline=headline,
        dek=dek,
        sections=sections,
        figures=book.figures,
        windows=state.window_rows,
        slices=state.slice_rows,
        coins=state.coin_rows,
        venues=state.venue_rows(),
        bars=state.bars(),
        price_line=state.price_line(),
        largest=main.largest,
        comparisons=[_comparison_json(c) for c in state.comparisons_used],
        signals=[msgspec.to_builtins(d) for d in state.detections],
        cascades=[msgspec.to_builtins(c) for c in state.cascade_list],
        gaps=list(inputs.gaps),
    )


def _empty(inputs: Inputs, book: Book) -> Report:
    label, length = inputs.window
    at = inputs.at
    start = at - length
    book.count("count", 0, start, at)
    window_words = f"the {words.period(length)} to {words.moment(at)}"
    if not inputs.spans:
        headline = "No liquidations recorded"
        text = (
            "The liqwatch store holds no liquidations yet: import a capture journal or Tardis CSV file "
            "(`liqwatch import FILE…`) or collect live (`liqwatch run`), then run the report again."
        )
    else:
        headline = f"No liquidations recorded in {window_words}"
        held = [
            f"{words.venue_name(s.venue)} from {words.moment(s.first_ts)} to {words.moment(s.last_ts)}"
            for s in inputs.spans
        ]
        text = (
            f"liqwatch recorded no liquidation orders in {window_words}. "
            f"The store holds {words.join(held)}. A window without events says nothing about the market: "
            "the feeds may not have been collected then."
        )
    note = _gap_sentences(inputs)
    sections = [Section("lead", "", [text])]
    if note:
        sections.append(Section("data_note", "About the data", note))
    return Report(
        at=at,
        at_iso=iso_ms(at),
        window=label,
        start=start,
        end=at,
        empty=True,
        headline=headline,
        dek="",
        sections=sections,
        figures=book.figures,
        windows=[],
        slices=[],
        coins=[],
        venues=[],
        bars=[],
        price_line=None,
        largest=None,
        comparisons=[],
        signals=[],
        cascades=[],
        gaps=list(inputs.gaps),
    )


def _gap_sentences(inputs: Inputs) -> list[str]:
    if not inputs.gaps:
        return []
    start = inputs.at - inputs.window[1]
    parts = []
    for g in inputs.gaps:
        lo, hi = max(g.start, start), min(g.end, inputs.at)
        parts.append(
            f"{words.venue_name(g.venue)} {words.clock(lo)}–{words.clock(hi)} ({words.duration(hi - lo)}, {g.reason})"
        )
    return [
        f"Feed gaps in the window: {words.join(parts)}. Liquidations during a gap were not received, "
        "so the figures miss them."
    ]


class _State:
    """The pieces of one build, computed once and shared by the sections."""

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
        self.comparisons = self._compare_all()
        self.detect_all()

    # --- words shared by sections -------------------------------------------------------------

    @property
    def window_words(self) -> str:
        return f"the {words.period(self.length)} to {words.moment(self.at)}"

    @property
    def noun(self) -> str:
        """ "day" for 24 hours, else "4-hour period"."""
        return "day" if self.length == DAY_MS else f"{words.period_adjective(self.length)} period"

    @property
    def where(self) -> str:
        names = [words.venue_name(v) for v in self.venues]
        return f"on {names[0]}" if len(names) == 1 else f"across {words.join(names)}"

    @property
    def subject(self) -> str:
        if len(self.venues) >= 3:
            return "Crypto"
        return " and ".join(words.venue_name(v) for v in self.venues)

    # --- lead ---------------------------------------------------------------------------------

    def lead(self) -> Section:
        m, b, s, at = self.main, self.book, self.start, self.at
        total = b.usd("total_usd", m.total_usd, s, at)
        long_ = b.usd("long_usd", m.long_usd, s, at, side="long")
        short = b.usd("short_usd", m.short_usd, s, at, side="short")
        n = b.count("count", m.count, s, at)
        text = [f"Liquidations {self.where} totalled {total} in {self.window_words}, according to liqwatch data."]
        if m.total_usd > 0:
            short_share = b.share("short_share", m.short_usd / m.total_usd, "short_usd", "total_usd")
            long_share = b.share("long_share", m.long_usd / m.total_usd, "long_usd", "total_usd")
            if m.long_usd == 0:
                text.append("All of it came from short positions.")
            elif m.short_usd == 0:
                text.append("All of it came from long positions.")
            elif m.short_usd >= m.long_usd:
                text.append(f"Short positions accounted for {short} ({short_share}) and longs for {long_}.")
            else:
                text.append(f"Long positions accounted for {long_} ({long_share}) and shorts for {short}.")
        text.append(f"At least {n} liquidation orders were recorded.")
        if m.unpriced_count:
            u = b.derived(
                "unpriced_count",
                m.unpriced_count,
                words.count(m.unpriced_count),
                "count",
                "count of the window's events whose usd is null",
                ["count"],
            )
            text.append(f"{u} of them have no USD value (unknown contract size) and are not in the totals.")
        if self.sampled:
            names = words.join([words.venue_name(v) for v in self.sampled])
            verb = "publishes" if len(self.sampled) == 1 else "publish"
            text.append(
                f"{names} {verb} only a sample of {'its' if len(self.sampled) == 1 else 'their'} liquidations, "
                "so the true totals are higher: these figures are lower bounds."
            )
        return Section("lead", "", [" ".join(text)])

    # --- timeframes -----------------------------------------------------------------------------

    def timeframes(self) -> Section:
        b, at = self.book, self.at
        parts = []
        for label, length in self.inputs.windows:
            w = _window(self.inputs, label)
            s = at - length
            key = f"windows.{label}"
            total = b.usd(f"{key}.total_usd", w.total_usd, s, at)
            long_ = b.usd(f"{key}.long_usd", w.long_usd, s, at, side="long")
            short = b.usd(f"{key}.short_usd", w.short_usd, s, at, side="short")
            b.count(f"{key}.count", w.count, s, at)
            self.window_rows.append(WindowRow(label, s, at, w.long_usd, w.short_usd, w.total_usd, w.count))
            if (label, length) != self.inputs.window:
                parts.append(
                    f"{total} in the last {words.period(length)} ({_sides(w.long_usd, long_, w.short_usd, short)})"
                )
        paragraphs = []
        if parts:
            paragraphs.append("By timeframe: " + "; ".join(parts) + ".")
        slice_text = self._slices()
        if slice_text:
            paragraphs.append(slice_text)
        return Section("timeframes", "Timeframes", paragraphs)

    def _slices(self) -> str | None:
        if len(self.inputs.slices) < 2:
            return None
        b = self.book
        best: tuple[int, int, str] | None = None  # (units, index, label): the first maximum wins
        for i, sl in enumerate(self.inputs.slices):
            long_units = sum(r.long_units for r in sl.rows)
            short_units = sum(r.short_units for r in sl.rows)
            n = sum(r.count for r in sl.rows)
            key = f"slices.{sl.label}"
            b.usd(f"{key}.total_usd", units_to_usd(long_units + short_units), sl.start, sl.end)
            b.usd(f"{key}.long_usd", units_to_usd(long_units), sl.start, sl.end, side="long")
            b.usd(f"{key}.short_usd", units_to_usd(short_units), sl.start, sl.end, side="short")
            b.count(f"{key}.count", n, sl.start, sl.end)
            self.slice_rows.append(
                WindowRow(
                    sl.label,
                    sl.start,
                    sl.end,
                    units_to_usd(long_units),
                    units_to_usd(short_units),
                    units_to_usd(long_units + short_units),
                    n,
                )
            )
            units = long_units + short_units
            if best is None or units > best[0]:
                best = (units, i, sl.label)
        if best is None or best[0] <= 0 or self.main.total_usd <= 0:
            return None
        sl = self.inputs.slices[best[1]]
        key = f"slices.{sl.label}"
        share = b.share(f"{key}.share", units_to_usd(best[0]) / self.main.total_usd, f"{key}.total_usd", "total_usd")
        total = b.figures[f"{key}.total_usd"].text
        when = "in the last hour" if sl.start == self.at - HOUR_MS and sl.end == self.at else _ago(sl.label)
        return (
            f"The heaviest damage came {when}: {total}, {share} of the {words.period_adjective(self.length)} total "
            f"({_clock_range(sl.start, sl.end)})."
        )

    # --- coins ----------------------------------------------------------------------------------

    def coins(self) -> Section:
        b, s, at = self.book, self.start, self.at
        lines = []
        for coin in self.coins_focus:
            t = self.main.by_coin[coin]
            key = f"coins.{coin}"
            long_ = b.usd(f"{key}.long_usd", t.long_usd, s, at, side="long", coins=[coin])
            short = b.usd(f"{key}.short_usd", t.short_usd, s, at, side="short", coins=[coin])
            total = b.usd(f"{key}.total_usd", t.total_usd, s, at, coins=[coin])
            b.count(f"{key}.count", t.count, s, at, coins=[coin])
            self.coin_rows.append(CoinRow(coin, t.long_usd, t.short_usd, t.total_usd, t.count))
            if coin in MAJORS:
                lines.append(f"{coin}: {_sides(t.long_usd, long_, t.short_usd, short, larger_first=True)}.")
            else:
                side = "shorts" if t.short_usd >= t.long_usd else "longs"
                part = t.short_usd if side == "shorts" else t.long_usd
                share = b.share(
                    f"{key}.{side[:-1]}_share",
                    part / t.total_usd,
                    f"{key}.{side[:-1]}_usd",
                    f"{key}.total_usd",
                )
                lines.append(f"{coin}: {total} ({share} {side}).")
        for coin, t in self.main.by_coin.items():  # the table lists every coin
            if coin not in self.coins_focus:
                self.coin_rows.append(CoinRow(coin, t.long_usd, t.short_usd, t.total_usd, t.count))
        others = [c for c in self.coins_focus if c not in MAJORS]
        paragraphs = []
        majors = [line for line in lines if line.split(":")[0] in MAJORS]
        if majors:
            paragraphs.append(" ".join(majors))
        if others:
            paragraphs.append(
                "Among other coins, the most liquidated were "
                + words.join([line.rstrip(".").replace(":", "") for line in lines if line.split(":")[0] in others])
                + "."
            )
        return Section("coins", "By coin", paragraphs)

    # --- largest --------------------------------------------------------------------------------

    def largest(self) -> Section | None:
        e = self.main.largest
        if e is None or e.usd is None:
            return None
        b, s, at = self.book, self.start, self.at
        usd = b.events("largest.usd", "largest", e.usd, words.money(e.usd), s, at)
        b.derived("largest.id", e.id, e.id, "id", "id of the largest event", ["largest.usd"])
        text = (
            f"The largest single liquidation order was {usd} on {words.venue_name(e.venue)}'s {e.symbol}, "
            f"a {e.side} position, at {words.clock(e.ts)}."
        )
        return Section("largest", "Largest order", [text])

    # --- prices ---------------------------------------------------------------------------------

    def prices(self) -> Section | None:
        paragraphs = []
        for coin in self.coins_focus:
            text = self._price_sentence(coin)
            if text:
                paragraphs.append(text)
        return Section("prices", "Prices", paragraphs) if paragraphs else None

    def _price_sentence(self, coin: str) -> str | None:
        hourly = self.hourly.get(coin)
        if not hourly:
            return None
        b = self.book
        moves = context.moves(hourly, self.daily.get(coin, []), self.at)
        if not moves:
            return None
        by_label = {m.label: m for m in moves}
        key = f"prices.{coin}"
        main_label = self.label if self.label in ("1h", "24h", "7d") else "24h"
        span = {"1h": HOUR_MS, "24h": DAY_MS, "7d": 7 * DAY_MS}[main_label]
        main = by_label.get(main_label)
        end_point = moves[0].end
        end_text = b.candle(f"{key}.close", end_point)
        facts: dict[str, Any] = {}
        for m in moves:
            b.candle(f"{key}.{m.label}.start", m.start)
            b.derived(
                f"{key}.change_{m.label}",
                m.change,
                words.change(m.change),
                "ratio",
                "end ÷ start − 1",
                [f"{key}.close", f"{key}.{m.label}.start"],
            )
        name = words.coin_name(coin)
        if main is None:
            return f"{name} was at {end_text} at {words.clock(self.at)}."
        chg = main.change
        period = words.period(span)
        if abs(chg) < 0.001:
            sentence = f"{name} was little changed over the {period} at {end_text}"
        else:
            verb = "rose" if chg > 0 else "fell"
            sentence = f"{name} {verb} {words.change(chg)} over the {period} to {end_text}"
        facts["change"] = chg
        clauses = []
        crossing = context.crossing(hourly, self.at - span, self.at)
        if crossing is not None:
            b.derived(
                f"{key}.crossed",
                crossing.level,
                words.level(crossing.level),
                "price",
                "a round level between the window's first and last close"
                if crossing.direction == "up"
                else "a round level between the window's last and first close",
                [f"{key}.close"],
            )
            facts["crossing"] = crossing
            lvl = words.level(crossing.level)
            if crossing.direction == "up":
                clauses.append(f"reclaiming {lvl}" if crossing.reclaimed else f"pushing past {lvl}")
            else:
                clauses.append(f"slipping back below {lvl}" if crossing.reclaimed else f"falling below {lvl}")
        extremes = context.window_extremes(hourly, self.at - span, self.at)
        source = self.sources[coin]
        if extremes is not None:
            high, low = extremes
            if chg > 0 and high.price >= end_point.price * 1.01:
                touched = context.floor_clean(high.price)
                clauses.append(
                    "briefly touching " + b.extreme(f"{key}.high", high, source, "high", words.price(touched))
                )
                facts["high"] = high
            elif chg < 0 and low.price <= end_point.price * 0.99:
                clauses.append(
                    "briefly dipping to "
                    + b.extreme(f"{key}.low", low, source, "low", words.price(_ceil_clean(low.price)))
                )
            record = context.high_record(hourly + self.daily.get(coin, []), high, self.at - span)
            if record is not None and chg > 0:
                span = self.at - record.history_start
                if record.is_new_high and span >= 30 * DAY_MS:
                    b.extreme(f"{key}.window_high", high, source, "high", words.price(high.price))
                    clauses.append(
                        "the highest price in liqwatch's price record, which starts on "
                        + words.date(record.history_start)
                    )
                elif record.previous_higher is not None:
                    prev = record.previous_higher
                    since_ms = self.at - (prev.open_ts + prev.interval_ms)
                    if since_ms >= 30 * DAY_MS:
                        b.extreme(f"{key}.window_high", high, source, "high", words.price(high.price))
                        clauses.append(f"its highest since {words.date(prev.open_ts)}")
        if clauses:
            sentence += ", " + ", ".join(clauses)
        sentence += f" ({words.venue_name(source[0])} {source[1]})."
        extra = []
        for lbl, phrase in (("7d", "over seven days"), ("ytd", "this year")):
            other = by_label.get(lbl)
            if other is not None and lbl != main_label:
                direction = "up" if other.change >= 0 else "down"
                extra.append(f"{direction} {words.change(other.change)} {phrase}")
        if extra:
            sentence += f" It is {words.join(extra)}."
        self.price_facts[coin] = facts
        return sentence

    # --- history --------------------------------------------------------------------------------

    def _compare_all(self) -> dict[tuple[str | None, Metric], Comparison]:
        out: dict[tuple[str | None, Metric], Comparison] = {}
        inputs = self.inputs
        if not inputs.history:
            return out
        pres = presence(inputs.history)
        scopes: list[tuple[str | None, list[Any], list[Any]]] = [(None, inputs.current, inputs.history)]
        for coin in self.coins_focus:
            if coin in inputs.coin_history and coin in inputs.coin_current:
                scopes.append((coin, inputs.coin_current[coin], inputs.coin_history[coin]))
        metrics: tuple[Metric, ...] = ("long", "short", "total")
        for scope, current, history in scopes:
            for m in metrics:
                out[(scope, m)] = compare(
                    _units_by_venue(current, m),
                    periods(history, m),
                    pres,
                    inputs.history_gaps,
                    self.first_seen,
                    metric=m,
                    current_start=self.start,
                    length=self.length,
                    coin=scope,
                )
        return out

    def _period_noun(self) -> str:
        if self.length == DAY_MS and self.at % DAY_MS == 0:
            return "for a single day"
        return f"for a {words.period_adjective(self.length)} period"

    def _past_when(self, p: PastPeriod) -> str:
        if self.length == DAY_MS and self.at % DAY_MS == 0:
            return words.day_of(p.end)
        return f"the {words.period(self.length)} to {words.moment(p.end)}"

    def history(self) -> Section | None:
        paragraphs = []
        m = self.main
        side: Metric = "short" if m.short_usd >= m.long_usd else "long"
        for coin, metric in ((None, side), (None, "total"), *[(c, side) for c in MAJORS if c in self.coins_focus]):
            c = self.comparisons.get((coin, metric))
            if c is None or (metric == "total" and (m.long_usd == 0 or m.short_usd == 0)):
                continue  # one-sided: the total is the side, said once
            text = self._rank_sentence(c, rank_only=coin is None)
            if text is None and coin is None and metric == "total":
                text = self._median_sentence(c)
            if text:
                paragraphs.append(text)
        if not paragraphs:
            return None
        used = self.comparisons_used
        n = max(len(c.comparable) for c in used)
        first = min(c.comparable[0].start for c in used if c.comparable)
        excluded = max(sum(c.excluded.values()) for c in used)
        note = (
            f"Ranks compare only periods in which the same venues were collecting without significant gaps: "
            f"{words.count(n)} comparable {words.period_adjective(self.length)} periods since {words.date(first)}"
        )
        if excluded:
            note += f" ({words.count(excluded)} other{'s' * (excluded != 1)} left out)."
        else:
            note += "."
        paragraphs.append(note)
        return Section("history", "In context", paragraphs)

    def _median_sentence(self, c: Comparison) -> str | None:
        """Total liquidations against the median of the most recent fully covered comparable periods."""
        base = c.baseline(30)
        if len(base) < MIN_COMPARABLE or c.current_units <= 0:
            return None
        values = sorted(p.units for p in base)
        mid = len(values) // 2
        median_units = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) // 2
        if median_units <= 0:
            return None
        median = units_to_usd(median_units)
        text = self.book.derived(
            "history.all.total.median_usd",
            median,
            words.money(median),
            "usd",
            f"median of the total USD of the {len(base)} most recent comparable periods with every venue covered "
            "(comparisons: all, total)",
            ["total_usd"],
        )
        self.comparisons_used.append(c)
        ratio = c.current_units / median_units
        if 0.9 <= ratio <= 1.1:
            where = "close to"
        elif ratio > 1:
            where = "above"
        else:
            where = "below"
        return (
            f"Total liquidations were {where} the median of the previous {words.count(len(base))} comparable "
            f"{words.period_adjective(self.length)} periods ({text})."
        )

    def _what(self, c: Comparison) -> str:
        scope = f"{c.coin} " if c.coin else ""
        if c.metric == "total":
            return f"{scope}liquidations" if c.coin else "total liquidations"
        return f"{scope}{c.metric} liquidations"

    def _rank_sentence(self, c: Comparison, rank_only: bool = True) -> str | None:
        if len(c.comparable) < MIN_COMPARABLE or c.current_units <= 0:
            return None
        b = self.book
        scope = c.coin or "all"
        key = f"history.{scope}.{c.metric}"
        noun = self._period_noun()
        what = self._what(c)
        current_key = {"total": "total_usd", "long": "long_usd", "short": "short_usd"}[c.metric]
        if c.coin:
            current_key = f"coins.{c.coin}.{current_key}"
        current = b.figures[current_key].text if current_key in b.figures else words.money(c.current_usd)
        sentence = None
        if c.is_record:
            span = self.at - c.comparable[0].start
            if span < MIN_RANK_SPAN_MS:
                return None
            b.derived(
                f"{key}.rank",
                1,
                "1",
                "rank",
                f"rank of the current value among {len(c.comparable)} comparable periods",
                [current_key],
            )
            sentence = (
                f"{words.sentence_case(what)} ({current}) were the largest {noun} in liqwatch's records, "
                f"which reach back to {words.date(c.comparable[0].start)} "
                f"({words.count(len(c.comparable))} comparable periods)."
            )
        elif c.since is not None:
            since = c.since
            gap = self.start - since.end
            if gap >= MIN_RANK_SPAN_MS:
                since_text = self._past_figure(f"{key}.since_usd", since, c)
                most = span_words(self.start - since.start)
                sentence = (
                    f"{words.sentence_case(what)} ({current}) were the largest {noun} since "
                    f"{self._past_when(since)} ({since_text})"
                )
                if most:
                    sentence += f", the most in {most}"
                sentence += "."
            elif c.rank <= 3 and rank_only:
                b.derived(
                    f"{key}.rank",
                    c.rank,
                    words.count(c.rank),
                    "rank",
                    f"1 + comparable periods greater than the current value, of {len(c.comparable)}",
                    [current_key],
                )
                sentence = (
                    f"{words.sentence_case(what)} ranked {_ordinal(c.rank)} of the "
                    f"{words.count(len(c.comparable) + 1)} "
                    f"comparable {words.period_adjective(self.length)} periods on record, this one included."
                )
        prior = c.prior
        one_sided = (
            c.coin is None
            and c.metric != "total"
            and self.main.total_usd > 0
            and (self.main.short_usd if c.metric == "short" else self.main.long_usd) >= ONE_SIDED * self.main.total_usd
        )
        if prior is not None and one_sided and prior.units * 2 >= prior.current_units and prior.units > 0:
            days = (self.start - prior.start) // self.length
            prior_text = self._past_figure(f"{key}.prior_usd", prior, c)
            when = (
                days_before_words(days)
                if self.length == DAY_MS
                else f"in the {words.period(self.length)} to {words.moment(prior.end)}"
            )
            if sentence:
                sentence += f" They follow {prior_text} of {what} {when}."
            else:
                sentence = f"The {current} in {what} follows {prior_text} {when}."
        if sentence:
            self.comparisons_used.append(c)
        return sentence

    def _past_figure(self, key: str, p: PastPeriod, c: Comparison) -> str:
        side = None if c.metric == "total" else c.metric
        coins = [c.coin] if c.coin else []
        return self.book.usd(key, p.usd, p.start, p.end, side=side, coins=coins, venues=p.venues)

    # --- signals --------------------------------------------------------------------------------

    def detect_all(self) -> None:
        scopes: list[str | None] = [None, *[c for c in MAJORS if c in self.coins_focus]]
        for coin in scopes:
            rows = self.inputs.current if coin is None else self.inputs.coin_current.get(coin, [])
            long_units = sum(r.long_units for r in rows)
            short_units = sum(r.short_units for r in rows)
            base = {}
            sides: tuple[Metric, ...] = ("long", "short")
            for metric in sides:
                c = self.comparisons.get((coin, metric))
                if c is not None:
                    periods_ = c.baseline(30)
                    base[metric] = Baseline([p.start for p in periods_], [p.units for p in periods_])
            price_coin = coin or "BTC"
            self.detections.append(
                detect(
                    scope=coin or "all coins",
                    window=self.label,
                    start=self.start,
                    end=self.at,
                    long_units=long_units,
                    short_units=short_units,
                    baseline_long=base.get("long"),
                    baseline_short=base.get("short"),
                    price=self._price_input(price_coin),
                    oi_change=self._oi_change(price_coin),
                    funding=self._funding(price_coin),
                )
            )
        if self.inputs.events is not None:
            found = cascades(self.inputs.events, "short", self.start, self.at) + cascades(
                self.inputs.events, "long", self.start, self.at
            )
            self.cascade_list = sorted(found, key=lambda c: (-c.usd, c.start))[:3]

    def _price_input(self, coin: str) -> PriceInput | None:
        hourly = self.hourly.get(coin)
        if not hourly:
            return None
        a = context.price_at(hourly, self.start)
        z = context.price_at(hourly, self.at)
        if a is None or z is None:
            return None
        vol = context.realized_volatility(hourly, self.start, self.length, 30)
        venue, symbol = self.sources[coin]
        return PriceInput(
            log_return=context.Move(self.label, a, z).log_return,
            sigma=vol.sigma,
            periods=len(vol.returns),
            source=f"{words.venue_name(venue)} {symbol} hourly closes",
        )

    def _oi_change(self, coin: str) -> float | None:
        stats = self.inputs.open_interest.get(coin, [])
        start_sum = end_sum = 0.0
        found = False
        for key in sorted({(s.venue, s.symbol) for s in stats}):
            series = [s for s in stats if (s.venue, s.symbol) == key]
            a = _stat_at(series, self.start)
            z = _stat_at(series, self.at)
            if a is not None and z is not None and a > 0:
                start_sum += a
                end_sum += z
                found = True
        return end_sum / start_sum - 1.0 if found and start_sum > 0 else None

    def _funding(self, coin: str) -> float | None:
        stats = self.inputs.funding.get(coin, [])
        values = []
        for key in sorted({(s.venue, s.symbol) for s in stats}):
            v = _stat_at([s for s in stats if (s.venue, s.symbol) == key], self.start, max_age=DAY_MS)
            if v is not None:
                values.append(v)
        return sum(values) / len(values) if values else None

    def signals(self) -> Section | None:
        paragraphs = []
        for i, d in enumerate(self.detections):
            text = self._signal_sentence(d, i)
            if text:
                paragraphs.append(text)
        for i, c in enumerate(self.cascade_list):
            paragraphs.append(self._cascade_sentence(c, i))
        return Section("signals", "What this signals", paragraphs) if paragraphs else None

    def _signal_sentence(self, d: Detection, index: int) -> str | None:
        """What the detector found for one scope, saying no more than its checks support."""
        b = self.book
        scope = "all" if d.scope == "all coins" else d.scope
        if d.side is None or d.share is None:
            return None
        key = f"signals.{scope}"
        side_key = f"{d.side}_usd" if scope == "all" else f"coins.{scope}.{d.side}_usd"
        total_key = "total_usd" if scope == "all" else f"coins.{scope}.total_usd"
        if side_key not in b.figures or total_key not in b.figures:
            return None
        sides = f"{d.side}s"
        of_what = "liquidations" if scope == "all" else f"{scope} liquidations"
        price_coin = "Bitcoin" if scope == "all" else words.coin_name(scope)
        z_text = None
        if d.z is not None and d.baseline_mean_usd is not None:
            z_text = b.derived(
                f"{key}.z",
                d.z,
                _sigma_text(d.z, 3.0),
                "sigma",
                f"({d.side} USD − mean) ÷ sample standard deviation of the {d.side} USD of the "
                f"{d.baseline_periods} most recent fully covered comparable periods (comparisons, {scope})",
                [side_key],
            )
            b.derived(
                f"{key}.baseline_mean_usd",
                d.baseline_mean_usd,
                words.money(d.baseline_mean_usd),
                "usd",
                f"mean {d.side} USD of those {d.baseline_periods} periods",
            )
        move = d.check("move")
        oi = d.check("oi")
        if d.verdict in ("short_squeeze", "long_cascade") and (
            index == 0 or _strength(d.verdict) > _strength(self.detections[0].verdict)
        ):
            share = b.share(f"{key}.share", d.share, side_key, total_key)
            name = "short squeeze" if d.verdict == "short_squeeze" else "long liquidation cascade"
            assert move is not None and move.value is not None and z_text is not None
            facts = [
                f"{sides} made up {share} of {of_what}",
                f"{d.side} liquidations were {z_text} standard deviations above their average of the previous "
                f"{d.baseline_periods} comparable periods ({b.figures[f'{key}.baseline_mean_usd'].text})",
            ]
            mv = b.derived(
                f"{key}.move",
                move.value,
                _sigma_text(move.value, 2.0),
                "sigma",
                "ln(close at the window end ÷ close at its start) ÷ standard deviation of the same-length "
                "log returns of the 30 previous periods",
                [f"prices.{'BTC' if scope == 'all' else scope}.close"],
            )
            verb = "rise" if d.side == "short" else "fall"
            facts.append(
                f"{price_coin}'s {verb} was {mv} standard deviations of its {words.period_adjective(self.length)} moves"
            )
            if oi is not None and oi.value is not None:
                o = b.derived(
                    f"{key}.oi_change", oi.value, words.change(oi.value), "ratio", "OI at end ÷ OI at start − 1"
                )
                facts.append(f"open interest fell {o}")
            lead = "The pattern fits a" if scope == "all" else f"In {scope}, the pattern fits a"
            return f"{lead} {name}: " + words.join(facts) + "."
        market = self.detections[0]
        if index > 0 and _strength(d.verdict) <= _strength(market.verdict):
            return None  # a coin adds a line only when its signal is stronger than the market's
        if d.verdict in ("short_liquidation_spike", "long_liquidation_spike"):
            share = b.share(f"{key}.share", d.share, side_key, total_key)
            assert z_text is not None
            return (
                f"{words.sentence_case(of_what.replace('liquidations', '').strip() + ' ' if scope != 'all' else '')}"
                f"{words.sentence_case(d.side) if scope == 'all' else d.side} liquidations were {z_text} standard "
                f"deviations above their average of the previous {d.baseline_periods} comparable periods and "
                f"{sides} made up {share} of {of_what}. Without price data for the window, liqwatch does not call "
                "this a squeeze."
            )
        if index > 0:
            return None  # a coin adds a line only when its own signal is stronger than one-sidedness
        if d.verdict in ("shorts_dominated", "longs_dominated"):
            share = b.share(f"{key}.share", d.share, side_key, total_key)
            why = []
            zc = d.check("z")
            if zc is not None and zc.passed is False and z_text is not None:
                why.append(
                    f"at {z_text} standard deviations above their recent average they stayed below "
                    "liqwatch's threshold of 3 for an outsized spike"
                )
            elif d.z is None:
                why.append("there is not enough comparable history to tell whether their size was unusual")
            if move is not None and move.passed is False:
                why.append(f"{price_coin}'s price move was not unusual for the period")
            elif move is not None and move.passed is None and not (zc is not None and zc.passed is False):
                why.append("there is no price data to confirm a squeeze")
            text = f"{words.sentence_case(sides)} made up {share} of liquidations, a one-sided {self.noun}"
            if why:
                text += ", but " + words.join(why)
            return text + ". liqwatch sees no squeeze or cascade signal beyond that."
        if scope != "all":
            return None
        long_share = b.share(f"{key}.long_share", self.main.long_usd / self.main.total_usd, "long_usd", "total_usd")
        short_share = b.share(f"{key}.short_share", self.main.short_usd / self.main.total_usd, "short_usd", "total_usd")
        return (
            f"Liquidations were split between longs ({long_share}) and shorts ({short_share}): "
            "no one-sided squeeze or cascade."
        )

    def _cascade_sentence(self, c: Cascade, i: int) -> str:
        b = self.book
        key = f"cascades.{i}"
        usd = b.usd(f"{key}.usd", c.usd, c.start - 1, c.end, side=c.side)
        n = b.count(f"{key}.count", c.count, c.start - 1, c.end, side=c.side)
        rate = b.derived(
            f"{key}.rate_multiple",
            c.rate_multiple,
            f"{c.rate_multiple:.0f}",
            "ratio",
            "the burst's USD per minute (over max(duration, 1 minute)) ÷ the side's USD per minute over the window",
            [f"{key}.usd", f"{c.side}_usd"],
        )
        first = "The heaviest burst" if i == 0 else "Another burst"
        venues = words.join([words.venue_name(v) for v in c.venues])
        return (
            f"{first} of {c.side} liquidations came at {words.clock(c.start)}: {usd} in {n} orders over "
            f"{words.duration(c.end - c.start)} on {venues}, {rate} times the {self.noun}'s average rate."
        )

    # --- headline, bottom line, data note -------------------------------------------------------

    def headline(self) -> tuple[str, str]:
        m = self.main
        amount = words.headline_phrase(m.total_usd) if m.total_usd >= 1 else None
        subject = f"{self.subject} Liquidations"
        main = self.detections[0] if self.detections else None
        clause = ""
        btc = self.price_facts.get("BTC", {})
        eth = self.price_facts.get("ETH", {})
        for coin, facts in (("BTC", btc), ("ETH", eth)):
            crossing = facts.get("crossing")
            if crossing is not None:
                lvl = words.level(crossing.level)
                name = words.coin_name(coin)
                if crossing.direction == "up":
                    clause = f"as {name} {'Reclaims' if crossing.reclaimed else 'Climbs Past'} {lvl}"
                else:
                    clause = f"as {name} Falls Below {lvl}"
                break
        if not clause and main is not None:
            if main.verdict == "short_squeeze":
                clause = "as Shorts Get Squeezed"
            elif main.verdict == "long_cascade":
                clause = "in Long Liquidation Cascade"
            elif main.share is not None and main.share >= ONE_SIDED:
                clause = "as Short Sellers Hit Hard" if main.side == "short" else "as Long Traders Hit Hard"
        headline = f"{subject} {amount}" if amount else f"{subject} Recorded"
        if clause:
            headline += f" {clause}"
        dek_parts = []
        if m.total_usd > 0:
            share_key = "short_share" if m.short_usd >= m.long_usd else "long_share"
            who = "Short sellers" if share_key == "short_share" else "Long traders"
            dek_parts.append(
                f"{who} took {self.book.figures[share_key].text} of "
                f"{self.book.figures['total_usd'].text} in liquidations"
            )
        dek_parts.append(f"at least {self.book.figures['count'].text} orders in {self.window_words}")
        return headline, "; ".join(dek_parts) + "."

    def bottom_line(self) -> Section:
        b = self.book
        main = self.detections[0] if self.detections else None
        total = b.figures["total_usd"].text
        share_of = {side: b.figures[f"{side}_share"].text for side in ("long", "short") if f"{side}_share" in b.figures}
        if main is not None and main.side is not None and main.verdict in ("short_squeeze", "long_cascade"):
            kind = "short squeeze" if main.verdict == "short_squeeze" else "long liquidation cascade"
            text = (
                f"A {kind}: {total} liquidated in the {self.noun}, {share_of[main.side]} of it {main.side} positions."
            )
        elif main is not None and main.side is not None and main.share is not None and main.share >= ONE_SIDED:
            text = f"A one-sided {self.noun}: {main.side}s took {share_of[main.side]} of the {total} liquidated."
        elif "long" in share_of:
            text = (
                f"{total} was liquidated in the {self.noun}, split between longs ({share_of['long']}) "
                f"and shorts ({share_of['short']})."
            )
        elif self.main.total_usd > 0:
            text = f"{total} was liquidated in the {self.noun}."
        else:
            text = f"None of the {b.figures['count'].text} liquidation orders in the {self.noun} had a USD value."
        crossing = self.price_facts.get("BTC", {}).get("crossing")
        if crossing is not None:
            direction = "climbed past" if crossing.direction == "up" else "fell below"
            text = text[:-1] + f", as Bitcoin {direction} {words.level(crossing.level)}."
        if main is None or main.verdict not in ("short_squeeze", "long_cascade"):
            for d in self.detections[1:]:
                if d.verdict in ("short_squeeze", "long_cascade"):
                    kind = "short squeeze" if d.verdict == "short_squeeze" else "long liquidation cascade"
                    text += f" {d.scope} showed the full pattern of a {kind}."
        record = next(
            (
                c
                for c in self.comparisons_used
                if c.coin is None and c.metric != "total" and (c.is_record or c.since is not None)
            ),
            None,
        )
        if record is not None:
            key = f"history.all.{record.metric}"
            if record.is_record and f"{key}.rank" in b.figures:
                text += f" Its {record.metric} liquidations are the largest in liqwatch's comparable records."
            elif f"{key}.since_usd" in b.figures and record.since is not None:
                text += f" The {record.metric} side was the heaviest since {self._past_when(record.since)}."
        if self.sampled:
            text += " The true figures are higher: some venues publish only samples."
        return Section("bottom_line", "Bottom line", [text])

    def data_note(self) -> Section:
        inputs = self.inputs
        parts = []
        for v in self.venues:
            coverage = self.main.coverage[v]
            desc = "complete: every liquidation" if coverage == "complete" else "sampled: a lower bound"
            parts.append(f"{words.venue_name(v)} ({desc})")
        paragraphs = [
            f"liqwatch's own record of the venues' public liquidation feeds for {self.window_words}: "
            f"{words.join(parts)}. Amounts are USD notional (USDT and USDC at par); sides are the liquidated positions."
        ]
        notes = [inputs.venue_notes[v] for v in self.sampled if v in inputs.venue_notes]
        if notes:
            paragraphs.append(" ".join(dict.fromkeys(notes)))
        quiet = [
            s.venue for s in inputs.spans if s.venue not in self.main.coverage and s.last_ts > self.start - 7 * DAY_MS
        ]
        if quiet:
            paragraphs.append(
                "Also collected but with no liquidations in the window: "
                + words.join([words.venue_name(v) for v in quiet])
                + "."
            )
        gaps = _gap_sentences(inputs)
        paragraphs += gaps or ["No feed gaps were recorded in the window."]
        paragraphs.append(
            "Counts are liquidation orders received, not traders: one position can be closed in several orders"
            + (", and sampled venues send only some of them." if self.sampled else ".")
        )
        return Section("data_note", "About the data", paragraphs)

    # --- chart data -----------------------------------------------------------------------------

    def venue_rows(self) -> list[VenueRow]:
        out = []
        for v, t in self.main.by_venue.items():
            gap_ms = sum(
                max(0, min(g.end, self.at) - max(g.start, self.start)) for g in self.inputs.gaps if g.venue == v
            )
            out.append(
                VenueRow(
                    v,
                    words.venue_name(v),
                    self.main.coverage.get(v, "none"),
                    t.long_usd,
                    t.short_usd,
                    t.total_usd,
                    t.count,
                    gap_ms,
                    self.inputs.venue_notes.get(v, ""),
                )
            )
        return out

    def bars(self) -> list[Bar]:
        grouped: dict[tuple[int, int], list[int]] = {}
        for r in self.inputs.chart:
            acc = grouped.setdefault((r.start, r.end), [0, 0, 0])
            acc[0] += r.long_units
            acc[1] += r.short_units
            acc[2] += r.count
        return [Bar(s, e, units_to_usd(a[0]), units_to_usd(a[1]), a[2]) for (s, e), a in sorted(grouped.items())]

    def price_line(self) -> PriceLine | None:
        for coin in ("BTC", *self.coins_focus):
            hourly = self.hourly.get(coin)
            if not hourly:
                continue
            points = [
                (c.open_ts + c.interval_ms, c.close)
                for c in hourly
                if self.start <= c.open_ts and c.open_ts + c.interval_ms <= self.at
            ]
            if len(points) >= 2:
                venue, symbol = self.sources[coin]
                return PriceLine(coin, venue, symbol, points)
        return None


def _sides(long_usd: float, long_text: str, short_usd: float, short_text: str, larger_first: bool = False) -> str:
    """ "longs $1.2 million, shorts $3.4 million", or "all shorts" / "all longs" when one side is empty."""
    if long_usd == 0 and short_usd > 0:
        return f"shorts {short_text}, no longs" if larger_first else "all shorts"
    if short_usd == 0 and long_usd > 0:
        return f"longs {long_text}, no shorts" if larger_first else "all longs"
    if larger_first and long_usd > short_usd:
        return f"longs {long_text}, shorts {short_text}"
    if larger_first:
        return f"shorts {short_text}, longs {long_text}"
    return f"longs {long_text}, shorts {short_text}"


def _ago(label: str) -> str:
    """ "4–12h" → "between 4 and 12 hours ago"; "24h–7d" → "between 24h and 7d ago"."""
    match = re.match(r"^(\d+)–(\d+)h$", label)
    if match:
        return f"between {match.group(1)} and {match.group(2)} hours ago"
    lo, _, hi = label.partition("–")
    return f"between {lo} and {hi} ago" if hi else f"{label} ago"


def _clock_range(start: int, end: int) -> str:
    if start // DAY_MS == (end - 1) // DAY_MS:
        return f"{words.clock(start)[:5]}–{words.clock(end)}"
    return f"{words.moment(start)} to {words.moment(end)}"


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

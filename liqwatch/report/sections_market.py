"""Report sections on market context: prices, and ranks against past periods (history)."""

from __future__ import annotations

from typing import Any

from liqwatch.analytics import context
from liqwatch.analytics.basis import OWN
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
from liqwatch.analytics.summary import units_to_usd
from liqwatch.report import words
from liqwatch.report.basis_words import larger_side
from liqwatch.report.common import (
    DAY_MS,
    HOUR_MS,
    MAJORS,
    MIN_COMPARABLE,
    MIN_RANK_SPAN_MS,
    ONE_SIDED,
    _ceil_clean,
    _ordinal,
    _units_by_venue,
)
from liqwatch.report.model import (
    Section,
)
from liqwatch.report.sections_totals import _Totals

MIN_BASIS_COMPARABLE = 3  # a calendar rank in the article needs at least this many earlier periods


class _Market(_Totals):
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
            return f"{name} was at {end_text} at {self.when(self.at)}."
        chg = main.change
        period = words.period(span)
        if abs(chg) < 0.001:
            sentence = f"{name} was little changed over the {period} at {end_text}"
        else:
            verb = "rose" if chg > 0 else "fell"
            sentence = f"{name} {verb} {words.change(chg)} over the {period} to {end_text}"
        facts["change"] = chg
        facts["change_key"] = f"{key}.change_{main_label}"
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
        sentence += "."  # the price source (venue, symbol) is named once, in the data note
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
        adjective = words.period_adjective(self.length)
        return f"for {words.article(adjective)} {adjective} period"

    def _past_when(self, p: PastPeriod) -> str:
        if self.length == DAY_MS and self.at % DAY_MS == 0:
            return words.day_of(p.end)
        return f"the {words.period(self.length)} to {words.moment(p.end)}"

    def history(self) -> Section | None:
        paragraphs = []
        m = self.main
        side: Metric = "short" if m.short_usd >= m.long_usd else "long"
        records: list[Comparison] = []
        for coin, metric in ((None, side), (None, "total"), *[(c, side) for c in MAJORS if c in self.coins_focus]):
            c = self.comparisons.get((coin, metric))
            if c is None or (metric == "total" and (m.long_usd == 0 or m.short_usd == 0)):
                continue  # one-sided: the total is the side, said once
            if self._is_record(c):
                records.append(c)  # several records are one sentence, not one frame repeated
                continue
            text = self._rank_sentence(c, rank_only=coin is None)
            if text is None and coin is None and metric == "total":
                text = self._median_sentence(c)
            if text:
                paragraphs.append(text)
        if records:
            paragraphs.insert(0, self._records_sentence(records))
        basis = self._basis_sentences()
        if not paragraphs:
            return Section("history", "In context", basis or [self._nothing_comparable()])
        paragraphs += basis
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

    def _basis_sentences(self) -> list[str]:
        """Calendar-period ranks on a named basis (analytics.basis): every imported-history rank,
        and liqwatch's own for weekends, weeks and months (its days are ranked above)."""
        return [
            r.sentence
            for r in larger_side(self.inputs.period_ranks)
            if r.best is not None
            and r.best.comparable >= MIN_BASIS_COMPARABLE
            and (r.kind != "day" or r.best.source != OWN)
        ]

    def _nothing_comparable(self) -> str:
        """One sentence instead of no ranks at all: too little history, or none."""
        for r in self.inputs.period_ranks:
            if r.best is None:
                return r.sentence
        adjective = words.period_adjective(self.length)
        most = max((len(c.comparable) for c in self.comparisons.values()), default=0)
        most = max([most] + [r.best.comparable for r in self.inputs.period_ranks if r.best is not None])
        if most:
            return (
                f"Only {words.count(most)} earlier {adjective} period{'s' * (most != 1)} from the same venues "
                f"without gaps {'are' if most != 1 else 'is'} on record: too few to rank this one."
            )
        return (
            f"Nothing comparable is on record: liqwatch holds no earlier {adjective} period from the same "
            "venues, and no imported history covers this one."
        )

    def _is_record(self, c: Comparison) -> bool:
        return (
            c.is_record
            and len(c.comparable) >= MIN_COMPARABLE
            and c.current_units > 0
            and self.at - c.comparable[0].start >= MIN_RANK_SPAN_MS
        )

    def _records_sentence(self, records: list[Comparison]) -> str:
        """ "Short liquidations ($661.2 million), total liquidations ($720 million) and Bitcoin short
        liquidations ($335.8 million) were each the largest for a single day in liqwatch's records…"."""
        b = self.book
        parts = []
        for c in records:
            scope = c.coin or "all"
            key = f"history.{scope}.{c.metric}"
            current_key = {"total": "total_usd", "long": "long_usd", "short": "short_usd"}[c.metric]
            if c.coin:
                current_key = f"coins.{c.coin}.{current_key}"
            b.derived(
                f"{key}.rank",
                1,
                "1",
                "rank",
                f"rank of the current value among {len(c.comparable)} comparable periods",
                [current_key],
            )
            current = b.figures[current_key].text if current_key in b.figures else words.money(c.current_usd)
            parts.append(f"{self._what(c)} ({current})")
            self.comparisons_used.append(c)
        first = min(c.comparable[0].start for c in records)
        n = max(len(c.comparable) for c in records)
        verb = "was" if len(parts) == 1 else "were each"
        return (
            f"{words.sentence_case(words.join(parts))} {verb} the largest {self._period_noun()} in liqwatch's records, "
            f"which reach back to {words.date(first)} ({words.count(n)} comparable periods)."
        )

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
        scope = f"{words.coin_name(c.coin)} " if c.coin else ""
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

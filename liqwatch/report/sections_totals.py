"""Report sections on the totals: lead, timeframes (the heaviest stretch, like with like), coins,
largest order. The house style is liqwatch/report/STYLE.md."""

from __future__ import annotations

from collections.abc import Sequence

from liqwatch.analytics.squeeze import one_sided
from liqwatch.analytics.summary import largest_key, units_to_usd
from liqwatch.model import Liquidation
from liqwatch.report import words
from liqwatch.report.common import (
    DAY_MS,
    HOUR_MS,
    _StateBase,
    _window,
)
from liqwatch.report.model import (
    CoinRow,
    Section,
    WindowRow,
)

CONCENTRATED = 0.25  # a coin's largest order at least this share of its total gets a sentence
FOLLOWERS = 3  # coins named after the top two


class _Totals(_StateBase):
    # --- lead ---------------------------------------------------------------------------------

    def lead(self) -> Section:
        """The news first: how much, which side, from where; then the split and the count."""
        m, b, s, at = self.main, self.book, self.start, self.at
        total = b.usd("total_usd", m.total_usd, s, at)
        long_ = b.usd("long_usd", m.long_usd, s, at, side="long")
        short = b.usd("short_usd", m.short_usd, s, at, side="short")
        n = b.count("count", m.count, s, at)
        at_least = "at least " if self.sampled else ""
        orders = f"{at_least}{n} liquidation order{'s' * (m.count != 1)}"
        unpriced = self._unpriced_sentence()
        if self.small:
            few = f"{n} liquidation order{'s' * (m.count != 1)}"
            worth = f"worth {total}" if m.total_usd > 0 else "with no USD value"
            text = (
                f"liqwatch received only {few} {worth} in {self.window_words}, {self.source}: "
                "too few to say anything about the market."
            )
            return Section("lead", "", [text + (unpriced if m.total_usd > 0 else "")])
        if m.total_usd <= 0:
            text = f"liqwatch recorded {orders} in {self.window_words}, {self.source}, none with a USD value."
            return Section("lead", "", [text + unpriced])
        long_share = b.share("long_share", m.long_usd / m.total_usd, "long_usd", "total_usd")
        short_share = b.share("short_share", m.short_usd / m.total_usd, "short_usd", "total_usd")
        market = self.detections[0] if self.detections else None
        why = self._price_clause()
        if market is not None and one_sided(market) and market.side is not None:
            who = "Short sellers" if market.side == "short" else "Long traders"
            share = short_share if market.side == "short" else long_share
            first = (
                f"{who} bore the brunt of {at_least}{total} in crypto liquidations in {self.window_words}, "
                f"taking {share} of the total{why}, according to liqwatch data {self.source}."
            )
        else:
            split = (
                f"shorts taking {short_share} and longs {long_share}"
                if m.short_usd >= m.long_usd
                else f"longs taking {long_share} and shorts {short_share}"
            )
            first = (
                f"{words.sentence_case(at_least)}{total} of crypto positions were liquidated in {self.window_words}"
                f"{why}, according to liqwatch data {self.source}, with {split}."
            )
        if m.long_usd == 0:
            second = f"Every one of the {orders} was a short position."
        elif m.short_usd == 0:
            second = f"Every one of the {orders} was a long position."
        elif m.short_usd >= m.long_usd:
            second = f"Short positions accounted for {short} and longs for {long_}, in {orders}."
        else:
            second = f"Long positions accounted for {long_} and shorts for {short}, in {orders}."
        first += self._coverage_clause()
        return Section("lead", "", [first, second + unpriced])

    def _coverage_clause(self) -> str:
        """The lead says when the window is not fully covered: the news is then about part of it."""
        out = ""
        if self.starts_inside:
            out += (
                f" liqwatch's stored record starts only at {self.when(self.data_start)}, so the figures cover the "
                f"last {words.duration(self.at - self.data_start)} of the period."
            )
        if self.stops_inside:
            out += f" liqwatch's stored record stops at {self.when(self.data_end)}."
        blind = self.outages()
        if blind:
            spans = words.join([self.span_words(lo, hi) for lo, hi in blind])
            out += f" Every feed was down {spans}, so liquidations then are missing."
        return out

    def _unpriced_sentence(self) -> str:
        u = self.main.unpriced_count
        if not u:
            return ""
        text = self.book.derived(
            "unpriced_count", u, words.count(u), "count", "count of the window's events whose usd is null", ["count"]
        )
        verb = "is" if u == 1 else "are"
        return f" {text} of those orders {verb} unpriced (no known contract size) and not in the dollar totals."

    def _price_clause(self) -> str:
        """ ", as Bitcoin climbed past $120,000": why the day matters, when the prices say so."""
        facts = self.price_facts.get("BTC", {})
        crossing = facts.get("crossing")
        if crossing is not None:
            verb = "climbed past" if crossing.direction == "up" else "fell below"
            return f", as Bitcoin {verb} {self.book.figures['prices.BTC.crossed'].text}"
        change = facts.get("change")
        key = facts.get("change_key")
        if change is not None and key in self.book.figures and abs(change) >= 0.02:
            return f", as Bitcoin {'rose' if change > 0 else 'fell'} {self.book.figures[key].text}"
        return ""

    # --- timeframes -----------------------------------------------------------------------------

    def timeframes(self) -> Section:
        b, at = self.book, self.at
        for label, length in self.inputs.windows:
            w = _window(self.inputs, label)
            s = at - length
            key = f"windows.{label}"
            b.usd(f"{key}.total_usd", w.total_usd, s, at)
            b.usd(f"{key}.long_usd", w.long_usd, s, at, side="long")
            b.usd(f"{key}.short_usd", w.short_usd, s, at, side="short")
            b.count(f"{key}.count", w.count, s, at)
            self.window_rows.append(
                WindowRow(label, s, at, w.long_usd, w.short_usd, w.total_usd, w.count, self.recorded(s, at))
            )
        self._slice_rows()
        heaviest = None if self.small else self._heaviest_stretch()
        return Section("timeframes", "Timeframes", [heaviest] if heaviest else [])

    def _slice_rows(self) -> None:
        b = self.book
        if len(self.inputs.slices) < 2:
            return
        for sl in self.inputs.slices:
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
                    self.recorded(sl.start, sl.end),
                )
            )

    def _heaviest_stretch(self) -> str | None:
        """The heaviest of the chart's equal buckets (hours for a day): like compared with like."""
        step = self.inputs.chart_step
        buckets: dict[tuple[int, int], int] = {}
        for r in self.inputs.chart:
            if r.end - r.start == step:
                buckets[(r.start, r.end)] = buckets.get((r.start, r.end), 0) + r.long_units + r.short_units
        if len(buckets) < 2 or self.main.total_usd <= 0 or self.length <= step:
            return None
        (lo, hi), units = max(buckets.items(), key=lambda kv: (kv[1], -kv[0][0]))
        if units <= 0:
            return None
        b = self.book
        usd = b.usd("heaviest.total_usd", units_to_usd(units), lo, hi)
        share = b.share("heaviest.share", units_to_usd(units) / self.main.total_usd, "heaviest.total_usd", "total_usd")
        unit = {HOUR_MS: "hour", DAY_MS: "day"}.get(step, f"{words.period_adjective(step)} stretch")
        return (
            f"The heaviest {unit} was {self.span_words(lo, hi)}, with {usd} liquidated, "
            f"{share} of the {self.noun}'s total."
        )

    # --- coins ----------------------------------------------------------------------------------

    def coins(self) -> Section:
        b, s, at = self.book, self.start, self.at
        for coin, t in self.main.by_coin.items():  # the table lists every coin
            self.coin_rows.append(CoinRow(coin, t.long_usd, t.short_usd, t.total_usd, t.count, t.unpriced_count))
        described = []
        unpriced = []
        for coin in self.coins_focus:
            t = self.main.by_coin[coin]
            key = f"coins.{coin}"
            b.usd(f"{key}.long_usd", t.long_usd, s, at, side="long", coins=[coin])
            b.usd(f"{key}.short_usd", t.short_usd, s, at, side="short", coins=[coin])
            b.usd(f"{key}.total_usd", t.total_usd, s, at, coins=[coin])
            b.count(f"{key}.count", t.count, s, at, coins=[coin])
            if t.total_usd > 0:
                described.append(coin)
            else:
                unpriced.append(f"{words.coin_name(coin)}: unpriced ({words.plural(t.count, 'order')})")
        described.sort(key=lambda c: -self.main.by_coin[c].total_usd)
        sentences = []
        for i, coin in enumerate(described[:2]):
            t = self.main.by_coin[coin]
            side = "short" if t.short_usd >= t.long_usd else "long"
            part = t.short_usd if side == "short" else t.long_usd
            total = b.figures[f"coins.{coin}.total_usd"].text
            share = b.share(
                f"coins.{coin}.{side}_share", part / t.total_usd, f"coins.{coin}.{side}_usd", f"coins.{coin}.total_usd"
            )
            name = words.coin_name(coin)
            if i == 0:
                sentences.append(f"{name} led with {total} liquidated, {share} of it from {side} positions.")
            else:
                sentences.append(f"{name} followed with {total} ({share} {side}s).")
        rest = [
            f"{words.coin_name(c)} ({b.figures[f'coins.{c}.total_usd'].text})" for c in described[2 : 2 + FOLLOWERS]
        ]
        if rest:
            sentences.append(f"Next came {words.join(rest)}.")
        paragraphs = [" ".join(sentences)] if sentences and not self.small else []
        if unpriced:
            paragraphs.append(
                words.join(unpriced) + ": no USD value is known for these contracts, so they are counted, not summed."
            )
        concentrated = None if self.small else self._concentration(described)
        if concentrated:
            paragraphs.append(concentrated)
        return Section("coins", "By coin", paragraphs)

    def _concentration(self, coins: Sequence[str]) -> str | None:
        """One order that is a big share of a coin's total: the total is then mostly one trader."""
        events = self.inputs.events
        if not events:
            return None
        notes = []
        largest = self.main.largest
        for coin in coins:
            t = self.main.by_coin[coin]
            if t.count < 2 or t.total_usd <= 0:
                continue
            if largest is not None and largest.coin == coin:
                continue  # the largest order's own paragraph says it (largest())
            top = _largest([e for e in events if e.coin == coin])
            if top is None or top.usd is None or top.usd < CONCENTRATED * t.total_usd:
                continue
            key = f"coins.{coin}.largest"
            usd = self.book.events(
                f"{key}.usd", "largest", top.usd, words.money(top.usd), self.start, self.at, coins=[coin]
            )
            self.book.derived(f"{key}.id", top.id, top.id, "id", f"id of the largest {coin} event", [f"{key}.usd"])
            share = self.book.derived(
                f"{key}.share",
                top.usd / t.total_usd,
                words.share(top.usd / t.total_usd),
                "ratio",
                f"coins.{coin}.largest.usd ÷ coins.{coin}.total_usd",
                [f"{key}.usd", f"coins.{coin}.total_usd"],
            )
            notes.append((words.coin_name(coin), usd, share))
        if not notes:
            return None
        if len(notes) == 1:
            name, usd, share = notes[0]
            return f"A single {usd} order made up {share} of the {name} total."
        parts = [f"{share} of the {name} total ({usd})" for name, usd, share in notes]
        return f"Single orders made up {words.join(parts)}."

    # --- largest --------------------------------------------------------------------------------

    def largest(self) -> Section | None:
        e = self.main.largest
        if e is None or e.usd is None or self.small:
            return None
        b, s, at = self.book, self.start, self.at
        usd = b.events("largest.usd", "largest", e.usd, words.money(e.usd), s, at)
        b.derived("largest.id", e.id, e.id, "id", "id of the largest event", ["largest.usd"])
        text = (
            f"The largest single liquidation was {words.article(words.money(e.usd))} {usd} {e.side} position in the "
            f"{words.instrument(e.symbol, e.coin)} on {words.venue_name(e.venue)}, at {self.when(e.ts)}"
        )
        coin = self.main.by_coin.get(e.coin)
        if coin is not None and coin.count > 1 and coin.total_usd > 0 and e.usd >= CONCENTRATED * coin.total_usd:
            total_key = f"coins.{e.coin}.total_usd"
            if total_key not in b.figures:
                b.usd(total_key, coin.total_usd, s, at, coins=[e.coin])
            share = b.derived(
                "largest.coin_share",
                e.usd / coin.total_usd,
                words.share(e.usd / coin.total_usd),
                "ratio",
                f"largest.usd ÷ {total_key}",
                ["largest.usd", total_key],
            )
            text += f". That one order made up {share} of all {words.coin_name(e.coin)} liquidations"
        text += "."
        return Section("largest", "Largest order", [text])


def _largest(events: Sequence[Liquidation]) -> Liquidation | None:
    """The largest priced event, ties as `summary` breaks them (earliest, then smallest id)."""
    return min((e for e in events if e.usd is not None), key=largest_key, default=None)

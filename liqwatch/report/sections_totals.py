"""Report sections on the totals: lead, timeframes and slices, coins, largest order."""

from __future__ import annotations

from liqwatch.analytics.summary import units_to_usd
from liqwatch.report import words
from liqwatch.report.common import (
    HOUR_MS,
    MAJORS,
    _ago,
    _clock_range,
    _sides,
    _StateBase,
    _window,
)
from liqwatch.report.model import (
    CoinRow,
    Section,
    WindowRow,
)


class _Totals(_StateBase):
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

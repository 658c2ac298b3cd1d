"""Report closing pieces: headline, bottom line, data note, and chart data."""

from __future__ import annotations

from liqwatch.analytics import squeeze
from liqwatch.analytics.covers import covers
from liqwatch.analytics.squeeze import one_sided
from liqwatch.analytics.summary import units_to_usd
from liqwatch.report import words
from liqwatch.report.common import (
    DAY_MS,
    _gap_sentences,
)
from liqwatch.report.model import (
    Bar,
    PriceLine,
    Section,
    VenueRow,
)
from liqwatch.report.sections_signals import _Signals
from liqwatch.report.sections_wallets import wallets_note
from liqwatch.venues.lifecycle import LIVE_VENUE_IDS


class _Closing(_Signals):
    # --- headline, bottom line, data note -------------------------------------------------------

    def headline(self) -> tuple[str, str]:
        m, b = self.main, self.book
        n = b.figures["count"].text
        if self.small:
            worth = words.money(m.total_usd) if m.total_usd > 0 else "No USD Value"
            return f"Few Liquidations Recorded: {worth} in {n} Order{'s' * (m.count != 1)}", ""
        amount = words.headline_phrase(m.total_usd) if m.total_usd >= 1 else None
        subject = f"{self.subject} Liquidations"
        main = self.detections[0] if self.detections else None
        clause = ""
        for coin in ("BTC", "ETH"):
            crossing = self.price_facts.get(coin, {}).get("crossing")
            if crossing is not None:
                lvl = b.figures[f"prices.{coin}.crossed"].text
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
            elif one_sided(main):
                clause = "as Short Sellers Hit Hard" if main.side == "short" else "as Long Traders Hit Hard"
        headline = f"{subject} {amount}" if amount else f"{subject} Recorded"
        if clause:
            headline += f" {clause}"
        at_least = "at least " if self.sampled else ""
        orders = f"{at_least}{n} order{'s' * (m.count != 1)}"
        where = f"{words.number_word(len(self.venues))} exchange{'s' * (len(self.venues) != 1)}"
        if m.total_usd > 0 and main is not None and one_sided(main) and main.side is not None:
            who = "Short sellers" if main.side == "short" else "Long traders"
            dek = f"{who} took {b.figures[f'{main.side}_share'].text} of {b.figures['total_usd'].text}"
        elif m.total_usd > 0 and m.short_usd >= m.long_usd:
            dek = f"Shorts took {b.figures['short_share'].text} and longs {b.figures['long_share'].text}"
        elif m.total_usd > 0:
            dek = f"Longs took {b.figures['long_share'].text} and shorts {b.figures['short_share'].text}"
        else:
            dek = "No order had a USD value"
        return headline, f"{dek}: {orders} on {where} in {self.window_words}."

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
        elif main is not None and main.side is not None and one_sided(main):
            text = f"A one-sided {self.noun}: {main.side}s took {share_of[main.side]} of the {total} liquidated."
        elif "long" in share_of:
            first, second = ("short", "long") if self.main.short_usd >= self.main.long_usd else ("long", "short")
            text = (
                f"{total} was liquidated in the {self.noun}, split between {first}s ({share_of[first]}) "
                f"and {second}s ({share_of[second]})."
            )
        else:
            text = f"None of the {b.figures['count'].text} liquidation orders in the {self.noun} had a USD value."
        crossing = self.price_facts.get("BTC", {}).get("crossing")
        if crossing is not None:
            direction = "climbed past" if crossing.direction == "up" else "fell below"
            text = text[:-1] + f", as Bitcoin {direction} {b.figures['prices.BTC.crossed'].text}."
        if main is None or main.verdict not in ("short_squeeze", "long_cascade"):
            for d in self.detections[1:]:
                if d.verdict in ("short_squeeze", "long_cascade"):
                    kind = "short squeeze" if d.verdict == "short_squeeze" else "long liquidation cascade"
                    text += f" {words.coin_name(d.scope)} showed the full pattern of a {kind}."
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
        return Section("bottom_line", "Bottom line", [text])

    def data_note(self) -> Section:
        """Sources, coverage, method and caveats: said once, here, not in the body."""
        inputs = self.inputs
        parts = []
        for v in self.venues:
            coverage = self.main.coverage[v]
            desc = "complete: every liquidation" if coverage == "complete" else "sampled: a lower bound"
            parts.append(f"{words.venue_name(v)} ({desc})")
        paragraphs = [
            f"liqwatch's own record of the exchanges' public liquidation feeds for {self.window_words}: "
            f"{words.join(parts)}. Amounts are USD notional (USDT and USDC at par); sides are the liquidated "
            "positions. Counts are liquidation orders received, not traders: one position can be closed in "
            "several orders" + (", and sampled venues send only some of them." if self.sampled else ".")
        ]
        # what the totals leave out, said once (the venues in them and their coverage are named above)
        found = covers(dict(self.main.coverage), LIVE_VENUE_IDS)
        left_out = [words.venue_name(v) for v in (*found.not_connected, *found.no_data)]
        if left_out:
            paragraphs.append(
                f"The totals include nothing from the other {words.count(len(left_out))} "
                f"venue{'s' * (len(left_out) != 1)} liqwatch reads ({words.join(left_out)}): no liquidation "
                "from them was recorded in this window."
            )
        notes = [inputs.venue_notes[v] for v in self.sampled if v in inputs.venue_notes]
        if notes:
            paragraphs.append(" ".join(dict.fromkeys(notes)))
        paragraphs += self.coverage_sentences()
        if self.small:
            paragraphs.append(
                f"With {words.plural(self.main.count, 'order')} in the window this is a small sample: "
                "the figures describe these orders, not the market."
            )
        method = None if self.small else self.method_sentence()
        if method:
            paragraphs.append(method)
        wallets = wallets_note(inputs) if any(sec == "wallets" for sec in self.sections_written) else None
        if wallets:
            paragraphs.append(wallets)
        symbols = self.symbols_sentence()
        if symbols:
            paragraphs.append(symbols)
        return Section("data_note", "About the data", paragraphs)

    def coverage_sentences(self) -> list[str]:
        """What the window's record covers: where it starts or stops inside the window, feed gaps,
        venues collected but quiet."""
        inputs = self.inputs
        out = []
        if self.starts_inside:
            out.append(
                f"liqwatch's stored record starts at {self.when(self.data_start)}, "
                f"{words.duration(self.data_start - self.start)} into the window: the figures cover only "
                "the part after that, and earlier stretches are marked as not recorded."
            )
        if self.stops_inside:
            out.append(
                f"liqwatch's stored record stops at {self.when(self.data_end)}, "
                f"{words.duration(self.at - self.data_end)} before the window ends: nothing after that was recorded."
            )
        quiet = [
            s.venue for s in inputs.spans if s.venue not in self.main.coverage and s.last_ts > self.start - 7 * DAY_MS
        ]
        if quiet:
            out.append(
                "Also collected but with no liquidations in the window: "
                + words.join([words.venue_name(v) for v in quiet])
                + "."
            )
        out += _gap_sentences(inputs) or ["No feed gaps were recorded in the window."]
        return out

    def method_sentence(self) -> str | None:
        """The rules behind "one-sided" and "squeeze", stated once."""
        if not self.detections:
            return None
        p, b = squeeze.DEFAULT, self.book
        rule = "analytics.squeeze.DEFAULT"
        share = b.derived("method.min_share", p.min_share, words.share(p.min_share), "ratio", f"{rule}.min_share")
        z = b.derived("method.min_z", p.min_z, f"{p.min_z:g}", "sigma", f"{rule}.min_z")
        move = b.derived(
            "method.min_move", p.min_move_sigmas, f"{p.min_move_sigmas:g}", "sigma", f"{rule}.min_move_sigmas"
        )
        text = (
            f"liqwatch calls a period one-sided when one side takes at least {share} of the dollar value, and a "
            f"short squeeze or long cascade only when that side's liquidations are also at least {z} standard "
            f"deviations above the previous comparable periods, the price moved at least {move} standard "
            "deviations their way and open interest did not rise."
        )
        sources = [f"{words.venue_name(self.sources[c][0])} {self.sources[c][1]}" for c in self.price_facts]
        if sources:
            text += f" Prices are hourly closes of {words.join(list(dict.fromkeys(sources)))}."
        return text

    def symbols_sentence(self) -> str | None:
        """The raw symbols behind the human instrument names in the text."""
        e = self.main.largest
        if e is None or e.usd is None or self.small:
            return None
        return f"The largest order is {words.venue_name(e.venue)} {e.symbol}, event id {e.id}."

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

"""Report closing pieces: headline, bottom line, data note, and chart data."""

from __future__ import annotations

from liqwatch.analytics.covers import covers
from liqwatch.analytics.summary import units_to_usd
from liqwatch.report import words
from liqwatch.report.common import (
    DAY_MS,
    ONE_SIDED,
    _gap_sentences,
)
from liqwatch.report.model import (
    Bar,
    PriceLine,
    Section,
    VenueRow,
)
from liqwatch.report.sections_signals import _Signals
from liqwatch.venues.lifecycle import LIVE_VENUE_IDS


class _Closing(_Signals):
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
        paragraphs.append(f"What the totals cover: {covers(dict(self.main.coverage), LIVE_VENUE_IDS).line}.")
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

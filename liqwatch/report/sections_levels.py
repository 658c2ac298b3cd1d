"""The report's "Liquidation levels" section: break-throughs of major modelled levels in the window,
and where the next large modelled clusters sit. Pure: Inputs + Book → Section.

Every sentence says "modelled" and names the model version: the levels are an estimate from
open-interest changes (analytics.levels, research/analytics.md §4.4), not positions anyone saw.
Levels figures are read from `liqwatch levels events|map … --json` (Query op "json"); the
liquidations that followed a break-through are a plain `liqwatch events` sum, and are only given
once their follow-up period has ended by the report's time (the report never looks past `at`).
"""

from __future__ import annotations

from liqwatch.analytics.levels_events import DEFAULT_EVENTS, BreakThrough
from liqwatch.analytics.levels_grid import LevelsMap, SideSummary
from liqwatch.report import words
from liqwatch.report.common import Book, _when
from liqwatch.report.model import Inputs, Section
from liqwatch.timeparse import iso

TITLE = "Liquidation levels"


def levels_section(inputs: Inputs, book: Book) -> Section | None:
    """None when no focus coin has a break-through in the window or a modelled map at `at`.

    One break-through in prose (the one that cleared the most modelled exposure across coins);
    the others are counted; the maps share one paragraph, the model caveat said once."""
    paragraphs = []
    found = [(coin, events) for coin, events in inputs.break_throughs.items() if events]
    if found:
        coin, events = max(found, key=lambda ce: max((e.fuel_cleared_usd, e.ts) for e in ce[1]))
        paragraphs.append(_break_through(inputs, book, coin, events))
        others = sum(len(e) for c, e in found if c != coin)
        if others:
            period = words.period(inputs.window[1])
            paragraphs[-1] += f" Other coins had {words.plural(others, 'smaller break-through')} in the {period}."
    maps = [m for m in (_map(inputs, book, coin, levels) for coin, levels in inputs.levels_maps.items()) if m]
    if maps:
        versions = sorted({levels.model_version for levels in inputs.levels_maps.values()})
        paragraphs.append(
            "Where the next liquidations may sit, as modelled from open interest "
            f"(liqwatch levels model {', '.join(versions)}: an estimate, not observed positions): "
            + "; ".join(maps)
            + "."
        )
    return Section("levels", TITLE, paragraphs) if paragraphs else None


def events_cli(coin: str, since: int, until: int) -> str:
    return f"liqwatch levels events --coin {coin} --since {iso(since)} --until {iso(until)} --json"


def map_cli(coin: str, at: int) -> str:
    return f"liqwatch levels map --coin {coin} --at {iso(at)} --json"


def _break_through(inputs: Inputs, book: Book, coin: str, events: list[BreakThrough]) -> str:
    """The break-through that cleared the most modelled fuel in the window, with what followed."""
    at = inputs.at
    start = at - inputs.window[1]
    bt = max(events, key=lambda e: (e.fuel_cleared_usd, e.ts))
    cli = events_cli(coin, start, at)
    pick = f"side={bt.side},ts={bt.ts}"
    key = f"levels.{coin}.break_through"
    level = book.json(
        f"{key}.level_price", bt.level_price, words.price(bt.level_price), "price", cli, [pick, "level_price"]
    )
    cleared = book.json(
        f"{key}.fuel_cleared_usd",
        bt.fuel_cleared_usd,
        words.estimate(bt.fuel_cleared_usd),
        "usd",
        cli,
        [pick, "fuel_cleared_usd"],
    )
    verb = "broke through" if bt.side == "short" else "broke down through"
    text = (
        f"{words.coin_name(coin)} {verb} the {level} {bt.side} cluster in the hour from {_when(bt.ts, at)}, "
        f"clearing {cleared} "
        f"of modelled {bt.side} exposure (liqwatch levels model {bt.model_version})"
    )
    if bt.majors_cleared > 1:
        crossed = book.json(
            f"{key}.majors_cleared",
            bt.majors_cleared,
            words.count(bt.majors_cleared),
            "count",
            cli,
            [pick, "majors_cleared"],
        )
        text += f"; it was the furthest of {crossed} major {bt.side} levels the price crossed in that hour"
    follow_end = bt.bar_end + DEFAULT_EVENTS.follow_ms
    if bt.realized_usd is not None and follow_end <= at:
        # [open, end + follow) as the events query's (since, until] on whole milliseconds
        since, until = bt.ts - 1, follow_end - 1
        realized = book.usd(f"{key}.realized_usd", bt.realized_usd, since, until, side=bt.side, coins=[coin])
        until_words = _when(follow_end, at)
        name = words.coin_name(coin)
        if bt.realized_usd > 0:
            text += f". Recorded {name} {bt.side} liquidations of {realized} followed, up to {until_words}"
        else:
            text += f". No {name} {bt.side} liquidations were recorded from then to {until_words}"
    others = len(events) - 1
    if others:
        count = book.json(f"{key}.events", len(events), words.count(len(events)), "count", cli, ["length"])
        text += (
            f". It was the largest by modelled exposure cleared of {count} {coin} break-throughs in the "
            f"{words.period(inputs.window[1])}; realized liquidations after the others may be larger"
        )
    return text + "."


def _map(inputs: Inputs, book: Book, coin: str, levels: LevelsMap) -> str:
    cli = map_cli(coin, inputs.at)
    key = f"levels.{coin}.map"
    price = book.json(f"{key}.price", levels.price, words.price(levels.price), "price", cli, ["price"])
    span = book.json(f"{key}.range_pct", levels.range_pct, f"{levels.range_pct:.0%}", "ratio", cli, ["range_pct"])
    parts = []
    for side, summary, where in (("short", levels.shorts, "above"), ("long", levels.longs, "below")):
        clause = _side(book, key, cli, side, summary, where, span)
        if clause:
            parts.append(clause)
    if not parts:
        return ""
    return f"for {words.coin_name(coin)} at {price}, {' and '.join(parts)}"


def _side(book: Book, key: str, cli: str, side: str, summary: SideSummary, where: str, span: str) -> str:
    if summary.peak is None or summary.total_usd <= 0:
        return ""
    group = "shorts" if side == "short" else "longs"
    peak_price = book.json(
        f"{key}.{group}.peak_price",
        summary.peak.price,
        words.price(summary.peak.price),
        "price",
        cli,
        [group, "peak", "price"],
    )
    peak_usd = book.json(
        f"{key}.{group}.peak_usd",
        summary.peak.usd,
        words.estimate(summary.peak.usd),
        "usd",
        cli,
        [group, "peak", "usd"],
    )
    total = book.json(
        f"{key}.{group}.total_usd",
        summary.total_usd,
        words.estimate(summary.total_usd),
        "usd",
        cli,
        [group, "total_usd"],
    )
    return f"the largest {side} cluster {where} at {peak_price} ({peak_usd}; {total} within {span})"

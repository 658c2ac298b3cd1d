"""Golden articles: scenario tapes whose Markdown was read line by line as an editor would, kept as
snapshots in tests/report/golden/. A changed article fails until it is read again and accepted with
LIQWATCH_UPDATE_GOLDEN=1 (then review the diff). Every figure is also checked against the events,
and every amount and percentage in the prose against its figure in the JSON."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from liqwatch.model import Candle, Gap, Liquidation, MarketStat
from liqwatch.report.build import build
from liqwatch.report.collect import collect
from liqwatch.report.render import render, to_builtins
from liqwatch.store.duckdb import DuckDBStore
from tests.report import tapes
from tests.report.check import check_figures, check_prose, check_tables
from tests.report.test_levels_wallets_report import run_json

GOLDEN = Path(__file__).parent / "golden"
H, DAY, AT = tapes.H, tapes.DAY, tapes.AT


class Tape(msgspec.Struct):
    events: list[Liquidation]
    candles: list[Candle] = []
    gaps: list[Gap] = []
    stats: list[MarketStat] = []


def short_squeeze() -> Tape:
    # open interest falls 6% over the day: positions were closed, as in a squeeze
    return Tape(
        tapes.calm_days(40) + tapes.squeeze_day(),
        tapes.btc_squeeze_candles(),
        stats=tapes.open_interest("BTC", 9e9, 8.46e9),
    )


def long_cascade() -> Tape:
    return Tape(
        tapes.calm_days(40) + tapes.cascade_day(),
        tapes.btc_cascade_candles(),
        stats=tapes.open_interest("BTC", 9e9, 8.3e9),
    )


def quiet_day() -> Tape:
    return Tape(tapes.calm_days(41, end=AT))


def one_venue_sampled() -> Tape:
    return Tape(tapes.calm_days(12, end=AT, seed=7, venues=("okx",)))


def partial_coverage() -> Tape:
    """The store's record starts nine hours before the report's end."""
    rng = random.Random(8)
    return Tape(tapes.spread(rng, AT - 9 * H, AT, 500, 40e6, 0.4, tapes.VENUES, "partial"))


def after_a_gap() -> Tape:
    """A recorder outage on every venue (03:00–07:00) inside the window, and one the day before."""
    gaps = [tapes.gap(v, AT - DAY + 3 * H, 240) for v in tapes.VENUES]
    gaps += [tapes.gap(v, AT - 2 * DAY + 20 * H, 90) for v in tapes.VENUES]
    outage = [(g.start, g.end) for g in gaps]
    events = [e for e in tapes.calm_days(20, end=AT, seed=9) if not any(lo < e.ts <= hi for lo, hi in outage)]
    return Tape(events, gaps=gaps)


def tiny_sample() -> Tape:
    """Three orders worth $171: a data note, not "Traders Hit Hard"."""
    return Tape(
        [
            tapes.event(AT - 5 * H, 100.25, "bybit", "SOL", "long", 1),
            tapes.event(AT - 3 * H, 50.41, "bybit", "SOL", "long", 2),
            tapes.event(AT - H, 20.25, "bybit", "XRP", "short", 3),
        ]
    )


def empty_store() -> Tape:
    return Tape([])


SCENARIOS: dict[str, Callable[[], Tape]] = {
    "short_squeeze": short_squeeze,
    "long_cascade": long_cascade,
    "quiet_day": quiet_day,
    "one_venue_sampled": one_venue_sampled,
    "partial_coverage": partial_coverage,
    "after_a_gap": after_a_gap,
    "tiny_sample": tiny_sample,
    "empty_store": empty_store,
}


def article(tmp_path: Path, name: str) -> tuple[str, dict[str, Any], Tape]:
    tape = SCENARIOS[name]()
    with DuckDBStore(db_path(tmp_path, name)) as store:
        store.write_events(tape.events)
        store.write_candles(tape.candles)
        store.write_gaps(tape.gaps)
        if tape.stats:
            store.write_stats(tape.stats)
        report = build(collect(store, AT, ("24h", DAY)))
    return render(report, "md"), to_builtins(report), tape


def db_path(tmp_path: Path, name: str) -> Path:
    return tmp_path / f"{name}.duckdb"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_golden_article(tmp_path: Path, name: str) -> None:
    md, doc, tape = article(tmp_path, name)
    path = GOLDEN / f"{name}.md"
    if os.environ.get("LIQWATCH_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(md, encoding="utf-8")
    assert md == path.read_text(encoding="utf-8"), f"{name}: the article changed; read it, then accept it"
    inside = sorted(tape.events, key=lambda e: e.ts)
    if not doc["empty"]:
        db = str(db_path(tmp_path, name))
        assert check_figures(doc, inside, tape.candles, lambda cli: run_json(db, cli)) > 5
        check_tables(doc, inside)
    check_prose(doc)


def test_golden_articles_keep_the_house_style(tmp_path: Path) -> None:
    """What the editor checked by eye, kept checkable: no raw symbols or formulas in the body, no $0
    for unpriced or unrecorded stretches, no dramatic words for a tiny sample."""
    for name in SCENARIOS:
        md = (GOLDEN / f"{name}.md").read_text(encoding="utf-8")
        body = md.split("## About the data")[0]
        for raw in ("USDT-SWAP", "BTCUSDT", "Σ", "≥", ">=", "allTime", "1 orders", "1 wallets", "have no USD"):
            assert raw not in body, (name, raw)
        assert "Near $3.5 Billion" not in md
    tiny = (GOLDEN / "tiny_sample.md").read_text(encoding="utf-8")
    assert "Hit Hard" not in tiny and "Squeez" not in tiny and "small sample" in tiny
    partial = (GOLDEN / "partial_coverage.md").read_text(encoding="utf-8")
    assert "not recorded" in partial and "record starts at" in partial

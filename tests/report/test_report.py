"""`liqwatch report` end to end on generated tapes with known truth: every figure against the events."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
from typer.testing import CliRunner

from liqwatch.cli import app
from liqwatch.model import Candle, Gap, Liquidation
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore
from tests.report import tapes
from tests.report.check import check_figures, check_prose, check_tables

runner = CliRunner()
AT_ISO = "2025-11-21T00:00:00Z"


def make_store(
    path: Path,
    events: list[Liquidation],
    candles: list[Candle] = (),
    gaps: list[Gap] = (),  # type: ignore[assignment]
) -> str:
    with DuckDBStore(path) as s:
        s.write_events(events)
        s.write_candles(list(candles))
        s.write_gaps(list(gaps))
    return str(path)


def report(db: str, *args: str, fmt: str = "json") -> Any:
    result = runner.invoke(app, ["report", "--db", db, "--at", AT_ISO, "--format", fmt, *args])
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout) if fmt == "json" else result.stdout


def stored(db: str) -> tuple[list[Liquidation], list[Candle]]:
    """What `liqwatch events` prints (parsed from its JSONL output) and the stored candles."""
    result = runner.invoke(app, ["events", "--db", db, "--format", "jsonl"])
    assert result.exit_code == 0
    events = [msgspec.json.decode(line, type=Liquidation) for line in result.stdout.splitlines() if line]
    with DuckDBStore(db, read_only=True) as s:
        candles = s.candles("BTC", tapes.H) + s.candles("BTC", tapes.DAY)
    return events, candles


def check_all(db: str, doc: dict[str, Any]) -> None:
    events, candles = stored(db)
    assert check_figures(doc, events, candles) > 20
    check_tables(doc, events)
    check_prose(doc)


@pytest.fixture(scope="module")
def squeeze_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("squeeze") / "s.duckdb"
    events = tapes.calm_days(40) + tapes.squeeze_day() + tapes.big_short_days_before()
    return make_store(path, events, tapes.btc_squeeze_candles(), [tapes.gap("bybit", tapes.AT - 5 * tapes.H, 12)])


def test_squeeze_day_every_figure_matches_the_events(squeeze_db: str) -> None:
    doc = report(squeeze_db)
    check_all(squeeze_db, doc)
    assert doc["headline"] == "Crypto Liquidations Top $720 Million as Bitcoin Climbs Past $120,000"
    text = doc["article"]
    assert "in at least 3,500 liquidation orders" in text
    assert "Short sellers bore the brunt of at least $720 million in crypto liquidations" in text
    assert "Binance USD-M (sampled: a lower bound)" in text
    assert "pushing past $120,000" in text and "briefly touching $123,000" in text
    assert "They follow $1.12 billion of short liquidations two days earlier." in text
    assert "The heaviest burst of short liquidations came at 14:00 UTC on 20 November" in text
    assert "The heaviest hour was 14:00–15:00 UTC on 20 November" in text
    assert "Feed gaps in the window: Bybit 19:00–19:12 UTC on 20 November (12 minutes, reconnect)" in text
    assert "In Bitcoin, the pattern fits a short squeeze" in text
    # the market stayed just under the spike threshold: the reason given is that check
    assert "does not fit the pattern of a short squeeze: short liquidations, 2.999 standard deviations" in text
    # the market as a whole stayed just under the spike threshold: no squeeze claimed for it
    assert "The pattern fits a short squeeze" not in text
    largest = doc["largest"]
    assert f"on {'OKX' if largest['venue'] == 'okx' else ''}" in text or largest["venue"] != "okx"


def test_the_same_inputs_give_the_same_article(squeeze_db: str) -> None:
    for fmt in ("md", "html", "json"):
        assert report(squeeze_db, fmt=fmt) == report(squeeze_db, fmt=fmt)


def test_markdown_and_html(squeeze_db: str) -> None:
    md = report(squeeze_db, fmt="md")
    assert md.startswith("# Crypto Liquidations Top $720 Million")
    assert "| 24h | $58.8M | $661.2M | $720.0M | 3,500 |" in md
    assert "**Bottom line:**" in md and "## About the data" in md
    html = report(squeeze_db, fmt="html")
    assert html.count("<svg") == 2 and "<path d=" in html  # bars + price line, coin chart
    assert not re.search(r"(src|href)=\"https?://", html)  # nothing loaded from elsewhere
    assert "<script" not in html


def test_report_to_a_file(squeeze_db: str, tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    result = runner.invoke(app, ["report", "--db", squeeze_db, "--at", AT_ISO, "--out", str(out)])
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text().startswith("# Crypto Liquidations")


def test_without_prices_nothing_is_said_about_price(tmp_path: Path) -> None:
    db = make_store(tmp_path / "s.duckdb", tapes.calm_days(40) + tapes.squeeze_day())
    doc = report(db)
    check_all(db, doc)
    text = doc["article"]
    assert "Bitcoin rose" not in text and "price" not in doc["headline"].lower()
    assert not any(s["key"] == "prices" for s in doc["sections"])
    assert doc["headline"] == "Crypto Liquidations Top $720 Million as Short Sellers Hit Hard"
    assert "squeeze" not in doc["headline"].lower()
    assert "fits a short squeeze" not in text  # no price: never a squeeze


def test_a_quiet_mixed_day(tmp_path: Path) -> None:
    db = make_store(tmp_path / "s.duckdb", tapes.calm_days(41, end=tapes.AT))
    doc = report(db)
    check_all(db, doc)
    text = doc["article"]
    body = text.split("## About the data")[0]
    assert "with shorts taking 61% and longs 39%" in body and "split between shorts (61%)" in body
    assert "squeeze" not in body
    assert "Hit Hard" not in doc["headline"]


def test_a_one_sided_day_and_a_single_venue(tmp_path: Path) -> None:
    import random

    rng = random.Random(5)
    events = tapes.calm_days(20, venues=("bybit",))
    events += tapes.spread(rng, tapes.AT - tapes.DAY, tapes.AT, 300, 80e6, 1.0, ("bybit",), "one")
    db = make_store(tmp_path / "s.duckdb", events)
    doc = report(db)
    check_all(db, doc)
    text = doc["article"]
    assert doc["headline"].startswith("Bybit Liquidations ")
    assert "Short sellers bore the brunt of $80 million in crypto liquidations" in text
    assert "according to liqwatch data from Bybit" in text
    assert "Every one of the 300 liquidation orders was a short position." in text
    assert "sample" not in text.split("## About the data")[0]  # a complete venue: no lower-bound caveat
    assert "(complete: every liquidation)" in text


def test_unpriced_events_are_counted_not_summed(tmp_path: Path) -> None:
    events = tapes.calm_days(3, end=tapes.AT)
    events.append(tapes.event(tapes.AT - 100, None, "okx", "BTC", "long", 1))
    events += [tapes.event(tapes.AT - 200 - i, None, "okx", "PEPE", "long", 2 + i) for i in range(3)]
    db = make_store(tmp_path / "s.duckdb", events)
    doc = report(db)
    check_all(db, doc)
    assert "1 of those orders is unpriced" not in doc["article"]
    assert "4 of those orders are unpriced (no known contract size)" in doc["article"]
    pepe = next(c for c in doc["coins"] if c["coin"] == "PEPE")
    assert pepe["total_usd"] == 0 and pepe["unpriced"] == 3
    assert "| PEPE | — | — | unpriced (3 orders) | 3 |" in report(db, fmt="md")


def test_a_gap_in_history_excludes_that_day(tmp_path: Path) -> None:
    gaps = [tapes.gap("binance_usdm", tapes.AT - 10 * tapes.DAY + 3600_000, 300)]
    db = make_store(tmp_path / "s.duckdb", tapes.calm_days(40) + tapes.squeeze_day(), gaps=gaps)
    doc = report(db)
    check_all(db, doc)
    comparisons = {(c["coin"], c["metric"]): c for c in doc["comparisons"]}
    assert comparisons, doc["comparisons"]
    for c in comparisons.values():
        if c["coin"] is None:
            assert c["excluded"].get("coverage differs", 0) >= 1


def test_other_windows(squeeze_db: str) -> None:
    doc = report(squeeze_db, "--window", "4h")
    check_all(squeeze_db, doc)
    assert [w["label"] for w in doc["windows"]] == ["1h", "4h"]
    assert "in the 4 hours to 00:00 UTC" in doc["article"]


def test_an_empty_window_and_an_empty_store(squeeze_db: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "--db", squeeze_db, "--at", "2024-01-01"])
    assert result.exit_code == 0
    assert result.stdout.startswith("# No liquidations recorded in the 24 hours to 00:00 UTC on 1 January 2024")
    assert "The store holds Binance USD-M from" in result.stdout
    empty = tmp_path / "empty.duckdb"
    DuckDBStore(empty).close()
    doc = report(str(empty))
    assert doc["empty"] is True and doc["figures"]["count"]["value"] == 0
    assert "holds no liquidations yet" in doc["article"]
    result = runner.invoke(app, ["report", "--db", str(tmp_path / "absent.duckdb")])
    assert result.exit_code == 2 and "no store at" in result.stderr


def test_bad_arguments(squeeze_db: str) -> None:
    for args, message in (
        (["--format", "pdf"], "--format"),
        (["--window", "soon"], "--window"),
        (["--at", "yesterday"], "--at"),
    ):
        result = runner.invoke(app, ["report", "--db", squeeze_db, *args])
        assert result.exit_code == 2 and message in result.stderr


def test_figures_name_their_events_queries(squeeze_db: str) -> None:
    doc = report(squeeze_db)
    total = doc["figures"]["total_usd"]["query"]
    assert total["cli"] == "liqwatch events --since 2025-11-20T00:00:00Z --until 2025-11-21T00:00:00Z --format jsonl"
    btc = doc["figures"]["coins.BTC.short_usd"]["query"]
    assert btc["cli"].endswith("--side short --coin BTC --format jsonl")
    events, _ = stored(squeeze_db)
    with DuckDBStore(squeeze_db, read_only=True) as s:
        assert (
            len(list(s.events(EventFilter(since=total["since"], until=total["until"]))))
            == doc["figures"]["count"]["value"]
        )
    assert len(events) > doc["figures"]["count"]["value"]


def test_largest_since_a_day_months_ago(tmp_path: Path) -> None:
    import random

    rng = random.Random(11)
    big_day = tapes.AT - 101 * tapes.DAY
    events = tapes.calm_days(130) + tapes.squeeze_day()
    events += tapes.spread(rng, big_day, big_day + tapes.DAY, 800, 900e6, 1.0, tapes.VENUES, "big")
    db = make_store(tmp_path / "s.duckdb", events)
    doc = report(db)
    check_all(db, doc)
    text = doc["article"]
    since = doc["figures"]["history.all.short.since_usd"]
    assert since["query"]["since"] == big_day and since["query"]["until"] == big_day + tapes.DAY
    assert "Short liquidations ($661.2 million) were the largest for a single day since 12 August 2025" in text
    assert "the most in three months." in text
    assert "The short side was the heaviest since 12 August 2025." in text

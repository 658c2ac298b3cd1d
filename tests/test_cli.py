"""The CLI end to end on a real DuckDB file: import (twice), events, summary, status, errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner

from liqwatch.analytics.summary import parse_windows, summarize, summary_to_json
from liqwatch.cli import app
from liqwatch.instruments import bundled
from liqwatch.model import Liquidation
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.venues import REGISTRY
from tests.venues.golden import frames

runner = CliRunner()
AT = "2025-11-21T09:00:00Z"


def journal_lines() -> list[str]:
    """Every venue fixture frame as a capture-journal line, received in December 2027 (after every
    fixture's own time: an event stamped minutes after its receive time is refused as implausible)."""
    lines = []
    for i, path in enumerate(frames()):
        record = {"ts": 1_830_000_000_000 + i, "venue": path.parent.name, "frame": path.read_text().strip()}
        lines.append(json.dumps(record))
    return lines


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    path = tmp_path / "2025-11-21.jsonl.gz"
    with gzip.open(path, "wt") as stream:
        stream.write("\n".join(journal_lines()) + "\n")
        stream.write('{"ts": 1, "venue": "binance_usdm", "frame": "{\\"e\\":\\"forceOrder\\",\\"o\\":{}}"}\n')
        stream.write("this line is not json\n")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def expected_events() -> list[Liquidation]:
    catalogue = bundled()
    by_id: dict[str, Liquidation] = {}
    for line in journal_lines():
        record = json.loads(line)
        for event in REGISTRY[record["venue"]].parse(record["frame"], record["ts"], catalogue):
            by_id.setdefault(event.id, event)  # the first copy of an id wins, as in the store
    return sorted(by_id.values(), key=lambda e: (e.ts, e.id))


def test_import_is_idempotent_and_events_round_trip(tmp_path: Path, journal: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    code, _, err = run("import", str(journal), "--db", db, "-q")
    assert code == 0, err
    expected = expected_events()
    assert f"{len(expected):,} new" in err
    assert "2 unreadable" not in err and "skipped 1 unreadable lines and 1 bad frames" in err
    assert (tmp_path / "x.state" / "dead-letters.jsonl").exists()

    code, _, err = run("import", str(journal), "--db", db, "-q")
    assert code == 0 and "0 new" in err

    code, out, _ = run("events", "--db", db, "--format", "jsonl")
    got = [msgspec.json.decode(line, type=Liquidation) for line in out.splitlines()]
    assert got == expected


def test_summary_json_equals_reference(tmp_path: Path, journal: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    assert run("import", str(journal), "--db", db, "-q")[0] == 0
    code, out, err = run("summary", "--db", db, "--at", AT, "--json", "--windows", "1h,4h,12h,24h,3650d")
    assert code == 0, err
    windows = parse_windows("1h,4h,12h,24h,3650d")
    reference = summary_to_json(summarize(expected_events(), 1_763_715_600_000, windows))
    body = json.loads(out)
    covers = body.pop("covers")
    assert body == json.loads(msgspec.json.encode(reference))
    assert covers["venues"] == sorted(body["windows"]["3650d"]["coverage"], key=list(REGISTRY).index)
    assert covers["line"].startswith(f"{len(covers['venues'])} venues; Binance, ")
    assert set(body["windows"]) == {"1h", "4h", "12h", "24h", "3650d"}
    assert body["windows"]["24h"]["coverage"]["binance_usdm"] == "sampled"


def test_events_filters(tmp_path: Path, journal: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    run("import", str(journal), "--db", db, "-q")
    code, out, _ = run("events", "--db", db, "--venue", "bybit", "--side", "long", "--min-usd", "100")
    rows = [json.loads(line) for line in out.splitlines()]
    expected = [
        e for e in expected_events() if e.venue == "bybit" and e.side == "long" and e.usd is not None and e.usd >= 100
    ]
    assert code == 0 and len(rows) == len(expected) > 0
    code, out, _ = run("events", "--db", db, "--format", "csv", "--coin", "btc", "--limit", "3")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("venue,symbol,coin,side,price,qty,usd,ts") and len(lines) == 4
    code, out, _ = run("events", "--db", db, "--format", "table", "--limit", "2")
    assert code == 0 and "2 liquidations" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["events", "--since", "yesterday"], "--since"),
        (["events", "--venue", "kraken"], "unknown venue kraken"),
        (["events", "--format", "xml"], "--format"),
        (["events", "--side", "up"], "--side"),
        # the CLI checks filters as the API does, with the same words
        (["events", "--since", "2026-12-05", "--until", "2026-12-01"], "--since: must be before --until"),
        (["events", "--coin", "B-T"], "--coin: 'B-T' is not a coin (letters and digits, e.g. BTC; several: BTC,ETH)"),
        (["events", "--min-usd", "abc"], "--min-usd: 'abc' is not a number of USD (e.g. 100000)"),
        (["events", "--min-usd", "-5"], "--min-usd: '-5' must be a finite amount ≥ 0"),
        (["summary", "--windows", "1x"], "--windows"),
        (["summary", "--at", "1763712000"], "epoch seconds"),
        (["import", "/nonexistent/capture.jsonl"], "no such file"),
        (["run", "--venues", "kraken"], "unknown venue"),
        (["run", "--venue-url", "binance_usdm"], "VENUE=URL"),
    ],
)
def test_bad_flags_get_one_line_errors(tmp_path: Path, journal: Path, args: list[str], message: str) -> None:
    db = str(tmp_path / "x.duckdb")
    run("import", str(journal), "--db", db, "-q")
    code, _, err = run(*args, "--db", db)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1, err


def test_empty_windows_say_why(tmp_path: Path, journal: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    run("import", str(journal), "--db", db, "-q")
    code, _, err = run("summary", "--at", "2030-01-01", "--db", db)
    assert code == 0 and "no events in these windows: the newest stored event is at" in err


def test_piped_tables_keep_every_figure(tmp_path: Path, journal: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    run("import", str(journal), "--db", db, "-q")
    code, out, _ = run("events", "--db", db, "--format", "table")
    assert code == 0 and "…" not in out
    assert not any(c in out for c in ("e+", "e-0"))  # no quantity or price in exponent form


def test_reading_a_missing_store_says_what_to_do(tmp_path: Path) -> None:
    code, _, err = run("summary", "--db", str(tmp_path / "none.duckdb"))
    assert code == 2 and "no store" in err and "liqwatch import" in err


def test_a_file_that_is_not_a_store_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("my notes\n")
    code, _, err = run("summary", "--db", str(path))
    assert code == 2 and "not a DuckDB" in err
    assert path.read_text() == "my notes\n"


def test_status_without_a_collector(tmp_path: Path, journal: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    run("import", str(journal), "--db", db, "-q")
    code, out, err = run("status", "--db", db, "--json")
    assert code == 0, err
    rows = {row["venue"]: row for row in json.loads(out)}
    assert set(rows) == set(REGISTRY)
    assert rows["bybit"]["collector"] == "never run"
    assert rows["binance_usdm"]["dead_letters"] == 1


def test_summary_names_a_numbered_market_by_its_coin(tmp_path: Path) -> None:
    """Lighter's symbols are market numbers: the largest order reads "ETH (market 0)", not "0"."""
    db = str(tmp_path / "l.duckdb")
    at = 1_767_225_600_000
    big = Liquidation(
        "lighter", "0", "ETH", "long", 3000.0, 10.0, 30_000.0, at - 60_000, at - 60_000, "complete", "l:1"
    )
    with DuckDBStore(db) as store:
        store.write_events([big])
    code, out, _ = run("summary", "--db", db, "--at", str(at), "--windows", "1h")
    assert code == 0
    assert "ETH (market" in out and " 0 long" not in out  # the table may fold the cell; never the bare number

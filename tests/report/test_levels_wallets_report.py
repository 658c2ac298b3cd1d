"""The report's liquidation-levels and smart-money-wallets paragraphs, over a real DuckDB store filled
from the generated levels tape (candles, open interest, liquidations) and hand-built wallet polls with
known szi / entry / mark: the paragraphs appear, their figures equal Σ szi × (mark − entry) and the
BreakThrough fields, and check.py re-runs every printed command to recompute them."""

from __future__ import annotations

import json
import shlex
from typing import Any

import msgspec
import pytest
from typer.testing import CliRunner

from liqwatch.analytics.levels_events import DEFAULT_EVENTS, BreakThrough, break_throughs
from liqwatch.cli import app
from liqwatch.model import Candle, Liquidation
from liqwatch.sim.levels_tape import generate
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.timeparse import iso
from liqwatch.wallets.model import PositionSnapshot, WalletPoll, WalletSet, WalletSpec
from tests.report.check import check_figures, check_prose, check_tables

runner = CliRunner()
H = 3_600_000
DAY = 86_400_000
RULE = "leaderboard: allTime pnl >= 1000000"
W1, W2, W3 = "0x" + "1" * 40, "0x" + "2" * 40, "0x" + "3" * 40
WALLET_SET = WalletSet((WalletSpec(W1, "whale 1"), WalletSpec(W2), WalletSpec(W3), WalletSpec("0x" + "4" * 40)), RULE)
# (wallet, coin, szi, entry, mark): altcoin shorts lose 30,000 + 50,000 + 15,000
POSITIONS = (
    (W1, "SOL", -1_000.0, 150.0, 180.0),
    (W1, "DOGE", -1_000_000.0, 0.20, 0.25),
    (W2, "BTC", 2.0, 100_000.0, 101_000.0),
    (W2, "ETH", -10.0, 3_000.0, 2_900.0),
    (W3, "HYPE", -5_000.0, 30.0, 33.0),
    (W3, "SOL", 200.0, 170.0, 180.0),
)


def hourly(bars: list[Candle]) -> list[Candle]:
    """The tape's 5-minute candles as the hourly candles the levels model reads from a store."""
    out: list[Candle] = []
    for start in sorted({b.open_ts - b.open_ts % H for b in bars}):
        hour = [b for b in bars if start <= b.open_ts < start + H]
        if len(hour) < H // hour[0].interval_ms:
            continue
        first = hour[0]
        out.append(
            Candle(
                first.venue,
                first.symbol,
                first.coin,
                H,
                start,
                first.open,
                max(b.high for b in hour),
                min(b.low for b in hour),
                hour[-1].close,
            )
        )
    return out


def snapshot(ts: int, wallet: str, coin: str, szi: float, entry: float, mark: float) -> PositionSnapshot:
    return PositionSnapshot(
        ts=ts,
        wallet=wallet,
        coin=coin,
        szi=szi,
        entry_px=entry,
        mark_px=mark,
        position_value=abs(szi) * mark,
        unrealized_pnl=szi * (mark - entry),
        label="whale 1" if wallet == W1 else "",
        set_hash=WALLET_SET.hash,
    )


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int, list[BreakThrough]]:
    tape = generate(2, days=4)
    candles = hourly(tape.candles)
    oi = [s for s in tape.open_interest if s.ts % H == 0]
    every = break_throughs(candles, oi, tape.liquidations)
    assert every, "the tape has break-throughs"
    # a report two hours after the last break-through's bar: its follow-up period is over by then
    at = every[-1].bar_end + 2 * H
    assert every[-1].bar_end + DEFAULT_EVENTS.follow_ms <= at
    db = str(tmp_path_factory.mktemp("levels") / "store.duckdb")
    polled = at - 10 * 60_000
    with DuckDBStore(db) as store:
        store.write_events([e for e in tape.liquidations if e.ts <= at + DAY])
        store.write_candles(candles)
        store.write_stats(oi)
        store.write_wallet_set(WALLET_SET, polled - DAY)
        snaps = [snapshot(polled, *p) for p in POSITIONS]
        polls = [
            WalletPoll(polled, w, 1e6, tuple(p for p in snaps if p.wallet == w), WALLET_SET.hash) for w in (W1, W2, W3)
        ]
        store.write_positions(polls)
    return db, at, [e for e in every if at - DAY < e.bar_end <= at]


def run_json(db: str, cli: str) -> Any:
    """Run a command line as printed in the report (against this store) and parse its JSON."""
    args = shlex.split(cli)
    assert args[0] == "liqwatch"
    result = runner.invoke(app, [*args[1:], "--db", db])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def report(db: str, at: int, fmt: str = "json") -> Any:
    result = runner.invoke(app, ["report", "--db", db, "--at", iso(at), "--format", fmt])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if fmt == "json" else result.stdout


def test_levels_paragraphs_equal_the_break_through_and_recheck(scenario: tuple[str, int, list[BreakThrough]]) -> None:
    db, at, window_events = scenario
    doc = report(db, at)
    section = next(s for s in doc["sections"] if s["key"] == "levels")
    text = " ".join(section["paragraphs"])
    bt = max(window_events, key=lambda e: (e.fuel_cleared_usd, e.ts))
    figures = doc["figures"]
    key = "levels.BTC.break_through"
    assert figures[f"{key}.level_price"]["value"] == bt.level_price
    assert figures[f"{key}.fuel_cleared_usd"]["value"] == pytest.approx(bt.fuel_cleared_usd)
    assert figures[f"{key}.realized_usd"]["value"] == pytest.approx(bt.realized_usd)
    verb = "broke through" if bt.side == "short" else "broke down through"
    assert f"Bitcoin {verb} the {figures[f'{key}.level_price']['text']} {bt.side} cluster" in text
    assert f"clearing {figures[f'{key}.fuel_cleared_usd']['text']} of modelled {bt.side} exposure" in text
    assert "liqwatch levels model levels-1" in text and "Where the next liquidations may sit" in text
    assert figures[f"{key}.fuel_cleared_usd"]["text"].startswith("about ")  # modelled: two figures, "about"
    assert figures["levels.BTC.map.shorts.peak_price"]["value"] > figures["levels.BTC.map.price"]["value"]
    assert figures["levels.BTC.map.longs.peak_price"]["value"] < figures["levels.BTC.map.price"]["value"]
    events = [msgspec.json.decode(line, type=Liquidation) for line in run_json_lines(db)]
    assert check_figures(doc, events, stored_candles(db), lambda cli: run_json(db, cli)) > 30
    check_tables(doc, events)
    check_prose(doc)


def stored_candles(db: str) -> list[Candle]:
    with DuckDBStore(db, read_only=True) as store:
        return store.candles("BTC", H) + store.candles("BTC", DAY)


def run_json_lines(db: str) -> list[bytes]:
    result = runner.invoke(app, ["events", "--db", db, "--format", "jsonl"])
    assert result.exit_code == 0
    return [line.encode() for line in result.stdout.splitlines() if line]


def test_wallets_paragraphs_equal_the_sum_of_szi_times_mark_minus_entry(
    scenario: tuple[str, int, list[BreakThrough]],
) -> None:
    db, at, _ = scenario
    doc = report(db, at)
    figures = doc["figures"]
    expected: dict[tuple[str, str], float] = {}
    for _, coin, szi, entry, mark in POSITIONS:
        group = coin if coin in ("BTC", "ETH") else "altcoins"
        direction = "long" if szi > 0 else "short"
        expected[(group, direction)] = expected.get((group, direction), 0.0) + szi * (mark - entry)
    for (group, direction), pnl in expected.items():
        assert figures[f"wallets.{group}.{direction}.pnl"]["value"] == pytest.approx(pnl)
    assert expected[("altcoins", "short")] == pytest.approx(-95_000)
    section = next(s for s in doc["sections"] if s["key"] == "wallets")
    text = " ".join(section["paragraphs"])
    assert text.startswith("Smart-money wallets' altcoin shorts show $95,000 in unrealized losses (3 positions")
    assert (
        f"The largest single loss: whale 1 ({W1}) is short 1,000,000 DOGE from $0.20, marked at $0.25: $50,000." in text
    )
    assert figures["wallets.worst.pnl"]["value"] == pytest.approx(-50_000)
    assert figures["wallets.set.0.members"]["value"] == 4 and figures["wallets.holding"]["value"] == 3
    assert "3 of the 4 watched wallets held positions." in text
    note = next(s for s in doc["sections"] if s["key"] == "data_note")["paragraphs"]
    assert any(WALLET_SET.hash[:12] in p and RULE in p for p in note)  # the rule is method: in the data note
    assert RULE not in text
    events = [msgspec.json.decode(line, type=Liquidation) for line in run_json_lines(db)]
    check_figures(doc, events, stored_candles(db), lambda cli: run_json(db, cli))
    check_prose(doc)
    markdown = report(db, at, "md")
    assert "## Smart-money wallets" in markdown and "## Liquidation levels" in markdown
    assert "Smart-money wallets" in report(db, at, "html")


def test_no_wallet_section_when_the_last_poll_is_stale(scenario: tuple[str, int, list[BreakThrough]]) -> None:
    db, at, _ = scenario
    doc = report(db, at + 5 * H)
    assert all(s["key"] != "wallets" for s in doc["sections"])


def test_every_watched_wallet_holding_reads_all_not_n_of_n() -> None:
    from types import SimpleNamespace

    from liqwatch.report.common import Book
    from liqwatch.report.model import WalletInputs
    from liqwatch.report.sections_wallets import _set_sentence

    def sentence(holding: int) -> str:
        positions = [SimpleNamespace(wallet=f"0x{k}") for k in range(holding)]
        wallets = WalletInputs(positions, [("abc", RULE)], {"abc": 4})  # type: ignore[arg-type]
        book = Book()
        text = _set_sentence(book, SimpleNamespace(wallets=wallets), "liqwatch wallets pnl")  # type: ignore[arg-type]
        assert book.figures["wallets.holding"].value == holding and book.figures["wallets.set.0.members"].value == 4
        return text

    assert sentence(4) == "All 4 watched wallets held positions."
    assert sentence(3) == "3 of the 4 watched wallets held positions."

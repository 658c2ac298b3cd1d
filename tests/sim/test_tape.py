"""Scenario tapes: seeded and reproducible, every venue, both sides, heavy-tailed sizes, the venues'
own publication rules; replay tapes from capture journals."""

from __future__ import annotations

import itertools
import json
import statistics
from collections import Counter
from pathlib import Path

import pytest

from liqwatch.sim import markets as mk
from liqwatch.sim.model import Push
from liqwatch.sim.regimes import PHASES
from liqwatch.sim.server import replay_tape
from liqwatch.sim.tape import SCENARIOS, PriceBook, liquidations, scenario_tape
from liqwatch.venues import REGISTRY
from tests.sim.helpers import NOW, sim_catalogue

VENUES = tuple(REGISTRY)
CATALOGUE = sim_catalogue()


def tape(scenario: str, seed: int, seconds: int, venues: tuple[str, ...] = VENUES, start: int = NOW) -> list[Push]:
    return list(
        itertools.takewhile(lambda p: p.at < start + seconds * 1000, scenario_tape(scenario, seed, venues, start))
    )


def phase_window(scenario: str, index: int) -> tuple[int, int]:
    """(first, last) second of a scenario's phase."""
    first = sum(p.seconds for p in PHASES[scenario][:index])
    return first, first + PHASES[scenario][index].seconds


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_seed_gives_the_same_tape(scenario: str) -> None:
    first = tape(scenario, 42, 300)
    again = tape(scenario, 42, 300)
    assert first == again
    assert tape(scenario, 43, 300) != first
    assert any(p.truths for p in first)


def test_the_tape_does_not_depend_on_what_consumes_it() -> None:
    book = PriceBook(NOW, 1)
    with_book = list(itertools.islice(scenario_tape("squeeze", 1, VENUES, NOW, book), 2000))
    assert with_book == list(itertools.islice(scenario_tape("squeeze", 1, VENUES, NOW), 2000))
    assert book.last("BTC") != mk.COINS["BTC"][0]  # the book followed the tape's prices


def test_every_venue_both_sides_heavy_tailed_sizes() -> None:
    liqs = list(liquidations(tape("calm", 7, 3600)))
    assert {liq.venue for liq in liqs} == set(mk.VENUE_SHARE)
    sides = Counter(liq.side for liq in liqs)
    assert 0.35 < sides["long"] / len(liqs) < 0.65
    usd = sorted(liq.usd for liq in liqs if liq.usd is not None)
    median = statistics.median(usd)
    assert 500 < median < 10_000  # many small…
    assert usd[-1] > 100 * median  # …rare huge
    assert sum(usd[-len(usd) // 100 :]) > 0.15 * sum(usd)  # the top 1% carry a big share of the total
    # at about 1 liquidation a second (~85,000 on a calm day, all venues): a small venue is rarely a minute without one
    assert 0.35 < len(liqs) / 3600 < 1.3


def test_squeezes_liquidate_shorts_and_crashes_liquidate_longs() -> None:
    first, last = phase_window("squeeze", 1)
    squeeze = [liq for liq in liquidations(tape("squeeze", 3, last)) if liq.ts >= NOW + first * 1000]
    assert Counter(liq.side for liq in squeeze)["short"] > 0.7 * len(squeeze)
    first, last = phase_window("crash", 1)
    crash_tape = tape("crash", 3, last)
    crash = [liq for liq in liquidations(crash_tape) if liq.ts >= NOW + first * 1000]
    assert Counter(liq.side for liq in crash)["long"] > 0.7 * len(crash)
    calm_rate = len([liq for liq in liquidations(crash_tape) if liq.ts < NOW + first * 1000]) / first
    assert len(crash) / (last - first) > 5 * calm_rate
    assert max(liq.usd or 0 for liq in crash) > 1e6


def test_binance_publishes_at_most_one_per_symbol_per_second_on_both_hosts() -> None:
    pushes = [p for p in tape("crash", 2, 900) if p.venue.startswith("binance")]
    per_host = Counter(p.venue for p in pushes)
    assert per_host["binance_usdm"] == per_host["binance_coinm"] > 100
    seconds = Counter((p.truths[0].symbol, p.truths[0].ts // 1000) for p in pushes if p.venue == "binance_usdm")
    assert max(seconds.values()) == 1
    assert {p.truths[0].venue for p in pushes} == {"binance_usdm", "binance_coinm"}  # the merged universe


def test_every_pushed_liquidation_has_its_own_id() -> None:
    """No two truths collapse into one liqwatch id (that would look like a lost liquidation)."""
    ids: Counter[str] = Counter()
    truths = 0
    for push in tape("crash", 9, 1200):
        if not push.truths or push.venue == "binance_coinm":  # both Binance hosts push the same ones
            continue
        events = REGISTRY[push.venue].parse(push.text, push.at, CATALOGUE)
        assert len(events) == len(push.truths)
        truths += len(push.truths)
        ids.update(e.id for e in events)
    assert truths > 5000
    assert ids.most_common(1)[0][1] == 1


def test_pushes_are_in_time_order_and_bitmex_orders_end() -> None:
    pushes = tape("cascade", 4, 900)
    assert [p.at for p in pushes] == sorted(p.at for p in pushes)
    ops = Counter(p.op for p in pushes if p.venue == "bitmex")
    assert ops["insert"] > 20 and ops["delete"] > 0.9 * ops["insert"]


def test_price_book_history_and_candles() -> None:
    book = PriceBook(NOW, 1)
    for _ in itertools.islice(scenario_tape("calm", 1, ("okx",), NOW, book), 4000):
        pass
    hourly = book.candles("BTC", 3_600_000, NOW, 48)
    assert len(hourly) == 49  # 48 whole hours and the one under way
    assert all(low <= min(o, c) <= max(o, c) <= high for _, o, high, low, c, _ in hourly)
    daily = book.candles("ETH", 86_400_000, NOW, 30)
    assert len(daily) >= 30
    assert book.candles("BTC", 60_000, NOW + 30 * 60_000, 5)[-1][0] == (NOW + 30 * 60_000) // 60_000 * 60_000


def test_replay_tape_merges_journals_and_skips_control_frames(tmp_path: Path) -> None:
    a = tmp_path / "a.jsonl"
    b = tmp_path / "b.jsonl"
    liq = '{"e":"forceOrder","E":5,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"1","p":"1","ap":"1","X":"FILLED","l":"1","z":"1","T":5}}'
    rows_a = [
        {"ts": 1, "venue": "binance_usdm", "frame": '{"result":null,"id":1}'},
        {"ts": 3, "venue": "binance_usdm", "frame": '{"stream":"!forceOrder@arr","data":' + liq + "}"},
        {"ts": 9, "venue": "okx", "frame": "pong"},
    ]
    rows_b = [
        {"ts": 2, "venue": "bybit", "frame": '{"topic":"allLiquidation.BTCUSD","ts":2,"data":[]}'},
        {
            "ts": 4,
            "venue": "gate",
            "frame": '{"channel":"futures.public_liquidates","event":"update","result":[{"contract":"BTC_USD","size":1,"price":"1","time":1}]}',
        },
        {
            "ts": 5,
            "venue": "deribit",
            "frame": '{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}',
        },
    ]
    a.write_text("".join(json.dumps(r) + "\n" for r in rows_a))
    b.write_text("".join(json.dumps(r) + "\n" for r in rows_b))
    pushes = list(replay_tape([a, b], VENUES))
    assert [(p.at, p.venue, p.conn, p.topic) for p in pushes] == [
        (2, "bybit", "inverse", "*"),
        (3, "binance_usdm", "", "!forceOrder@arr"),
        (4, "gate", "btc", "*"),
    ]
    assert pushes[1].text == liq  # unwrapped; the server wraps it again for combined-stream clients
    assert list(replay_tape([a, b], ("okx",))) == []


def test_truth_values_follow_the_contract_rules() -> None:
    cases = [
        (mk.market("binance_usdm", "1000PEPEUSDT"), "0.0123000", "2000", (1.23e-05, 2_000_000.0, 24.6)),
        (mk.market("binance_coinm", "BTCUSD_PERP"), "95000.0", "3", (95000.0, 300 / 95000, 300.0)),
        (mk.market("okx", "BTC-USDT-SWAP"), "95000.1", "13", (95000.1, 0.13, 12350.013)),
        (mk.market("bitget", "BTCUSDT"), "89000", "37.722858", (89000.0, 37.722858 / 89000, 37.722858)),
        (mk.market("bitmex", "ETHUSD"), "3300.05", "80", (3300.05, None, None)),
        (mk.market("gate", "BTC_USD"), "95000.1", "10", (95000.1, None, None)),
    ]
    for market, price, size, (coin_price, qty, usd) in cases:
        assert market is not None
        got = mk.expected(market, price, size)
        assert got[0] == pytest.approx(coin_price, rel=1e-12)
        assert got[2] == usd
        assert (got[1] is None) == (qty is None) and (qty is None or got[1] == pytest.approx(qty, rel=1e-12))

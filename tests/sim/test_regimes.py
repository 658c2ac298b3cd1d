"""The market's regimes: the scenario's episode opens the tape, then episodes come at random times
(never on a fixed cycle), reproducibly for a seed; liquidations cluster where the price moves."""

from __future__ import annotations

import itertools
import math
import random
import statistics
from collections import Counter

import pytest

from liqwatch.sim.regimes import CALM, PHASES, SCENARIOS, Phase, regime_seconds, schedule
from liqwatch.sim.tape import PriceBook, liquidations, scenario_tape
from tests.sim.helpers import NOW

WEEK_S = 7 * 86_400


def episode_starts(scenario: str, seed: int, seconds: int) -> list[tuple[int, Phase]]:
    """(start second, first phase) of every episode after the opening one, within `seconds`."""
    rng = random.Random(f"test/{scenario}/{seed}")
    starts: list[tuple[int, Phase]] = []
    at, previous_calm = 0, True
    for index, phase in enumerate(schedule(scenario, rng)):
        if at >= seconds:
            break
        calm = phase.drift == 0.0 and phase.vol == CALM.vol and phase.rate == CALM.rate
        if index >= len(PHASES[scenario]) and previous_calm and not calm:
            starts.append((at, phase))
        previous_calm = calm
        at += phase.seconds
    return starts


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_episodes_come_at_irregular_times_in_varied_kinds_and_strengths(scenario: str) -> None:
    starts = episode_starts(scenario, 1, WEEK_S)
    assert 20 < len(starts) < 120  # a few a day
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(starts)]
    assert statistics.pstdev(gaps) > 0.3 * statistics.mean(gaps)  # no fixed cycle
    assert min(gaps) >= 900  # at least a quarter of an hour of calm between two
    directions = Counter((p.drift > 0) - (p.drift < 0) for _, p in starts)
    assert len(directions) >= 2  # a squeeze tape also flushes longs now and then (and vice versa)
    assert len({round(p.drift, 6) for _, p in starts if p.drift}) > 0.8 * sum(1 for _, p in starts if p.drift)
    assert len({p.seconds for _, p in starts}) > 0.5 * len(starts)


def test_a_seed_gives_the_same_regimes_and_another_seed_others() -> None:
    first = list(itertools.islice(regime_seconds("squeeze", 5), 40_000))
    assert first == list(itertools.islice(regime_seconds("squeeze", 5), 40_000))
    assert first != list(itertools.islice(regime_seconds("squeeze", 6), 40_000))
    opening = sum(p.seconds for p in PHASES["squeeze"])
    assert [p for p, _ in first[:opening]] == [p for p in PHASES["squeeze"] for _ in range(p.seconds)]
    factors = [f for _, f in first]
    assert min(factors) < 0.9 < 1.1 < max(factors)  # calm volatility wanders
    with pytest.raises(ValueError, match="unknown scenario"):
        next(regime_seconds("panic", 1))


@pytest.mark.parametrize("scenario", ["calm", "squeeze"])
def test_liquidations_cluster_where_the_price_moves(scenario: str) -> None:
    """Per minute: far more dispersed than a Poisson stream (variance = mean), and more liquidations
    in the minutes BTC moved more."""
    seconds = 5_400
    book = PriceBook(NOW, 3)
    tape = itertools.takewhile(lambda p: p.at < NOW + seconds * 1000, scenario_tape(scenario, 3, ("okx",), NOW, book))
    per_minute = Counter((liq.ts - NOW) // 60_000 for liq in liquidations(tape))
    counts = [per_minute[m] for m in range(seconds // 60 - 1)]
    moves = [abs(math.log(c / o)) for _, o, _, _, c in book.bars("BTC", NOW, NOW + seconds * 1000)][: len(counts)]
    assert statistics.variance(counts) > 5 * statistics.mean(counts)
    assert statistics.correlation(moves, counts) > 0.4

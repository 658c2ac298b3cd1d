"""When a scenario's market is calm and when it squeezes, slides or crashes. Pure and seeded.

A scenario opens with its named episode once (`PHASES`: a squeeze tape starts with 10 calm minutes,
a 15-minute rally, a 5-minute spike and 20 minutes of cooling), so a short run and the tests see it.
Then the market goes on the way markets do, never on a fixed cycle: calm stretches of random length
(exponential, at least `MIN_CALM_S`; after an episode, now and then only a short one: turmoil
clusters), broken by episodes drawn from the scenario's mix (a squeeze
tape mostly squeezes, now and then flushes longs or just chops), each stretched, shortened,
strengthened or softened at random. Calm volatility wanders too: a slow mean-reverting factor
(hours), so quiet and nervous stretches alternate. How many liquidations arrive in a second then
follows the price (tape.py): the phase's base rate, scaled by how far the last minute moved, plus
self-excitation (Hawkes), so liquidations cluster where the price moves.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Phase:
    seconds: int
    drift: float  # BTC log return over the whole phase
    vol: float  # BTC per-second log-return σ
    rate: float  # base liquidations per second, all venues
    size: float  # notional scale (× the calm median)
    long_bias: float  # added to P(long liquidated)
    excite: float  # branching ratio of the self-exciting arrivals (< 1)


CALM = Phase(600, 0.0, 8e-5, 0.7, 1.0, 0.0, 0.3)
_COOL = Phase(1200, -0.01, 1.2e-4, 1.0, 1.5, 0.0, 0.35)
SHORT_SQUEEZE = (
    Phase(900, 0.05, 2.5e-4, 1.8, 3.0, -0.25, 0.5),  # rally: shorts liquidated in bursts
    Phase(300, 0.03, 4e-4, 4.0, 4.5, -0.35, 0.6),  # spike
    _COOL,
)
LONG_CASCADE = (
    Phase(600, -0.02, 2e-4, 1.2, 2.2, 0.15, 0.6),  # slide
    Phase(600, -0.05, 3.5e-4, 1.5, 3.5, 0.3, 0.75),  # cascade: self-exciting long liquidations
    Phase(1200, 0.01, 1.2e-4, 1.0, 1.5, 0.0, 0.35),
)
CRASH = (
    Phase(600, -0.15, 6e-4, 4.0, 6.0, 0.4, 0.7),  # ~25 liquidations/s, mostly longs, $1M+ orders
    Phase(1800, 0.04, 2e-4, 1.5, 2.0, 0.0, 0.4),  # recovery
)
SHORT_POP = (Phase(300, 0.015, 2.5e-4, 1.5, 2.5, -0.2, 0.5), Phase(600, -0.005, 1.2e-4, 0.8, 1.3, 0.0, 0.35))
LONG_FLUSH = (Phase(300, -0.015, 2.5e-4, 1.5, 2.5, 0.2, 0.5), Phase(600, 0.005, 1.2e-4, 0.8, 1.3, 0.0, 0.35))
CHOP = (Phase(900, 0.0, 2e-4, 0.9, 1.5, 0.0, 0.45),)

# The opening episode of each scenario (tape seconds from its start).
PHASES: dict[str, tuple[Phase, ...]] = {
    "calm": (replace(CALM, seconds=3600),),
    "squeeze": (CALM, *SHORT_SQUEEZE),
    "cascade": (CALM, *LONG_CASCADE),
    "crash": (CALM, *CRASH),
}
SCENARIOS = tuple(PHASES)

# What follows the opening: (weight, episode) per scenario, and the mean calm between episodes.
MIX: dict[str, tuple[tuple[float, tuple[Phase, ...]], ...]] = {
    "calm": ((0.5, CHOP), (0.25, SHORT_POP), (0.25, LONG_FLUSH)),
    "squeeze": ((0.45, SHORT_SQUEEZE), (0.2, SHORT_POP), (0.15, LONG_FLUSH), (0.2, CHOP)),
    "cascade": ((0.45, LONG_CASCADE), (0.2, LONG_FLUSH), (0.15, SHORT_POP), (0.2, CHOP)),
    "crash": ((0.15, CRASH), (0.35, LONG_CASCADE), (0.2, SHORT_SQUEEZE), (0.3, CHOP)),
}
CALM_MEAN_S: dict[str, float] = {"calm": 9_000.0, "squeeze": 6_000.0, "cascade": 6_000.0, "crash": 6_000.0}
MIN_CALM_S = 900
AFTERSHOCK = 0.3  # the share of episodes followed by another after a short calm
VOL_HALF_LIFE_S = 3 * 3_600  # how slowly calm volatility wanders…
VOL_SPREAD = 0.35  # …and how far (σ of its log, at rest): mostly between 0.5× and 2×
VOL_STEP_S = 10  # it moves every 10 tape seconds


def varied(rng: random.Random, episode: tuple[Phase, ...]) -> list[Phase]:
    """One occurrence of `episode`: each phase 0.6–1.6× as long, its move ×~0.5–2, rate and sizes ±30%."""
    strength = min(2.0, max(0.5, math.exp(rng.gauss(0.0, 0.35))))
    out = []
    for phase in episode:
        out.append(
            replace(
                phase,
                seconds=max(60, round(phase.seconds * rng.uniform(0.6, 1.6))),
                drift=phase.drift * strength,
                rate=phase.rate * math.exp(rng.gauss(0.0, 0.25)) * strength**0.5,
                size=phase.size * math.exp(rng.gauss(0.0, 0.2)),
            )
        )
    return out


def schedule(scenario: str, rng: random.Random) -> Iterator[Phase]:
    """The phases one after another, endless: the opening episode, then calm and random episodes."""
    yield from PHASES[scenario]
    weights = [w for w, _ in MIX[scenario]]
    episodes = [e for _, e in MIX[scenario]]
    while True:
        if rng.random() < AFTERSHOCK:  # turmoil comes in clusters: another episode soon
            calm_s = rng.randint(MIN_CALM_S, 2 * MIN_CALM_S)
        else:
            calm_s = MIN_CALM_S + round(rng.expovariate(1.0 / CALM_MEAN_S[scenario]))
        yield replace(CALM, seconds=calm_s)
        yield from varied(rng, rng.choices(episodes, weights)[0])


def regime_seconds(scenario: str, seed: int) -> Iterator[tuple[Phase, float]]:
    """Per tape second: its phase and the volatility factor (×phase.vol) of that second."""
    if scenario not in PHASES:
        raise ValueError(f"unknown scenario {scenario!r} (known: {', '.join(SCENARIOS)})")
    rng = random.Random(f"liqwatch-sim/regimes/{scenario}/{seed}")
    keep = math.exp(-math.log(2) * VOL_STEP_S / VOL_HALF_LIFE_S)
    shock = VOL_SPREAD * math.sqrt(1 - keep * keep)
    log_vol, factor, second = 0.0, 1.0, 0
    for phase in schedule(scenario, rng):
        for _ in range(phase.seconds):
            if second % VOL_STEP_S == 0:
                log_vol = keep * log_vol + shock * rng.gauss(0.0, 1.0)
                factor = math.exp(log_vol)
            second += 1
            yield phase, factor

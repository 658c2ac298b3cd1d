"""Short-squeeze / long-cascade detection and cascade segmentation, with their evidence.

Pure and explainable (research/analytics.md §5.2). Every detection carries the checks it made —
the measured value, the threshold, passed or not, or unavailable when an input is missing — so a
report can say exactly why, and never more than the checks support.

Detector, for one scope (all coins or one coin) and one window, on the dominant side s:
- share   = L_s / (L_long + L_short)                         ≥ 0.70
- z       = (L_s − mean(B)) / stdev(B), B = L_s of the previous comparable periods of the
            same length (the baseline, at least `min_baseline` of them)            ≥ 3
- size    = L_s                                                ≥ min_usd
- move    = r / σ, r = ln(P_end / P_start) over the window, σ = stdev of the log returns of
            the 30 previous periods of the same length; up for shorts, down for longs   ≥ 2
- OI      = ΔOI% over the window                               < −0.5 % (positions closed)
- funding = the last funding rate before the window: negative before a short squeeze,
            positive before a long cascade (crowding; supporting evidence only)

Verdicts, from the strongest the evidence allows:
- "short_squeeze" / "long_cascade": share, z, size and move pass, and OI does not contradict
  (passes, or is unavailable);
- "short_liquidation_spike" / "long_liquidation_spike": share, z and size pass, and the move
  is unavailable (no price data) — the liquidations were outsized, nothing is said about price;
- "shorts_dominated" / "longs_dominated": share and size pass, nothing more;
- "none".

Cascade segmentation: one side's events in ts order are merged while consecutive events are at
most `gap_ms` apart; a segment is a cascade when it holds at least `min_count` events, at least
`min_usd` and `min_share` of the side's USD in the window, and its rate (USD per minute over
max(duration, 1 min)) is at least `rate_multiple` times the side's average rate in the window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Literal

import msgspec

from liqwatch.analytics.summary import UNITS_PER_USD, units_to_usd, usd_units
from liqwatch.model import Liquidation, Side

MINUTE_MS = 60_000

Verdict = Literal[
    "short_squeeze",
    "long_cascade",
    "short_liquidation_spike",
    "long_liquidation_spike",
    "shorts_dominated",
    "longs_dominated",
    "none",
]


class Params(msgspec.Struct, frozen=True):
    min_share: float = 0.70
    min_z: float = 3.0
    min_usd: float = 1_000_000.0
    min_move_sigmas: float = 2.0
    max_oi_change: float = -0.005
    min_baseline: int = 7
    # cascades
    gap_ms: int = 30_000
    cascade_min_count: int = 5
    cascade_min_usd: float = 1_000_000.0
    cascade_min_share: float = 0.02
    rate_multiple: float = 10.0


DEFAULT = Params()


class Check(msgspec.Struct, frozen=True):
    name: str  # "share", "z", "size", "move", "oi", "funding"
    value: float | None  # None: the input was not available
    threshold: float
    op: Literal[">=", "<", ">", "<="]
    passed: bool | None  # None: not available
    detail: str  # what was measured, in words


def _check(name: str, value: float | None, op: Literal[">=", "<", ">", "<="], threshold: float, detail: str) -> Check:
    if value is None or not math.isfinite(value):
        return Check(name, None, threshold, op, None, detail)
    passed = {
        ">=": value >= threshold,
        "<": value < threshold,
        ">": value > threshold,
        "<=": value <= threshold,
    }[op]
    return Check(name, value, threshold, op, passed, detail)


class PriceInput(msgspec.Struct, frozen=True):
    log_return: float  # ln(P_end / P_start) over the window
    sigma: float | None  # stdev of the log returns of previous periods of the same length
    periods: int  # how many returns sigma was computed from
    source: str  # "binance_usdm BTCUSDT 1h candles"


class Baseline(msgspec.Struct, frozen=True):
    """The dominant side's USD units in previous periods of the window's length."""

    starts: list[int]
    units: list[int]

    def stats(self) -> tuple[float, float] | None:
        n = len(self.units)
        if n < 2:
            return None
        values = [u / UNITS_PER_USD for u in self.units]
        mean = sum(values) / n
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
        return mean, std


class Detection(msgspec.Struct, frozen=True):
    verdict: Verdict
    scope: str  # "all coins" or a coin
    window: str  # label, e.g. "24h"
    start: int
    end: int
    side: Side | None  # the dominant side (more USD liquidated)
    long_usd: float
    short_usd: float
    share: float | None  # the dominant side's share of the USD
    z: float | None
    baseline_mean_usd: float | None
    baseline_std_usd: float | None
    baseline_periods: int
    checks: list[Check]

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)


def detect(
    *,
    scope: str,
    window: str,
    start: int,
    end: int,
    long_units: int,
    short_units: int,
    baseline_long: Baseline | None,
    baseline_short: Baseline | None,
    price: PriceInput | None = None,
    oi_change: float | None = None,
    funding: float | None = None,
    params: Params = DEFAULT,
) -> Detection:
    """The strongest verdict the evidence supports for one scope and window (see the module doc)."""
    total = long_units + short_units
    side: Side | None = None
    if total > 0:
        side = "short" if short_units >= long_units else "long"
    dominant = short_units if side == "short" else long_units
    share = dominant / total if total > 0 else None
    baseline = baseline_short if side == "short" else baseline_long
    stats = baseline.stats() if baseline is not None and len(baseline.units) >= params.min_baseline else None
    z: float | None = None
    if stats is not None:
        mean, std = stats
        value = dominant / UNITS_PER_USD
        if std > 0:
            z = (value - mean) / std
        elif value > mean:
            z = math.inf
        else:
            z = 0.0
    side_word = side or "dominant"
    checks = [
        _check("share", share, ">=", params.min_share, f"{side_word} share of liquidated USD"),
        _check(
            "z",
            None if z is None or math.isinf(z) else z,
            ">=",
            params.min_z,
            f"{side_word} liquidations vs the previous {len(baseline.units) if baseline else 0} periods "
            f"(standard deviations above their mean)",
        ),
        _check("size", dominant / UNITS_PER_USD, ">=", params.min_usd, f"{side_word} liquidated USD"),
    ]
    if z is not None and math.isinf(z):  # a flat, all-zero baseline: any liquidation is outsized
        checks[1] = Check("z", None, params.min_z, ">=", True, checks[1].detail + "; the baseline was flat")
    move: float | None = None
    if price is not None and price.sigma is not None and price.sigma > 0 and side is not None:
        signed = price.log_return if side == "short" else -price.log_return
        move = signed / price.sigma
    checks.append(
        _check(
            "move",
            move,
            ">=",
            params.min_move_sigmas,
            "price move in the squeeze direction, in standard deviations of "
            + (f"{price.periods} previous periods ({price.source})" if price is not None else "previous periods"),
        )
    )
    checks.append(_check("oi", oi_change, "<", params.max_oi_change, "open interest change over the window"))
    crowding = None if funding is None or side is None else (-funding if side == "short" else funding)
    checks.append(
        _check("funding", crowding, ">", 0.0, "funding before the window leaning against the liquidated side")
    )
    verdict = _verdict(side, {c.name: c.passed for c in checks})
    return Detection(
        verdict=verdict,
        scope=scope,
        window=window,
        start=start,
        end=end,
        side=side,
        long_usd=units_to_usd(long_units),
        short_usd=units_to_usd(short_units),
        share=share,
        z=None if z is None or math.isinf(z) else z,
        baseline_mean_usd=None if stats is None else stats[0],
        baseline_std_usd=None if stats is None else stats[1],
        baseline_periods=0 if baseline is None else len(baseline.units),
        checks=checks,
    )


def _verdict(side: Side | None, passed: dict[str, bool | None]) -> Verdict:
    if side is None or not passed["share"] or not passed["size"]:
        return "none"
    if passed["z"] and passed["move"] and passed["oi"] is not False:
        return "short_squeeze" if side == "short" else "long_cascade"
    if passed["z"] and passed["move"] is None:
        return "short_liquidation_spike" if side == "short" else "long_liquidation_spike"
    return "shorts_dominated" if side == "short" else "longs_dominated"


def one_sided(d: Detection) -> bool:
    """THE test of a one-sided window, for every sentence that says so: the share check passed."""
    share = d.check("share")
    return share is not None and share.passed is True


def short_of_full_pattern(d: Detection) -> list[Check]:
    """The checks that decided a one-sided window is not a squeeze/cascade, in the detector's order:
    z and move failed or unavailable, OI contradicting (failed). Empty for a full verdict or a
    window that is not one-sided."""
    if not one_sided(d) or d.verdict in ("short_squeeze", "long_cascade"):
        return []
    out = []
    for name in ("z", "move"):
        c = d.check(name)
        if c is not None and c.passed is not True:
            out.append(c)
    oi = d.check("oi")
    if oi is not None and oi.passed is False:
        out.append(oi)
    return out


# --- cascades -----------------------------------------------------------------------------------


class Cascade(msgspec.Struct, frozen=True):
    side: Side
    start: int  # ts of the first event
    end: int  # ts of the last event
    usd: float
    count: int
    venues: dict[str, float]  # venue → USD, largest first
    coins: dict[str, float]  # coin → USD, largest first
    peak_minute_start: int  # the busiest minute by USD: events with start < ts <= start + 1 min
    peak_minute_usd: float
    rate_multiple: float  # the cascade's USD per minute ÷ the side's average in the window

    @property
    def duration_ms(self) -> int:
        return self.end - self.start


def _ranked(values: dict[str, int]) -> dict[str, float]:
    return {k: units_to_usd(v) for k, v in sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))}


def cascades(
    events: Iterable[Liquidation],
    side: Side,
    window_start: int,
    window_end: int,
    params: Params = DEFAULT,
) -> list[Cascade]:
    """Bursts of one side's liquidations in (window_start, window_end], largest first."""
    picked = sorted(
        (e for e in events if e.side == side and window_start < e.ts <= window_end), key=lambda e: (e.ts, e.id)
    )
    side_units = sum(usd_units(e.usd) or 0 for e in picked)
    if side_units <= 0:
        return []
    minutes = max((window_end - window_start) / MINUTE_MS, 1.0)
    average_rate = side_units / minutes
    segments: list[list[Liquidation]] = []
    for e in picked:
        if segments and e.ts - segments[-1][-1].ts <= params.gap_ms:
            segments[-1].append(e)
        else:
            segments.append([e])
    threshold = max(params.cascade_min_usd * UNITS_PER_USD, params.cascade_min_share * side_units)
    out = []
    for seg in segments:
        units = sum(usd_units(e.usd) or 0 for e in seg)
        if len(seg) < params.cascade_min_count or units < threshold:
            continue
        duration_min = max((seg[-1].ts - seg[0].ts) / MINUTE_MS, 1.0)
        multiple = (units / duration_min) / average_rate
        if multiple < params.rate_multiple:
            continue
        venues: dict[str, int] = {}
        coins: dict[str, int] = {}
        per_minute: dict[int, int] = {}
        for e in seg:
            u = usd_units(e.usd) or 0
            venues[e.venue] = venues.get(e.venue, 0) + u
            coins[e.coin] = coins.get(e.coin, 0) + u
            minute = (e.ts - 1) // MINUTE_MS * MINUTE_MS
            per_minute[minute] = per_minute.get(minute, 0) + u
        peak = min(per_minute.items(), key=lambda kv: (-kv[1], kv[0]))
        out.append(
            Cascade(
                side=side,
                start=seg[0].ts,
                end=seg[-1].ts,
                usd=units_to_usd(units),
                count=len(seg),
                venues=_ranked(venues),
                coins=_ranked(coins),
                peak_minute_start=peak[0],
                peak_minute_usd=units_to_usd(peak[1]),
                rate_multiple=multiple,
            )
        )
    out.sort(key=lambda c: (-c.usd, c.start))
    return out


def baseline_blocks(values: Sequence[tuple[int, int]]) -> Baseline:
    """A Baseline from (period start, units) pairs, ordered by start."""
    ordered = sorted(values)
    return Baseline([s for s, _ in ordered], [u for _, u in ordered])

"""The level and wallets rules' sources, for AlertEngine: read in a worker thread every `sources_s`,
evaluated on the event loop (see alerts.engine). The reads are the only I/O; the rules are pure."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

import msgspec

from liqwatch.alerts.model import Alert, LevelRule, Rule, WalletsRule
from liqwatch.alerts.rules import RuleState
from liqwatch.analytics.levels_events import BreakThrough
from liqwatch.feed.clock import Clock
from liqwatch.wallets.model import PositionSnapshot

log = logging.getLogger("liqwatch.alerts")


LevelsSource = Callable[[str, int, int], Sequence[BreakThrough]]  # (coin, since, until) → break-throughs
WalletsSource = Callable[[], Sequence[PositionSnapshot]]  # the watched wallets' latest positions


class SourceReadings(msgspec.Struct, frozen=True):
    """What one read of the sources found (None: that source is not set or failed)."""

    levels: dict[str, list[BreakThrough]] | None
    wallets: list[PositionSnapshot] | None


class SourcesMixin:
    """AlertEngine's part that reads the store for level and wallets rules."""

    states: list[RuleState]
    clock: Clock
    levels_source: LevelsSource | None
    wallets_source: WalletsSource | None
    sources_s: float
    source_errors: int
    _sources_read_at: int | None
    _reading: bool

    def _dispatch(self, rule: Rule, alerts: list[Alert]) -> None:
        raise NotImplementedError

    def _rule_failed(self, state: RuleState, what: str) -> None:
        raise NotImplementedError

    @property
    def level_coins(self) -> list[str]:
        """The coins the level rules watch, in rule order."""
        rules = [s.rule for s in self.states if isinstance(s.rule, LevelRule)]
        return list(dict.fromkeys(coin for rule in rules for coin in rule.coins))

    @property
    def levels_lookback_ms(self) -> int:
        """How far back a levels read goes: the oldest bar end a level rule still announces, plus a bar."""
        ages = [s.rule.max_age_ms for s in self.states if isinstance(s.rule, LevelRule)]
        return max(ages, default=0) + 3_600_000

    @property
    def wants_wallets(self) -> bool:
        return any(isinstance(s.rule, WalletsRule) for s in self.states)

    def read_sources(self, now: int) -> SourceReadings:
        """Call the sources (blocking I/O: the run loop calls this in a worker thread)."""
        levels: dict[str, list[BreakThrough]] | None = None
        coins = self.level_coins
        if coins and self.levels_source is not None:
            levels = {}
            for coin in coins:
                try:
                    levels[coin] = list(self.levels_source(coin, now - self.levels_lookback_ms, now))
                except Exception:
                    self.source_errors += 1
                    log.exception("alerts: reading the liquidation levels of %s failed", coin)
        wallets: list[PositionSnapshot] | None = None
        if self.wants_wallets and self.wallets_source is not None:
            try:
                wallets = list(self.wallets_source())
            except Exception:
                self.source_errors += 1
                log.exception("alerts: reading the watched wallets' positions failed")
        return SourceReadings(levels, wallets)

    def apply_sources(self, readings: SourceReadings, now: int | None = None) -> None:
        """Evaluate the level and wallets rules on what `read_sources` found (on the event loop)."""
        now = self.clock() if now is None else now
        for state in self.states:
            try:
                alerts = []
                for coin, found in (readings.levels or {}).items():
                    alerts += state.on_levels(coin, found, now)
                if readings.wallets is not None:
                    alerts += state.on_wallets(readings.wallets, now)
            except Exception:
                self._rule_failed(state, "the levels/wallets sources")
                continue
            self._dispatch(state.rule, alerts)

    def poll_sources(self, now: int | None = None) -> None:
        """Read the sources and evaluate their rules now, in this thread (tests; the run loop uses a thread)."""
        now = self.clock() if now is None else now
        self._sources_read_at = now
        self.apply_sources(self.read_sources(now), now)

    def _sources_due(self, now: int) -> bool:
        if self._reading or (
            not (self.level_coins and self.levels_source) and not (self.wants_wallets and self.wallets_source)
        ):
            return False
        return self._sources_read_at is None or now - self._sources_read_at >= self.sources_s * 1000

    async def _read_sources_in_thread(self, now: int) -> None:
        self._reading = True
        self._sources_read_at = now
        try:
            readings = await asyncio.to_thread(self.read_sources, now)
        finally:
            self._reading = False
        self.apply_sources(readings, self.clock())

    def _start_read(self, reads: set[asyncio.Task[None]]) -> None:
        now = self.clock()
        if self._sources_due(now):
            task = asyncio.create_task(self._read_sources_in_thread(now), name="liqwatch-alerts-sources")
            reads.add(task)  # held until done: the loop keeps only weak references to tasks
            task.add_done_callback(reads.discard)

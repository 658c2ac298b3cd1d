"""The `writes` alert rule (issue 16 item 3): write failures of the collector raise an alert."""

from __future__ import annotations

from pathlib import Path

import msgspec

from liqwatch.alerts.config import load_alerts
from liqwatch.alerts.model import WritesRule
from liqwatch.alerts.writes import WritesState
from liqwatch.feed.collector import Status, VenueStatus


def status(journal: int = 0, store: int = 0, error: str | None = None) -> Status:
    venue = VenueStatus("okx", True, 1, 1, 1, 10, 5, 0, 0, 0, None, None, [], journal_errors=journal)
    return Status(1, 1, 1, 2.0, {"okx": venue}, store_errors=store, store_last_error=error)


def test_rising_failures_alert_once_per_cooldown_then_recovery() -> None:
    state = WritesState(WritesRule("disk", cooldown_ms=60_000))
    assert state.on_status(1_000, status()) == []
    [alert] = state.on_status(2_000, status(journal=40, store=1, error="StoreError: No space left on device"))
    assert alert.kind == "writes" and "40 journal frames" in alert.text and "No space left on device" in alert.text
    assert state.on_status(3_000, status(journal=90, store=2)) == []  # within the cooldown
    [again] = state.on_status(63_000, status(journal=95, store=2))
    assert "5 journal frames" in again.text
    [recovered] = state.on_status(64_000, status(journal=95, store=2))
    assert recovered.resolved and recovered.title == "liqwatch: writing again"
    assert state.on_status(65_000, status(journal=95, store=2)) == []


def test_failures_before_the_first_tick_count() -> None:
    state = WritesState(WritesRule("disk", notify_recovery=False))
    assert len(state.on_status(1_000, status(store=3))) == 1
    assert state.on_status(2_000, status(store=3)) == []


def test_the_rule_kind_in_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[alerts.rules]]\nkind = "writes"\ncooldown = "5m"\n\n[alerts.sinks.out]\ntype = "stdout"\n')
    config = load_alerts(str(path), {})
    assert config is not None
    [rule] = config.rules
    assert rule == WritesRule("write failures", cooldown_ms=300_000)
    assert msgspec.structs.asdict(rule)["notify_recovery"] is True

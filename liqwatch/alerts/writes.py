"""The `writes` rule: the collector could not write what it received (a full disk, a store gone).

Reads the write-failure counters of the collector's status every tick (journal frames not
written, journal flushes, store writes, gap-log lines) and says so once when they start rising,
again at most every `cooldown_ms` while they keep rising, and once when they have stopped for a
tick (`notify_recovery`). Pure: the engine hands it the status.
"""

from __future__ import annotations

from typing import Any

from liqwatch.alerts.model import Alert, WritesRule
from liqwatch.alerts.rules import RuleState


def write_failures(status: Any) -> dict[str, int]:
    """The failure counters of a collector Status (0 for what an older status does not have)."""
    venues = getattr(status, "venues", {}) or {}
    return {
        "journal frames": sum(getattr(v, "journal_errors", 0) for v in venues.values()),
        "journal flushes": int(getattr(status, "journal_sync_errors", 0)),
        "store writes": int(getattr(status, "store_errors", 0)),
        "gap log lines": int(getattr(status, "gap_log_errors", 0)),
    }


class WritesState(RuleState):
    rule: WritesRule

    def __init__(self, rule: WritesRule) -> None:
        self.rule = rule
        self.seen: dict[str, int] | None = None  # counters at the previous tick
        self.failing_since: int | None = None
        self.last_alert = 0

    def on_status(self, now: int, status: Any) -> list[Alert]:
        counters = write_failures(status)
        previous, self.seen = self.seen, counters
        if previous is None:
            previous = dict.fromkeys(counters, 0)  # failures before the first tick count as new
        rising = {name: counters[name] - previous.get(name, 0) for name in counters}
        rising = {name: n for name, n in rising.items() if n > 0}
        rule = self.rule
        if not rising:
            if self.failing_since is None:
                return []
            since, self.failing_since = self.failing_since, None
            if not rule.notify_recovery:
                return []
            return [
                Alert(
                    kind="writes",
                    rule=rule.name,
                    key=f"writes:{rule.name}:{since}:recovered",
                    ts=now,
                    title="liqwatch: writing again",
                    text="The collector's writes succeed again; frames received while they failed are "
                    "missing from the journal or the store (see `liqwatch status`).",
                    fields={"failing_since": since},
                    resolved=True,
                )
            ]
        if self.failing_since is None:
            self.failing_since = now
        elif now - self.last_alert < rule.cooldown_ms:
            return []
        self.last_alert = now
        what = ", ".join(f"{n:,} {name}" for name, n in rising.items())
        cause = getattr(status, "store_last_error", None)
        text = f"Writes are failing ({what} since the last check)"
        text += f"; last store error: {cause}" if cause else ""
        fields: dict[str, str | int | float | None] = {f"new {name}": n for name, n in rising.items()}
        fields["failing_since"] = self.failing_since
        return [
            Alert(
                kind="writes",
                rule=rule.name,
                key=f"writes:{rule.name}:{now}",
                ts=now,
                title="liqwatch: write failures",
                text=text + ". Liquidations received now may be lost: free disk space or fix the store.",
                fields=fields,
            )
        ]

"""Prometheus text exposition (format 0.0.4) for /metrics, written by hand (pure).

Per venue from the collector Status: frames, events, dead letters, reconnects, gaps, connected
and lag (now − last data frame). Process-wide: pipeline, store writer and live-stream counters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from liqwatch.feed.collector import Status
from liqwatch.web.venues import freshest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

VENUE_COUNTERS = (
    ("frames", "liqwatch_frames_total", "Frames received from the venue."),
    ("events", "liqwatch_events_total", "New (deduplicated) liquidations parsed from the venue's frames."),
    ("dead_letters", "liqwatch_dead_letters_total", "Frames that failed to parse (kept in the dead-letter file)."),
    ("reconnects", "liqwatch_reconnects_total", "Reconnections to the venue."),
    ("gaps", "liqwatch_gaps_total", "Feed gaps recorded for the venue."),
    ("journal_errors", "liqwatch_journal_write_errors_total", "Frames of the venue the journal could not write."),
)

# Collector-wide write failures (a full disk, a store gone), summed over the collectors reporting.
WRITE_COUNTERS = (
    ("journal_sync_errors", "liqwatch_journal_sync_errors_total", "counter", "Journal flushes to disk that failed."),
    ("store_errors", "liqwatch_store_errors_total", "counter", "Store writes that failed (each is retried)."),
    ("store_dropped", "liqwatch_store_dropped_total", "counter", "Events the store writer gave up on."),
    ("store_pending", "liqwatch_store_pending", "gauge", "Events and gaps waiting for the store."),
    ("gap_log_errors", "liqwatch_gap_log_errors_total", "counter", "Gap-log lines that could not be written."),
)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if isinstance(value, float) and not value.is_integer() else str(int(value))


def _family(name: str, kind: str, help_text: str, samples: Iterable[tuple[str, float]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{labels} {_number(value)}" for labels, value in samples]
    return lines


def render(statuses: Sequence[Status], now: int, process: Mapping[str, tuple[str, str, float]]) -> str:
    """`process`: metric name → (kind "counter"|"gauge", help, value)."""
    live = freshest(statuses, now)
    lines: list[str] = []
    venues = sorted(live.items())
    for attr, name, help_text in VENUE_COUNTERS:
        samples = [(f'{{venue="{_label(v)}"}}', float(getattr(state, attr))) for v, (state, _) in venues]
        lines += _family(name, "counter", help_text, samples)
    lines += _family(
        "liqwatch_connected",
        "gauge",
        "1 when every connection of the venue is open (and its collector is running).",
        [(f'{{venue="{_label(v)}"}}', 1.0 if state.connected and running else 0.0) for v, (state, running) in venues],
    )
    lag = [
        (f'{{venue="{_label(v)}"}}', max(now - state.last_data_ts, 0) / 1000)
        for v, (state, _) in venues
        if state.last_data_ts is not None
    ]
    lines += _family("liqwatch_lag_seconds", "gauge", "Seconds since the venue's last data frame.", lag)
    for attr, name, kind, help_text in WRITE_COUNTERS:
        if statuses and name not in process:  # inside `liqwatch run` the store writer's own values win
            lines += _family(name, kind, help_text, [("", float(sum(getattr(s, attr) for s in statuses)))])
    for name, (kind, help_text, value) in sorted(process.items()):
        lines += _family(name, kind, help_text, [("", float(value))])
    return "\n".join(lines) + "\n"

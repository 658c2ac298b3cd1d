"""/metrics is Prometheus text (format 0.0.4) with the collector's per-venue counters."""

from __future__ import annotations

import re
from dataclasses import replace

import msgspec
from fastapi.testclient import TestClient

from liqwatch.feed.collector import Status, VenueStatus
from liqwatch.web.app import create_app
from liqwatch.web.context import WebContext
from tests.web.conftest import AT

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABELS = r'\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\}'
SAMPLE = re.compile(rf"^({NAME})({LABELS})? (-?[0-9][0-9.e+-]*|[+-]Inf|NaN)$")


def parse_exposition(text: str) -> dict[str, float]:
    """Every line valid; every sample's family declared by a TYPE line before it. Returns samples."""
    assert text.endswith("\n")
    typed: dict[str, str] = {}
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge") and name not in typed, line
            typed[name] = kind
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample: {line!r}"
        assert match.group(1) in typed, f"no TYPE before {line!r}"
        key = match.group(1) + (match.group(2) or "")
        assert key not in samples, f"duplicate sample {key}"
        samples[key] = float(match.group(3))
    return samples


def venue(name: str, **fields: object) -> VenueStatus:
    base = VenueStatus(name, True, AT - 60_000, AT - 1_000, AT - 2_500, 120, 40, 1, 2, 3, None, None, [])
    return msgspec.structs.replace(base, **fields)


def test_metrics_parse_as_prometheus_text(context: WebContext) -> None:
    status = Status(
        updated=AT - 500,
        started=AT - 3_600_000,
        pid=1,
        interval_s=2.0,
        venues={"binance_usdm": venue("binance_usdm"), "okx": venue("okx", connected=False, last_data_ts=None)},
    )

    async def statuses() -> list[Status]:
        return [status]

    def counters() -> dict[str, tuple[str, str, float]]:
        return {"liqwatch_pipeline_published_total": ("counter", "Events passed to the sinks.", 40.0)}

    ctx = replace(context, statuses=statuses, counters=counters)
    with TestClient(create_app(ctx)) as client:
        response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = parse_exposition(response.text)
    assert samples['liqwatch_frames_total{venue="binance_usdm"}'] == 120
    assert samples['liqwatch_events_total{venue="okx"}'] == 40
    assert samples['liqwatch_dead_letters_total{venue="okx"}'] == 1
    assert samples['liqwatch_reconnects_total{venue="okx"}'] == 2
    assert samples['liqwatch_gaps_total{venue="okx"}'] == 3
    assert samples['liqwatch_connected{venue="binance_usdm"}'] == 1
    assert samples['liqwatch_connected{venue="okx"}'] == 0
    assert samples['liqwatch_lag_seconds{venue="binance_usdm"}'] == 2.5
    assert 'liqwatch_lag_seconds{venue="okx"}' not in samples  # no data frame yet: no lag to report
    assert samples["liqwatch_pipeline_published_total"] == 40
    assert samples["liqwatch_stream_clients"] == 0


def test_metrics_without_a_collector_still_parse(client: TestClient) -> None:
    samples = parse_exposition(client.get("/metrics").text)
    assert samples["liqwatch_stream_dropped_total"] == 0

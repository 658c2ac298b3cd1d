"""The engine as a pipeline sink: inline alerts, per-sink queues, slow and failing sinks, end to end."""

from __future__ import annotations

import asyncio
import contextlib
import io
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from liqwatch.alerts.engine import AlertEngine, Delivery
from liqwatch.alerts.format import SIGNATURE_HEADER, verify_signature
from liqwatch.alerts.model import OrderRule, VenueRule, WindowRule
from liqwatch.alerts.sinks import StdoutSender
from liqwatch.config import ConfigError
from liqwatch.feed.collector import Status, VenueStatus
from liqwatch.model import Gap
from liqwatch.pipeline import Pipeline
from tests.alerts.servers import Recorder
from tests.analytics.factories import AT, ev

M = 60_000
H = 3_600_000
FAST = Delivery(attempts=3, retry_initial_s=0.001, retry_cap_s=0.01)


class Clock:
    def __init__(self, now: int = AT) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@contextlib.asynccontextmanager
async def running(engine: AlertEngine) -> AsyncIterator[AlertEngine]:
    task = asyncio.create_task(engine.run())
    try:
        yield engine
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def config_toml(ops: str, slow: str) -> str:
    return f"""
[alerts]
tick = "1h"   # the tests tick by hand

[alerts.sinks.ops]
type = "webhook"
url = "{ops}/hook"
secret_env = "HOOK_SECRET"
retry_initial = "1ms"
retry_cap = "10ms"
parallel = 1  # one at a time: the order of arrival is checked below

[alerts.sinks.slow]
type = "slack"
url = "{slow}/slack"
timeout = "60s"
parallel = 1

[[alerts.rules]]
name = "big-order"
kind = "order"
above_usd = 1_000_000

[[alerts.rules]]
name = "btc-1h"
kind = "window"
window = "1h"
coin = "BTC"
above_usd = 3_000_000
sinks = ["ops"]

[[alerts.rules]]
name = "feeds"
kind = "venue"
silent_after = "5m"
min_gap = "10s"
sinks = ["ops"]
"""


def test_parallel_senders_work_a_burst_at_once_and_a_hang_blocks_only_its_own() -> None:
    """parallel = 3: a hanging server holds three alerts in flight and no more; a healthy sink beside
    it gets a whole burst, every alert exactly once."""
    config = """
[alerts.sinks.ops]
type = "webhook"
url = "{ops}/hook"
[alerts.sinks.slow]
type = "webhook"
url = "{slow}/hook"
timeout = "60s"
parallel = 3
[[alerts.rules]]
kind = "order"
above_usd = 1
"""

    async def main(ops: Recorder, slow: Recorder) -> None:
        engine = AlertEngine.from_config(tomllib.loads(config.format(ops=ops.url, slow=slow.url)), clock=Clock())
        assert engine is not None
        async with running(engine):
            engine.write([ev(AT + i, 10.0 + i, id=f"e{i}") for i in range(40)])
            received = await ops.wait_for(40)
            await slow.wait_for(3)
            while engine.stats().sinks["ops"].sent < 40:
                await asyncio.sleep(0.005)
            stats = engine.stats()
            assert stats.sinks["slow"].queued == 37 and engine.outboxes["slow"].busy == 3
        ids = sorted(r.json()["fields"]["id"] for r in received)
        assert ids == sorted(f"e{i}" for i in range(40))  # each once, in whatever order they landed
        assert len(slow.received()) == 3

    with Recorder() as ops, Recorder() as slow:
        slow.hang()
        asyncio.run(main(ops, slow))


def test_parallel_is_checked() -> None:
    raw = {"alerts": {"sinks": {"x": {"type": "stdout", "parallel": 0}}, "rules": [{"kind": "order", "above_usd": 1}]}}
    with pytest.raises(ConfigError, match=r"alerts.sinks.x: parallel must be a whole number >= 1"):
        AlertEngine.from_config(raw)
    raw["alerts"]["sinks"]["x"]["parallel"] = 33
    with pytest.raises(ConfigError, match=r"alerts.sinks.x: parallel must be between 1 and 32"):
        AlertEngine.from_config(raw)


def venue_status(last_data_ts: int) -> Status:
    okx = VenueStatus("okx", True, AT - H, last_data_ts, last_data_ts, 1, 1, 0, 0, 0, None, None, [])
    return Status(updated=AT, started=AT - H, pid=1, interval_s=2.0, venues={"okx": okx})


def test_end_to_end_through_the_pipeline_while_a_hanging_sink_delays_nothing(tmp_path: Path) -> None:
    """Events published through the real Pipeline reach a real HTTP server as signed alerts, while
    the other sink's server never answers: neither publish() nor the healthy sink waits for it."""
    clock = Clock()
    data_at = [AT]

    async def main(ops: Recorder, slow: Recorder) -> None:
        path = tmp_path / "config.toml"
        path.write_text(config_toml(ops.url, slow.url))
        engine = AlertEngine.from_config(
            path, clock=clock, environ={"HOOK_SECRET": "k"}, status=lambda: venue_status(data_at[0])
        )
        assert engine is not None
        pipeline = Pipeline([engine])
        async with running(engine):
            pipeline.publish([ev(AT, 2_000_000.0, id="o1", venue="okx")])  # an order alert (both sinks)
            [order] = await ops.wait_for(1)
            await slow.wait_for(1)  # the slow sink got its copy and is stuck on it
            pipeline.publish([ev(AT + 1, 1_500_000.0, id="o2"), ev(AT + 2, 10.0, id="small")])  # BTC 1h: 3.5M
            pipeline.publish([ev(AT + 1, 1_500_000.0, id="o2")])  # a duplicate: the pipeline drops it
            pipeline.publish_gap(Gap("okx", AT - 30_000, AT, "reconnect"))
            clock.now = AT + 6 * M
            engine.tick()  # okx silent since AT
            requests = await ops.wait_for(5)
            while engine.stats().sinks["ops"].sent < 5:  # the server has it; the sender reads the answer
                await asyncio.sleep(0.005)
            stats = engine.stats()
            assert stats.sinks["slow"].sent == 0 and stats.sinks["slow"].queued == 1  # o2 waits behind o1
            assert stats.sinks["ops"].sent == 5
        assert len(slow.received()) == 1
        bodies = [r.json() for r in requests]
        assert [(b["rule"], b["kind"]) for b in bodies] == [
            ("big-order", "order"),
            ("big-order", "order"),
            ("btc-1h", "window"),
            ("feeds", "venue"),
            ("feeds", "venue"),
        ]
        assert bodies[0]["events"][0]["id"] == "o1" and bodies[1]["events"][0]["id"] == "o2"
        assert bodies[2]["fields"]["value_usd"] == 3_500_010.0
        assert bodies[3]["title"] == "okx: feed gap of 30s" and bodies[4]["title"] == "okx: silent for 6m"
        for request in [order, *requests]:
            assert verify_signature("k", request.body, request.headers[SIGNATURE_HEADER.lower()])

    with Recorder() as ops, Recorder() as slow:
        slow.hang()
        asyncio.run(main(ops, slow))


def order_engine(senders: dict[str, object], **delivery: Delivery) -> AlertEngine:
    rule = OrderRule(name="big", above_usd=1e6)
    return AlertEngine([rule], senders, delivery=delivery, clock=Clock())  # type: ignore[arg-type]


def test_a_failing_sink_is_counted_and_the_next_alert_is_tried_afresh() -> None:
    from liqwatch.alerts.config import SinkConfig
    from liqwatch.alerts.sinks import HttpSender

    async def main(server: Recorder) -> AlertEngine:
        engine = order_engine({"ops": HttpSender(SinkConfig("ops", "webhook", url=server.url))}, ops=FAST)
        async with running(engine):
            server.fail(3, status=500)
            engine.write([ev(AT, 2e6, id="a")])
            engine.write([ev(AT, 2e6, id="b")])
            await server.wait_for(4)
            assert await engine.drain()
        return engine

    with Recorder() as server:
        engine = asyncio.run(main(server))
        ids = [r.json()["events"][0]["id"] for r in server.received()]
    assert ids == ["a", "a", "a", "b"]
    counters = engine.stats().sinks["ops"]
    assert (counters.sent, counters.failed, counters.retries) == (1, 1, 2)
    assert counters.last_error is not None and counters.last_error.startswith("HTTP 500")


def test_a_full_queue_drops_the_oldest_alert() -> None:
    stream = io.StringIO()
    engine = order_engine({"console": StdoutSender("console", stream)}, console=Delivery(queue=2))
    engine.write([ev(AT, 2e6, id=str(i)) for i in range(5)])  # no run(): nothing is sent yet
    stats = engine.stats()
    assert stats.raised == 5 and stats.sinks["console"].dropped == 3 and stats.sinks["console"].queued == 2

    async def main() -> None:
        async with running(engine):
            assert await engine.drain()

    asyncio.run(main())
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "BTCUSDT long position" in lines[0]
    assert engine.stats().sinks["console"].sent == 2


def test_the_same_alert_key_is_raised_once() -> None:
    engine = order_engine({"console": StdoutSender("console", io.StringIO())})
    engine.write([ev(AT, 2e6, id="x")])
    engine.write([ev(AT, 2e6, id="x")])  # written straight to the engine, no pipeline dedup in front
    assert engine.stats().raised == 1 and engine.stats().duplicates == 1


def test_rules_route_to_their_sinks_only() -> None:
    a, b = io.StringIO(), io.StringIO()
    rules = [OrderRule(name="to-a", above_usd=1e6, sinks=("a",)), VenueRule(name="to-all", silent_after_ms=None)]
    engine = AlertEngine(rules, {"a": StdoutSender("a", a), "b": StdoutSender("b", b)}, clock=Clock())
    engine.write([ev(AT, 2e6, id="x")])
    engine.write_gap(Gap("okx", AT - 1000, AT, "reconnect"))
    assert engine.stats().sinks["a"].queued == 2 and engine.stats().sinks["b"].queued == 1


def test_seed_counts_history_without_alerting_and_skips_it_later() -> None:
    rule = WindowRule(name="w", window="1h", window_ms=H, above_usd=3e6, rearm_below_usd=2e6)
    engine = AlertEngine([rule], {"c": StdoutSender("c", io.StringIO())}, clock=Clock())
    assert engine.longest_window_ms == H
    assert engine.seed([ev(AT - M, 2_500_000.0, id="stored")], AT) == 1
    engine.write([ev(AT - M, 2_500_000.0, id="stored")])  # replayed from the journal: already counted
    assert engine.stats().raised == 0
    engine.write([ev(AT + 1, 600_000.0, id="new")])
    assert engine.stats().raised == 1


def test_from_config_without_rules_is_none(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('db = "x.duckdb"\n')
    assert AlertEngine.from_config(path) is None
    assert AlertEngine.from_config({"alerts": {"sinks": {"c": {"type": "stdout"}}}}) is None
    engine = AlertEngine.from_config({"sinks": {"c": {"type": "stdout"}}, "rules": [{"kind": "order", "above_usd": 1}]})
    assert engine is not None and [s.rule.name for s in engine.states] == ["all order above $1"]

"""An unreachable venue is said plainly once, not at every retry (real sockets on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

import pytest

from liqwatch.feed.collector import Status, VenueStatus
from liqwatch.feed.connection import ConnectionState, RepeatLimiter, run_connection
from liqwatch.live import reachability_note
from tests.feed.helpers import Clock, Recorder, conn, spec


def test_repeat_limiter_says_first_changes_and_every_interval() -> None:
    quiet = RepeatLimiter(every_ms=1_000)
    said = [quiet.should_say(text, t) for text, t in [("a", 0), ("a", 10), ("a", 999), ("b", 1_000), ("b", 1_500)]]
    assert said == [True, False, False, True, False]
    assert quiet.should_say("b", 2_000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_venue_warns_once_then_retries_quietly(caplog: pytest.LogCaptureFixture) -> None:
    url = f"ws://127.0.0.1:{free_port()}/ws"  # nothing listens: every attempt is refused

    async def main() -> ConnectionState:
        rec = Recorder()
        state = ConnectionState("test", "ws", url)
        task = asyncio.create_task(
            run_connection(spec(), conn(url), rec.on_frame, rec.on_gap, state=state, sleep=rec.sleep, clock=Clock())
        )
        while state.failures < 12:
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return state

    with caplog.at_level(logging.DEBUG, logger="liqwatch.feed.connection"):
        state = asyncio.run(main())
    refusals = [r for r in caplog.records if "connect failed" in r.getMessage()]
    assert len(refusals) >= 12
    assert [r.levelno for r in refusals].count(logging.WARNING) == 1  # the rest are DEBUG
    assert "attempts so far" in refusals[-1].getMessage()
    assert state.last_error is not None


def venue(name: str, connected: bool, error: str | None) -> VenueStatus:
    return VenueStatus(name, connected, None, None, None, 0, 0, 0, 0, 0, None, error, [])


def test_no_venue_reachable_is_said_once_and_recovery_too() -> None:
    down = Status(
        20_000, 0, 1, 10.0, {"okx": venue("okx", False, "connect failed: DNS"), "gate": venue("gate", False, "x")}
    )
    note = reachability_note(down, 20_000, said_offline=False)
    assert note is not None and "no venue reachable" in note and "liqwatch demo" in note
    assert reachability_note(down, 30_000, said_offline=True) is None  # once
    assert reachability_note(down, 5_000, said_offline=False) is None  # too early to tell
    untried = Status(20_000, 0, 1, 10.0, {"okx": venue("okx", False, None)})
    assert reachability_note(untried, 20_000, said_offline=False) is None
    back = Status(40_000, 0, 1, 10.0, {"okx": venue("okx", True, None), "gate": venue("gate", False, "x")})
    assert reachability_note(back, 40_000, said_offline=True) == "liqwatch: connected again: okx"
    assert reachability_note(back, 40_000, said_offline=False) is None

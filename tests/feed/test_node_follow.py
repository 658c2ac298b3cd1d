"""The Hyperliquid node-file follower against real files in a temporary directory."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from liqwatch.feed.node_files import file_key, following, hourly_files, hourly_roots
from liqwatch.feed.node_follow import NodeFollower, Position, load_position, save_position
from liqwatch.model import Gap

FAST = {"poll_s": 0.01, "checkpoint_s": 0.05, "partial_grace_s": 0.1}


def fills_line(n: int) -> bytes:
    return json.dumps(["0xabc", {"coin": "BTC", "px": "1", "sz": "1", "side": "A", "time": n, "tid": n}]).encode()


def hour_file(root: Path, day: str, hour: int, fmt: str = "node_fills_by_block") -> Path:
    path = root / fmt / "hourly" / day / str(hour)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return path


def append(path: Path, data: bytes) -> None:
    with path.open("ab") as out:
        out.write(data)


class Recorder:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.gaps: list[Gap] = []

    def line(self, recv_ts: int, text: str) -> None:
        self.lines.append(text)


async def following_while(
    root: Path, rec: Recorder, act: Callable[[], Awaitable[None]], **options: float
) -> NodeFollower:
    follower = NodeFollower(
        root, rec.line, rec.gaps.append, position_path=root.parent / "position.json", **(FAST | options)
    )
    task = asyncio.create_task(follower.run())
    try:
        await act()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return follower


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_layout_sorts_hours_numerically_and_prefers_by_block(tmp_path: Path) -> None:
    for hour in (9, 10, 2):
        hour_file(tmp_path, "20261206", hour)
    hour_file(tmp_path, "20261205", 23)
    hour_file(tmp_path, "20261205", 23, fmt="node_fills")
    (root,) = hourly_roots(tmp_path)[:1]
    assert root.parent.name == "node_fills_by_block"
    files = hourly_files(root)
    assert [file_key(p) for p in files] == [("20261205", 23), ("20261206", 2), ("20261206", 9), ("20261206", 10)]
    assert following(files, files[1]) == files[2]
    assert following(files, files[-1]) is None


def test_tails_complete_lines_and_follows_rotation(tmp_path: Path) -> None:
    node = tmp_path / "data"
    first = hour_file(node, "20261206", 23)
    rec = Recorder()

    async def act() -> None:
        append(first, fills_line(1) + b"\n" + fills_line(2)[:10])  # the second line is still being written
        await until(lambda: len(rec.lines) == 1)
        await asyncio.sleep(0.05)
        assert len(rec.lines) == 1
        append(first, fills_line(2)[10:] + b"\n")
        await until(lambda: len(rec.lines) == 2)
        nxt = hour_file(node, "20261207", 0)  # the next day's first hour
        append(nxt, fills_line(3) + b"\n")
        await until(lambda: len(rec.lines) == 3)
        append(first, fills_line(99) + b"\n")  # written to the old hour after it was left: not read

    follower = asyncio.run(following_while(node, rec, act))
    assert rec.lines == [fills_line(n).decode() for n in (1, 2, 3)]
    assert follower.current is not None and file_key(follower.current) == ("20261207", 0)
    assert rec.gaps == []


def test_restart_resumes_at_the_saved_offset_without_loss_or_doubling(tmp_path: Path) -> None:
    node = tmp_path / "data"
    hour = hour_file(node, "20261206", 5, fmt="node_fills")
    append(hour, b"".join(fills_line(n) + b"\n" for n in range(1, 4)))
    first, second = Recorder(), Recorder()

    async def run_once(rec: Recorder, expect: int) -> None:
        async def act() -> None:
            await until(lambda: len(rec.lines) == expect)

        await following_while(node, rec, act)

    asyncio.run(run_once(first, 3))
    saved = load_position(tmp_path / "position.json")
    assert saved is not None and saved.file == "node_fills/hourly/20261206/5" and saved.offset == hour.stat().st_size
    append(hour, b"".join(fills_line(n) + b"\n" for n in range(4, 6)))  # written while liqwatch was down
    nxt = hour_file(node, "20261206", 6, fmt="node_fills")
    append(nxt, fills_line(6) + b"\n")
    asyncio.run(run_once(second, 3))
    assert first.lines + second.lines == [fills_line(n).decode() for n in range(1, 7)]


def test_partial_last_line_of_a_finished_hour_is_handed_on_after_the_grace(tmp_path: Path) -> None:
    node = tmp_path / "data"
    old = hour_file(node, "20261206", 1)
    append(old, fills_line(1) + b"\n" + b'["0xabc",{"coin":"BT')  # the node died mid-line
    new = hour_file(node, "20261206", 2)
    append(new, fills_line(2) + b"\n")
    save_position(tmp_path / "position.json", Position("node_fills_by_block/hourly/20261206/1", 0))
    rec = Recorder()

    async def act() -> None:
        await until(lambda: len(rec.lines) == 3)

    asyncio.run(following_while(node, rec, act))
    assert rec.lines == [fills_line(1).decode(), '["0xabc",{"coin":"BT', fills_line(2).decode()]


def test_silence_becomes_one_gap_when_lines_come_again(tmp_path: Path) -> None:
    node = tmp_path / "data"
    hour = hour_file(node, "20261206", 7)
    rec = Recorder()

    async def act() -> None:
        append(hour, fills_line(1) + b"\n")
        await until(lambda: len(rec.lines) == 1)
        await asyncio.sleep(0.4)  # silence_s 0.2: the node stopped writing
        assert rec.gaps == []  # open, not yet a gap
        append(hour, fills_line(2) + b"\n")
        await until(lambda: len(rec.gaps) == 1)

    follower = asyncio.run(following_while(node, rec, act, silence_s=0.2))
    (gap,) = rec.gaps
    assert gap.venue == "hyperliquid" and gap.reason == "node fills silent for 0.2 s"
    assert gap.end - gap.start >= 200
    assert follower.state.gaps == 1


def test_no_files_yet_is_reported_and_ends_as_a_gap_at_shutdown(tmp_path: Path) -> None:
    node = tmp_path / "data"
    node.mkdir()
    rec = Recorder()

    async def act() -> None:
        await asyncio.sleep(0.3)

    follower = asyncio.run(following_while(node, rec, act, silence_s=0.1))
    assert not follower.state.connected
    assert follower.state.last_error is not None and "--write-fills" in follower.state.last_error
    (gap,) = rec.gaps
    assert gap.reason.endswith("open at shutdown")


def test_a_line_longer_than_the_read_block_is_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("liqwatch.feed.node_follow.READ_BLOCK", 64)
    node = tmp_path / "data"
    hour = hour_file(node, "20261206", 3)
    long_line = json.dumps({"block_number": 1, "events": [["0xabc", {"pad": "x" * 500}]]}).encode()
    append(hour, long_line + b"\n" + fills_line(2) + b"\n")
    rec = Recorder()

    async def act() -> None:
        await until(lambda: len(rec.lines) == 2)

    asyncio.run(following_while(node, rec, act))
    assert rec.lines == [long_line.decode(), fills_line(2).decode()]


def test_a_file_pruned_under_the_follower_does_not_stop_it(tmp_path: Path) -> None:
    node = tmp_path / "data"
    old = hour_file(node, "20261206", 4)
    append(old, fills_line(1) + b"\n")
    rec = Recorder()

    async def act() -> None:
        await until(lambda: len(rec.lines) == 1)
        new = hour_file(node, "20261206", 5)
        old.unlink()  # the node's pruning removed the hour being read
        append(new, fills_line(2) + b"\n")
        await until(lambda: len(rec.lines) == 2)

    follower = asyncio.run(following_while(node, rec, act))
    assert rec.lines == [fills_line(1).decode(), fills_line(2).decode()]
    assert follower.current is not None and follower.current.name == "5"

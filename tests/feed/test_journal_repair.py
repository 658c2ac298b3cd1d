"""Journal self-repair (issue 16 item 2): a partial last line is cut off before anything is appended,
and every reader survives any content line by line."""

from __future__ import annotations

import json
from pathlib import Path

from liqwatch.feed.journal import CutLine, Journal, cut_partial_line, last_ts, read_journal, tail
from liqwatch.feed.recovery import recover
from liqwatch.instruments import Catalogue
from liqwatch.pipeline import Pipeline
from tests.feed import helpers

DAY = 1_767_225_601_000  # 2026-01-01T00:00:01Z


def _record(ts: int, frame: str, venue: str = "okx") -> bytes:
    return json.dumps({"ts": ts, "venue": venue, "frame": frame}).encode() + b"\n"


def test_a_partial_last_line_is_cut_and_reported_before_the_next_frame_is_appended(tmp_path: Path) -> None:
    path = tmp_path / "2026-01-01.jsonl"
    whole = _record(DAY, "first")
    partial = b'{"ts": 1767225601500, "venue": "bybit", "frame": "cut by a full di'
    path.write_bytes(whole + partial)
    cuts: list[CutLine] = []
    journal = Journal(tmp_path, clock=lambda: DAY + 1_000, on_cut=cuts.append)
    journal.start()
    journal.write("okx", DAY + 1_000, "next run's first frame")
    journal.close()

    assert [r.frame for r in read_journal(path)] == ["first", "next run's first frame"]
    (cut,) = cuts
    assert (cut.offset, cut.data, cut.venue) == (len(whole), partial, "bybit")
    assert f"byte {len(whole)}" in cut.reason


def test_a_file_of_one_partial_line_is_emptied_and_whole_files_are_left_alone(tmp_path: Path) -> None:
    lone = tmp_path / "lone.jsonl"
    lone.write_bytes(b'{"ts": 17')
    cut = cut_partial_line(lone)
    assert cut is not None and cut.offset == 0 and lone.read_bytes() == b""
    whole = tmp_path / "whole.jsonl"
    whole.write_bytes(_record(DAY, "a") + _record(DAY + 1, "b"))
    assert cut_partial_line(whole) is None
    assert len(whole.read_bytes().splitlines()) == 2
    assert cut_partial_line(lone) is None  # empty: nothing to cut


def test_a_partial_line_longer_than_the_search_block_is_cut_whole(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    whole = _record(DAY, "a")
    partial = b'{"ts": 1, "venue": "okx", "frame": "' + b"x" * 5_000
    path.write_bytes(whole + partial)
    cut = cut_partial_line(path, block=1_000)
    assert cut is not None and cut.offset == len(whole) and cut.data == partial


def test_readers_and_recovery_survive_any_line_content(tmp_path: Path) -> None:
    path = tmp_path / "2026-01-01.jsonl"
    bad_lines = [
        b'{"ts": 1767225601000, "venue": "fake", "frame": {"o": "\xff\xfe"}}\n',  # invalid UTF-8, embedded
        b'{"ts": 99999999999999999999999, "venue": "fake", "frame": "x"}\n',  # beyond int64
        b'{"ts": -5, "venue": "fake", "frame": "x"}\n',
        b'{"ts": 1.5, "venue": "fake", "frame": "x"}\n',
        b"\x00\x01 not json at all\n",
    ]
    good = [_record(DAY + i, helpers.liq(f"e{i}", T=DAY), helpers.VENUE) for i in range(3)]
    path.write_bytes(good[0] + b"".join(bad_lines) + good[1] + good[2])

    reader = read_journal(path)
    assert [r.ts for r in reader] == [DAY, DAY + 1, DAY + 2]
    assert reader.bad == len(bad_lines)
    assert [r.ts for r in tail(path, DAY)] == [DAY, DAY + 1, DAY + 2]
    assert last_ts(path) == DAY + 2

    result = recover(tmp_path, [helpers.spec()], Catalogue([]), Pipeline())
    assert result.frames == 3 and result.new_events == 3

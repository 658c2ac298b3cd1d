from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

from liqwatch.feed.journal import DeadLetters, Journal, journal_files, read_journal, tail

DAY1 = 1_767_225_599_000  # 2025-12-31T23:59:59Z
DAY2 = DAY1 + 2_000  # 2026-01-01T00:00:01Z
DAY3 = DAY2 + 86_400_000  # 2026-01-02


class SettableClock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def lines(path: Path) -> list[dict[str, object]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_records_are_the_exact_frames_in_the_contract_shape(tmp_path: Path) -> None:
    frames = ['{"e":"forceOrder"}', 'text ping\nwith "quotes" and ünïcødé 🚀', "", "not json {"]
    journal = Journal(tmp_path, clock=SettableClock(DAY2))
    for i, frame in enumerate(frames):
        journal.write("okx", DAY2 + i, frame)
    journal.close()
    path = tmp_path / "2026-01-01.jsonl"
    assert lines(path) == [{"ts": DAY2 + i, "venue": "okx", "frame": f} for i, f in enumerate(frames)]
    assert [r.frame for r in read_journal(path)] == frames


def test_rollover_compresses_the_closed_day_and_keeps_today_plain(tmp_path: Path) -> None:
    clock = SettableClock(DAY1)
    journal = Journal(tmp_path, clock=clock)
    journal.write("bybit", DAY1, "a")
    clock.now = DAY2
    journal.write("bybit", DAY2, "b")
    journal.write("bybit", DAY1 + 500, "late")  # stamped before midnight, arrived after: joins today
    journal.close()  # today is not over: stays plain
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2025-12-31.jsonl.gz", "2026-01-01.jsonl"]
    assert [r.frame for r in read_journal(tmp_path / "2025-12-31.jsonl.gz")] == ["a"]
    assert [r.frame for r in read_journal(tmp_path / "2026-01-01.jsonl")] == ["b", "late"]


def test_close_compresses_a_day_that_is_over_and_start_compresses_crash_leftovers(tmp_path: Path) -> None:
    clock = SettableClock(DAY2)
    journal = Journal(tmp_path, clock=clock)
    journal.write("gate", DAY2, "x")
    clock.now = DAY3
    journal.close()
    assert [p.name for p in tmp_path.iterdir()] == ["2026-01-01.jsonl.gz"]

    # A crash left a plain file of a past day, and the same day was also compressed before.
    (tmp_path / "2026-01-01.jsonl").write_text('{"ts":1,"venue":"gate","frame":"y"}\n')
    restarted = Journal(tmp_path, clock=SettableClock(DAY3))
    restarted.start()
    restarted.close()
    assert [p.name for p in tmp_path.iterdir()] == ["2026-01-01.jsonl.gz"]
    assert [r.frame for r in read_journal(tmp_path / "2026-01-01.jsonl.gz")] == ["x", "y"]  # gzip members


def test_background_sync_reaches_the_disk_without_close(tmp_path: Path) -> None:
    journal = Journal(tmp_path, clock=SettableClock(DAY2), sync_interval=0.05)
    journal.write("deribit", DAY2, "frame")
    path = tmp_path / "2026-01-01.jsonl"
    deadline = time.monotonic() + 10
    while path.read_bytes() == b"" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert lines(path) == [{"ts": DAY2, "venue": "deribit", "frame": "frame"}]
    journal.close()


def test_reader_survives_a_truncated_last_line_and_garbage(tmp_path: Path) -> None:
    path = tmp_path / "2026-01-01.jsonl"
    good = [json.dumps({"ts": i, "venue": "okx", "frame": f"f{i}"}) for i in range(3)]
    path.write_text(good[0] + "\n" + "garbage\n" + good[1] + "\n" + good[2] + "\n" + good[2][:17])
    reader = read_journal(path)
    assert [r.frame for r in reader] == ["f0", "f1", "f2"]
    assert reader.bad == 2
    assert [lineno for lineno, _ in reader.bad_lines] == [2, 5]


def test_reader_survives_a_truncated_gzip(tmp_path: Path) -> None:
    body = "".join(json.dumps({"ts": i, "venue": "okx", "frame": "x" * 50 + str(i)}) + "\n" for i in range(2000))
    data = gzip.compress(body.encode())
    path = tmp_path / "2026-01-01.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    reader = read_journal(path)
    records = list(reader)
    assert 0 < len(records) < 2000
    assert [r.ts for r in records] == list(range(len(records)))
    assert reader.bad >= 1  # the cut line and/or the cut stream, never an exception


def test_tail_reads_only_the_end(tmp_path: Path) -> None:
    path = tmp_path / "2026-01-01.jsonl"
    path.write_text("".join(json.dumps({"ts": i, "venue": "v", "frame": "y" * 30}) + "\n" for i in range(1000)))
    assert [r.ts for r in tail(path, 990, block=256)] == list(range(990, 1000))
    assert [r.ts for r in tail(path, 0, block=256)] == list(range(1000))
    assert list(tail(path, 5000)) == []


def test_journal_files_lists_days_in_order(tmp_path: Path) -> None:
    for name in ["2026-01-02.jsonl", "2026-01-01.jsonl.gz", "2026-01-01.jsonl", "notes.txt"]:
        (tmp_path / name).write_text("")
    assert [p.name for p in journal_files(tmp_path)] == [
        "2026-01-01.jsonl.gz",
        "2026-01-01.jsonl",
        "2026-01-02.jsonl",
    ]


def test_dead_letters_keep_frame_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "dead.jsonl"
    dead = DeadLetters(path)
    dead.write("bitget", 5, "{bad", "bitget: JSON is malformed")
    dead.write("bitget", 6, "also bad", "other")
    assert lines(path)[0] == {"ts": 5, "venue": "bitget", "frame": "{bad", "reason": "bitget: JSON is malformed"}
    assert dead.count == 2
    dead.close()
    assert [r.frame for r in read_journal(path)] == ["{bad", "also bad"]


def test_reader_accepts_frames_embedded_as_json(tmp_path: Path) -> None:
    path = tmp_path / "other-tool.jsonl"
    path.write_text('{"ts": 5, "venue": "bybit", "frame": {"topic": "allLiquidation.BTCUSDT", "data": []}}\n')
    (record,) = list(read_journal(path))
    assert record.frame == '{"topic": "allLiquidation.BTCUSDT", "data": []}'

"""Disk full on a really small filesystem (issue 16 item 3): `liqwatch run` with its store, journal
and status on an 8 MB tmpfs that fills up. The failures are counted in the status file and shown by
`liqwatch status`; writes resume when there is room; Ctrl-C while the disk is full exits 0 with a
one-line warning; nothing is stored twice, and re-importing the journal afterwards stores what it
kept. Needs permission to mount a tmpfs (root): skipped elsewhere."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from liqwatch.sim import SimConfig, Simulator
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore
from tests.sim.test_crash import ENV, _start, _wait_for_events
from tests.tmpfs import tmpfs


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "fs", "8m") as mount:
        yield mount


def _fill(directory: Path) -> Path:
    filler = directory / "filler"
    with contextlib.suppress(OSError), filler.open("ab", buffering=0) as out:
        while True:
            out.write(b"\0" * 65536)
    return filler


def _status(path: Path) -> dict[str, object] | None:
    try:
        value: dict[str, object] = json.loads(path.read_text())
        return value
    except (OSError, ValueError):
        return None


def _failures(status: dict[str, object]) -> int:
    venues = status["venues"]
    assert isinstance(venues, dict)
    journal = sum(int(v.get("journal_errors", 0)) for v in venues.values())
    return journal + int(status.get("journal_sync_errors", 0)) + int(status.get("store_errors", 0))  # type: ignore[call-overload]


def test_a_full_disk_is_counted_survived_and_stopped_cleanly(small_fs: Path) -> None:
    db = small_fs / "live.duckdb"
    status_file = small_fs / "live.state" / "status.json"

    ahead_ms = 0

    async def main() -> tuple[dict[str, object], str, str]:
        nonlocal ahead_ms
        config = SimConfig(venues=("binance_usdm", "okx"), scenario="crash", seed=8, speed=300, tick_s=0.2)
        async with Simulator(config) as sim:
            ahead_ms = sim.max_event_ahead_ms()
            process = await _start(sim, db)
            await _wait_for_events(status_file, process.pid, 100)
            filler = _fill(small_fs)
            await asyncio.sleep(2.0)  # frames keep coming: journal and store writes fail
            filler.unlink()  # room again: the status file is written again, with the failures counted
            seen: dict[str, object] | None = None
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                seen = _status(status_file)
                if seen is not None and seen["pid"] == process.pid and _failures(seen) > 0:
                    break
                await asyncio.sleep(0.2)
            assert seen is not None and _failures(seen) > 0, seen
            shown = subprocess.run(
                [sys.executable, "-m", "liqwatch", "status", "--db", str(db)],
                capture_output=True,
                text=True,
                env={**ENV, "COLUMNS": "250"},
                timeout=60,
            ).stdout
            _fill(small_fs)  # full again, then Ctrl-C
            await asyncio.sleep(1.0)
            process.send_signal(signal.SIGINT)
            _, stderr = await asyncio.wait_for(process.communicate(), 90)
            assert process.returncode == 0, stderr.decode()
            await sim.pause()
        return seen, shown, stderr.decode()

    seen, shown, stderr = asyncio.run(main())
    assert "Traceback" not in stderr, stderr
    assert "No space left on device" in stderr  # the real cause, not "no transaction is active"
    assert "cannot rollback" not in stderr
    warnings = [line for line in stderr.splitlines() if line.startswith("liqwatch: warning: could not write")]
    assert len(warnings) == 1, stderr
    assert "write failures:" in shown, shown
    cause = seen.get("store_last_error")
    assert cause is None or "No space left on device" in str(cause)  # the status file names the real cause

    (small_fs / "filler").unlink()
    full = subprocess.run(  # the journal outgrew the small disk while it was full: import needs room
        [
            sys.executable,
            "-m",
            "liqwatch",
            "import",
            "--db",
            str(db),
            "-q",
            "--max-event-ahead",
            str(ahead_ms // 1000),
            *map(str, (small_fs / "live.state" / "journal").iterdir()),
        ],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    if full.returncode != 0:  # when the disk fills again: one line naming the cause, no traceback
        assert "Traceback" not in full.stderr and "No space left on device" in full.stderr, full.stderr
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_fs)], check=True)
    with DuckDBStore(db) as store:  # opens (its WAL replayed): what was committed is there, once
        ids = [e.id for e in store.events(EventFilter())]
    assert ids and len(ids) == len(set(ids))
    imported = subprocess.run(
        [
            sys.executable,
            "-m",
            "liqwatch",
            "import",
            "--db",
            str(db),
            "-q",
            "--max-event-ahead",
            str(ahead_ms // 1000),  # the simulator's tape runs ahead of the wall clock
            *map(str, (small_fs / "live.state" / "journal").iterdir()),
        ],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert imported.returncode == 0, imported.stderr
    with DuckDBStore(db, read_only=True) as store:
        after = [e.id for e in store.events(EventFilter())]
    assert len(after) == len(set(after)) >= len(ids)

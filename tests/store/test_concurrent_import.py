"""The issue's acceptance check at the command line: one realistic capture tape (every venue's wire
format, from the simulator's tape encoder) imported by two `liqwatch import` processes at once into
one PostgreSQL database, then by both again: `summary --json` and `events` answer exactly what the
same import into a DuckDB file answers, and nothing is counted twice."""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import msgspec

from liqwatch.sim.tape import scenario_tape
from liqwatch.venues import VENUE_IDS

REPO = Path(__file__).resolve().parents[2]
START = 1_761_953_400_000  # 2025-10-31T23:30Z: the tape crosses a month (two partitions)
SECONDS = 2_400
PARTS = 4
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
WINDOWS = "15m,1h,4h,24h"


def write_journals(folder: Path) -> list[Path]:
    """The crash scenario's frames for every venue as PARTS consecutive capture journals (.jsonl.gz)."""
    encoder = msgspec.json.Encoder()
    paths = [folder / f"capture-{k}.jsonl.gz" for k in range(PARTS)]
    with contextlib.ExitStack() as stack:
        streams = [stack.enter_context(gzip.open(p, "wb", compresslevel=1)) for p in paths]
        for push in scenario_tape("crash", 3, list(VENUE_IDS), START, clock=False):
            if push.at > START + SECONDS * 1000:
                break
            if push.venue:  # received a few ms after it was published
                record = {"ts": push.at + 7, "venue": push.venue, "frame": push.text}
                part = min(PARTS - 1, (push.at - START) * PARTS // (SECONDS * 1000))
                streams[part].write(encoder.encode(record) + b"\n")
    return paths


def liqwatch(*args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "liqwatch", *args]
    return subprocess.Popen(command, cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def output(process: subprocess.Popen[str]) -> tuple[str, str]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out, err


def new_events(report: str) -> int:
    """The `N new` count of an import report (one line per import)."""
    found = re.search(r"([\d,]+) new", report)
    assert found, report
    return int(found.group(1).replace(",", ""))


def test_two_concurrent_imports_into_postgres_equal_one_into_duckdb(tmp_path: Path, pg_dsn: str) -> None:
    journals = [str(p) for p in write_journals(tmp_path)]
    duck = str(tmp_path / "reference.duckdb")
    _, reference = output(liqwatch("import", "-q", "--db", duck, *journals))
    stored = new_events(reference)
    assert 20_000 <= stored <= 50_000
    at = str(START + SECONDS * 1000 + 1_000)  # after the last receive time (BitMEX events carry it)
    # Each round: two processes at once, one front to back, one back to front: they overlap everywhere.
    for round_ in range(2):
        importers = [
            liqwatch("import", "-q", "--db", pg_dsn, *journals),
            liqwatch("import", "-q", "--db", pg_dsn, *reversed(journals)),
        ]
        reports = [output(p)[1] for p in importers]
        assert sum(new_events(r) for r in reports) == (stored if round_ == 0 else 0), reports
    summaries = [
        output(liqwatch("summary", "--json", "--at", at, "--windows", WINDOWS, "--db", db))[0] for db in (duck, pg_dsn)
    ]
    assert summaries[0] == summaries[1]
    totals = msgspec.json.decode(summaries[0])
    assert max(w["count"] for w in totals["windows"].values()) == stored
    listings = [output(liqwatch("events", "--db", db))[0] for db in (duck, pg_dsn)]
    assert listings[0] == listings[1]
    ids = [line.split('"id":"')[1] for line in listings[0].splitlines()]
    assert len(ids) == len(set(ids)) == stored  # every liquidation once

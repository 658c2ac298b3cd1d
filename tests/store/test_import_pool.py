"""An import whose chunks are read by worker processes (liqwatch.import_pool) is the same import as
one read in a single process: the same events, rollups, counts, problems and dead letters, for
files of every kind with every kind of damage, into DuckDB (Arrow tables from the workers) and
PostgreSQL (events from the workers)."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest
from typer.testing import CliRunner

from liqwatch import import_kinds, import_pool, importer
from liqwatch.catalogue_history import CatalogueTimeline
from liqwatch.cli import app
from liqwatch.feed.journal import JournalRecord
from liqwatch.import_chunks import read_chunk
from liqwatch.import_pool import ChunkPool, default_workers
from liqwatch.importer import ImportReport, import_files
from liqwatch.sim.tape import scenario_tape
from liqwatch.store.base import EventFilter, Store, StoreError
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.store.event_arrow import event_table
from liqwatch.store.postgres import PostgresStore
from liqwatch.tardis import HEADER
from tests.sim.helpers import NOW, sim_catalogue
from tests.tmpfs import tmpfs

VENUES = ("binance_usdm", "okx", "bybit", "deribit", "bitget", "gate", "bitfinex", "kraken_futures", "htx")


def binance(i: int, qty: str = "0.5", at: int = NOW) -> str:
    order = {"s": "BTCUSDT", "S": "SELL", "o": "LIMIT", "f": "IOC", "q": qty, "p": "90000.5", "ap": "90010.5"}
    order |= {"X": "FILLED", "l": qty, "z": qty, "T": at + i}
    return json.dumps({"e": "forceOrder", "E": at + i, "o": order}, separators=(",", ":"))


def journal_lines() -> list[bytes]:
    """A simulated hour of nine venues, with a bad line of every kind among them."""
    tape = itertools.takewhile(lambda p: p.at < NOW + 3_600_000, scenario_tape("crash", 11, VENUES, NOW))
    lines = [msgspec.json.encode(JournalRecord(p.at, p.venue, p.text)) for p in tape if p.venue]
    record = json.dumps
    lines[7] = b"not json at all"
    lines[40] = record({"ts": NOW, "venue": "nowhere", "frame": "{}"}).encode()  # unknown venue
    lines[41] = b'{"ts": 5, "venue": "bybit", "frame": {"topic": "\xff\xfe"}}'  # invalid UTF-8
    lines[900] = record({"ts": 99999999999999999999, "venue": "binance_usdm", "frame": binance(1)}).encode()
    lines[901] = record({"ts": NOW + 9, "venue": "binance_usdm", "frame": binance(2, qty="1e12")}).encode()  # $9e16
    lines[902] = record({"ts": NOW + 9, "venue": "binance_usdm", "frame": binance(3, at=NOW + 86_400_000)}).encode()
    lines[903] = record({"ts": NOW + 9, "venue": "okx", "frame": '{"arg":{"channel":"liquidation-orders"}'}).encode()
    lines[1500] = lines[1499]  # a frame journalled twice: one liquidation, stored once
    return lines


def files(tmp_path: Path) -> list[Path]:
    lines = journal_lines()
    plain = tmp_path / "a.jsonl"
    plain.write_bytes(b"\n".join(lines) + b"\n")
    packed = tmp_path / "b.jsonl.gz"
    packed.write_bytes(gzip.compress(b"\n".join(lines[::-1]) + b"\n"))  # the same events again, other order
    cut = tmp_path / "c.jsonl.gz"
    cut.write_bytes(gzip.compress(b"\n".join(lines[:3000]) + b"\n")[:-4000])  # a damaged gzip stream
    rows = [
        f"binance-futures,BTCUSDT,{(NOW + i) * 1000},{(NOW + i + 2) * 1000},,buy,90000.5,0.{i % 900 + 100}"
        for i in range(6000)
    ]
    rows[1999] = rows[1999].replace("buy", "b\xffuy")
    rows[2500] = rows[2500].replace("binance-futures", "nowhere-futures")
    csv = tmp_path / "liq.csv.gz"
    csv.write_bytes(gzip.compress((HEADER + "\n" + "\n".join(rows) + "\n").encode().replace("\xff".encode(), b"\xff")))
    node = tmp_path / "hl" / "hourly" / "20261205" / "9"  # a Hyperliquid node's fills file
    node.parent.mkdir(parents=True, exist_ok=True)
    fills = [json.dumps(leg) for i in range(3000) for leg in node_fill(i)]
    fills[777] = "[not a fill"
    node.write_text("\n".join(fills) + "\n")
    return [plain, packed, cut, csv, node]


TRADER = "0x5b5d51203a0f9079f8aeb098a6523a13f298c060"
HLP = "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14"


def node_fill(i: int) -> list[list[Any]]:
    """The two legs of fill `i` (tid) as a node writes them ([user, fill] lines): every third one
    liquidates the trader's long, the others are ordinary fills."""
    at = NOW + 1000 * i
    legs = []
    for user, side, start in ((TRADER, "A", "0.5"), (HLP, "B", "-3")):
        fill: dict[str, Any] = {"coin": "BTC", "px": f"{96000 + i % 50}", "sz": "0.5", "side": side, "time": at}
        fill |= {"startPosition": start, "dir": "Close Long", "hash": "0x1", "oid": i, "tid": i}
        if i % 3 == 0:
            fill["liquidation"] = {"liquidatedUser": TRADER, "markPx": "96010", "method": "market"}
        legs.append([user, fill])
    return legs


def imported(tmp_path: Path, store: Store, workers: int, name: str) -> tuple[ImportReport, bytes]:
    letters = tmp_path / f"{name}.dead-letters.jsonl"
    report = import_files(files(tmp_path), store, catalogue=sim_catalogue(), dead_letters=letters, workers=workers)
    return report, letters.read_bytes()


def same_report(one: ImportReport, other: ImportReport) -> None:
    fields = ("files", "lines", "frames", "events", "stored", "repriced", "unpriced", "bad_lines", "bad_frames")
    assert [getattr(one, f) for f in fields] == [getattr(other, f) for f in fields]
    assert (one.problems, one.problem_count, one.unreadable) == (other.problems, other.problem_count, other.unreadable)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "CHUNK_BYTES", 1 << 16)  # many chunks, each file's in flight at once


def test_workers_import_exactly_as_one_process_does(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "one.duckdb") as one, DuckDBStore(tmp_path / "pool.duckdb") as pool:
        alone, alone_letters = imported(tmp_path, one, 0, "one")
        shared, shared_letters = imported(tmp_path, pool, 2, "pool")
        same_report(alone, shared)
        assert shared_letters == alone_letters  # the same dead letters, in the same order
        assert list(pool.events(EventFilter())) == list(one.events(EventFilter()))
        rollup = "SELECT * FROM rollup_hour ORDER BY ALL"
        assert pool._fetch(rollup) == one._fetch(rollup)
        assert len(list(pool.events(EventFilter(venues=("hyperliquid",))))) == 1000  # the node's liquidations
    assert shared.stored > 10_000 and shared.duplicates > 10_000  # the second journal: all stored already
    reasons = [json.loads(line)["reason"] for line in shared_letters.splitlines()]
    assert any("impossible values" in r for r in reasons)  # the $9e16 event: no store holds it
    assert any("truncated or corrupt gzip" in r for r in reasons)
    assert any("UTF-8" in r for r in reasons)
    assert any(
        line.endswith("/9") and n == 778
        for line, n in ((d["file"], d["line"]) for d in map(json.loads, shared_letters.splitlines()))
    )
    assert "rows of exchange 'nowhere-futures'" in " ".join(shared.problems)


def test_a_worker_s_dead_letters_have_their_file_and_line(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        _, letters = imported(tmp_path, store, 2, "s")
    refused = [json.loads(line) for line in letters.splitlines() if b"impossible values" in line]
    assert [(Path(d["file"]).name, d["line"]) for d in refused] == [
        ("a.jsonl", 902),
        ("b.jsonl.gz", len(journal_lines()) - 901),  # its lines in reverse
        ("c.jsonl.gz", 902),
    ]


def test_postgres_takes_the_workers_events(tmp_path: Path, pg_dsn: str) -> None:
    with DuckDBStore(tmp_path / "one.duckdb") as one, PostgresStore(pg_dsn) as pg:
        alone, alone_letters = imported(tmp_path, one, 0, "one")
        shared, shared_letters = imported(tmp_path, pg, 2, "pg")
        same_report(alone, shared)
        assert shared_letters == alone_letters
        assert list(pg.events(EventFilter())) == list(one.events(EventFilter()))


def test_chunks_too_big_for_a_slot_go_by_pipe_in_order(tmp_path: Path) -> None:
    lines = journal_lines()[:4000]
    chunks = [
        (1 + start, b"\n".join(lines[start : start + size]) + b"\n", size)
        for start, size in ((0, 3), (3, 997), (1000, 4), (1004, 2996))
    ]
    timeline = CatalogueTimeline(sim_catalogue(), [])
    expected = [read_chunk(import_kinds.JOURNAL, "j", first, data, timeline, count=n) for first, data, n in chunks]
    for tables in (True, False):
        pool = ChunkPool({"j": timeline}, 2, tables, slot_bytes=4096)  # the 997- and 2996-line chunks are bigger
        try:
            got = list(pool.outcomes(import_kinds.JOURNAL, "j", iter(chunks), 10_000))
        finally:
            pool.close()
        assert [lines for _, lines, _ in got] == [n for _, _, n in chunks]
        for (outcome, _, table), want in zip(got, expected, strict=True):
            assert (outcome.frames, outcome.unpriced, outcome.letters) == (want.frames, want.unpriced, want.letters)
            if tables:
                assert table.equals(event_table(want.events)) and outcome.events == []
            else:
                assert table is None and outcome.events == want.events


def test_a_store_error_stops_the_import_and_its_workers(tmp_path: Path) -> None:
    DuckDBStore(tmp_path / "s.duckdb").close()
    with DuckDBStore(tmp_path / "s.duckdb", read_only=True) as store, pytest.raises(StoreError, match="read-only"):
        import_files(files(tmp_path)[:2], store, catalogue=sim_catalogue(), workers=2)


def test_the_cli_takes_a_number_of_workers(tmp_path: Path) -> None:
    journal = files(tmp_path)[0]
    runner = CliRunner()
    for workers in ("0", "2"):
        result = runner.invoke(
            app, ["import", str(journal), "--db", str(tmp_path / f"{workers}.duckdb"), "-q", "--workers", workers]
        )
        assert result.exit_code == 0, result.stderr
        assert "bad frames" in result.stderr
    refused = runner.invoke(app, ["import", str(journal), "--db", str(tmp_path / "x.duckdb"), "--workers", "-1"])
    said = " ".join(refused.stderr.split())  # Click words the range its own way ("x>=0", "greater than or equal to 0")
    assert refused.exit_code == 2 and "--workers" in said and "-1" in said and "0" in said
    assert default_workers() in (0, *range(2, 9))


def test_a_full_disk_stops_the_import_with_code_3_and_keeps_what_was_written(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "fs", "3m") as mount:
        journal = tmp_path / "big.jsonl.gz"
        lines = (json.dumps({"ts": NOW + i + 3, "venue": "binance_usdm", "frame": binance(i)}) for i in range(400_000))
        journal.write_bytes(gzip.compress("\n".join(lines).encode() + b"\n", 1))
        db = mount / "s.duckdb"
        assert journal.stat().st_size > import_pool.MIN_PARALLEL_BYTES  # read by worker processes
        result = CliRunner().invoke(app, ["import", str(journal), "--db", str(db), "-q"])
        assert result.exit_code == 3, result.stderr
        message = " ".join(result.stderr.split())
        assert "import again to finish" in message and "Traceback" not in message
        with DuckDBStore(db, read_only=True) as store:
            assert 0 < store.count() < 400_000  # the batches before the failure


def forked_children() -> list[int]:
    """The pids of this process's forked children (its command line: not a server a fixture started)."""
    found = []
    ours = Path("/proc/self/cmdline").read_bytes()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if ppid == os.getpid() and cmdline == ours:
            found.append(int(stat.parent.name))
    return found


def test_a_killed_worker_stops_the_import_with_code_3_and_one_line(tmp_path: Path) -> None:
    journal = tmp_path / "big.jsonl.gz"
    lines = (json.dumps({"ts": NOW + i + 3, "venue": "binance_usdm", "frame": binance(i)}) for i in range(300_000))
    journal.write_bytes(gzip.compress("\n".join(lines).encode() + b"\n", 1))
    killed: list[int] = []

    def kill_a_worker() -> None:
        deadline = time.monotonic() + 30
        while not killed and time.monotonic() < deadline:
            for pid in forked_children():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            time.sleep(0.01)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    try:
        result = CliRunner().invoke(app, ["import", str(journal), "--db", str(tmp_path / "s.duckdb"), "-q"])
    finally:
        killer.join()
    assert killed, "no worker process was seen"
    assert result.exit_code == 3, result.stderr
    message = " ".join(result.stderr.split())
    assert "a worker process of the import died" in message and "Traceback" not in message


def ended(pid: int) -> bool:
    """Whether the process is gone or a zombie (dead, not reaped yet: the pool reaps its own)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_worker_ends_on_sigterm_whatever_handler_the_importing_process_has() -> None:
    """A pool broken by a killed worker ends the others with SIGTERM; `run` notes SIGTERM instead
    of dying (live.defer_signals), and a worker forked under that handler would ignore it, stuck on
    the task queue's lock if the killed one held it, so the import could never exit."""
    noted: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, _: noted.append(signum))
    try:
        pool = ChunkPool({}, 1, tables=False)
        try:
            (worker,) = forked_children()
            os.kill(worker, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while not ended(worker) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert ended(worker)
        finally:
            pool.close()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert noted == []  # the importing process itself was not signalled

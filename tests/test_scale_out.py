"""Scale-out on PostgreSQL, all real processes: two `liqwatch run --no-serve` collectors (different
venue groups) and two `liqwatch serve` API servers on one database, against the simulator.

Every liquidation the simulator sent is stored once, and both APIs answer the summary that a
DuckDB store holding what both collectors stored answers.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from liqwatch.analytics.summary import parse_windows, summary_to_json
from liqwatch.sim import SimConfig
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.store.postgres import PostgresStore
from tests.sim.helpers import parse_sent, read_sent, sim_catalogue
from tests.sim.test_cli import ENV, SimThread
from tests.store.conftest import pg_dsn, pg_server  # noqa: F401  (fixtures)

GROUPS = ("binance_usdm,bybit,okx", "binance_coinm,deribit,bitget,gate")  # BitMEX closed: not collected
WINDOWS = "1h,4h,12h,24h"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _frames(status_file: Path) -> dict[str, int]:
    try:
        return {v: s["frames"] for v, s in json.loads(status_file.read_text())["venues"].items()}
    except (FileNotFoundError, ValueError, KeyError):
        return {}


def _wait(condition: Any, seconds: float, failure: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(failure)


def _start(command: list[str], log: Path) -> subprocess.Popen[str]:
    with log.open("w") as out:
        return subprocess.Popen(command, stderr=out, text=True, env=ENV)


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _answers(url: str, process: subprocess.Popen[str], log: Path) -> bool:
    if process.poll() is not None:  # it stopped (a port taken since _free_port?): say why, now
        pytest.fail(f"serve exited {process.returncode}: {log.read_text()[-2000:]}")
    try:
        _get(url)
        return True
    except OSError:
        return False


def test_two_collectors_and_two_api_servers_share_one_database(tmp_path: Path, pg_dsn: str) -> None:  # noqa: F811
    sent_log = tmp_path / "sent.jsonl"
    runner = SimThread(SimConfig(scenario="crash", seed=6, speed=300, sent_log=sent_log, tick_s=0.2))
    processes: list[subprocess.Popen[str]] = []
    logs = [tmp_path / f"process-{i}.log" for i in range(4)]  # files, not pipes: a full pipe blocks its writer
    try:
        with runner as sim:
            flags = sim.run_flags()[2:]  # the URL overrides; each collector picks its own venues
            states = [tmp_path / f"state-{i}" for i in range(2)]
            for group, state in zip(GROUPS, states, strict=True):
                command = [sys.executable, "-m", "liqwatch", "run", "--venues", group, "--no-serve"]
                command += ["--db", pg_dsn, "--state-dir", str(state), *flags]
                processes.append(_start(command, logs[len(processes)]))
            status_files = [state / "status.json" for state in states]
            _wait(lambda: all(sum(_frames(f).values()) > 50 for f in status_files), 90, "collectors got no frames")
            # the API servers join a store the collectors made (`serve` on a database without one
            # says so and exits: the order a deployment follows too)
            ports = [_free_port(), _free_port()]
            for port in ports:
                command = [sys.executable, "-m", "liqwatch", "serve", "--db", pg_dsn, "--port", str(port)]
                processes.append(_start(command, logs[len(processes)]))
            runner.call(sim.pause())
            sent = dict(sim.sent_by_venue)

            def received_all() -> bool:
                got = {**_frames(status_files[0]), **_frames(status_files[1])}
                return all(got.get(v) == n for v, n in sent.items() if v in ",".join(GROUPS).split(","))

            _wait(received_all, 60, "the collectors did not receive every frame sent")
            for port, server, log in zip(ports, processes[2:], logs[2:], strict=True):
                url = f"http://127.0.0.1:{port}/api/summary"
                _wait(lambda u=url, s=server, f=log: _answers(u, s, f), 60, "serve did not answer")
            expected, _ = parse_sent(read_sent(sent_log), sim_catalogue())
            with PostgresStore(pg_dsn, read_only=True) as pg:
                _wait(lambda: pg.count() >= len({e.id for e in expected}), 30, "not everything was stored")
                stored = list(pg.events(EventFilter()))
                at = max(e.ts for e in expected)
                answers = [_get(f"http://127.0.0.1:{p}/api/summary?at={at}&windows={WINDOWS}") for p in ports]
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
    ids = [e.id for e in stored]
    assert len(ids) == len(set(ids)) and set(ids) == {e.id for e in expected}  # every one sent, once
    with DuckDBStore(tmp_path / "reference.duckdb") as reference:  # what both collectors stored, in DuckDB
        reference.write_events(stored)
        want = json.loads(json.dumps(summary_to_json(reference.summary(at, parse_windows(WINDOWS)))))
    covers = [answer.pop("covers") for answer in answers]
    assert answers == [want, want]
    # what the figures cover: the same on both servers, from the store's events and both collectors' status
    assert covers[0] == covers[1] and covers[0]["line"].startswith("7 venues; Binance, OKX, Bitget sampled")
    assert "hyperliquid" in covers[0]["no_data"]  # neither collector reads a node
    assert not set(covers[0]["no_data"]) & set(covers[0]["venues"])  # a venue is in the figures or not

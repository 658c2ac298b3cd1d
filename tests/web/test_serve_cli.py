"""`liqwatch serve` over an existing store; one clear line when a running `run` holds the file."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from liqwatch.store.duckdb import DuckDBStore
from tests.web.conftest import known_events

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def test_serve_answers_over_a_store_file(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with DuckDBStore(db) as store:
        store.write_events(known_events(50))
    command = [sys.executable, "-m", "liqwatch", "serve", "--db", str(db), "--port", "0"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=ENV)
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.search(r"on (http://\S+)", line)
        assert found, line
        health = httpx.get(found.group(1) + "/api/health", timeout=30).json()
        assert health == {
            "ok": True,
            "store": "duckdb",
            "events": 50,
            "collector": "none",
            "venues_connected": [],
            "venues_down": [],
        }
        # read commands open the file read-only too, so they work beside `serve`
        for args in (["summary", "--json"], ["events", "--format", "jsonl"], ["wallets", "pnl", "--json"]):
            read = subprocess.run(
                [sys.executable, "-m", "liqwatch", *args, "--db", str(db)], capture_output=True, text=True, env=ENV
            )
            assert read.returncode == 0, read.stderr
        assert len(read.stdout) > 0
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0


def test_serve_on_a_store_held_by_run_says_to_use_its_api(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(db)!r}); sys.stdin.read()"],
        stdin=subprocess.PIPE,
        env=ENV,
    )
    try:
        while not db.exists():
            time.sleep(0.05)
        result = subprocess.run(
            [sys.executable, "-m", "liqwatch", "serve", "--db", str(db), "--port", "0"],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=60,
        )
    finally:
        holder.communicate("", timeout=30)
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "held by a running `liqwatch run`" in message and "API" in message, result.stderr


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    from liqwatch.web.serve import bind

    taken = bind("127.0.0.1", 0)
    port = taken.getsockname()[1]
    try:
        result = subprocess.run(
            [sys.executable, "-m", "liqwatch", "run", "--db", str(tmp_path / "x.duckdb"), "--port", str(port)],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=60,
        )
    finally:
        taken.close()
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr

"""Clean signals at every phase (issue 16 item 4): Ctrl-C or SIGTERM while the instrument catalogue
loads from venues that never answer, while the journal is recovered, while running, and again while
shutting down: `liqwatch run` exits 0 without a traceback. Real subprocesses, local servers only."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


class SilentServer:
    """Accepts TCP connections and never answers: a venue whose REST endpoint hangs."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            self.accepted.set()

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def _spawn(db: Path, *flags: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "liqwatch", "run", "--db", str(db), "--no-serve", "--venues", "okx", *flags]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    _wait_until_python_catches_sigint(process.pid)
    return process


def _wait_until_python_catches_sigint(pid: int, timeout: float = 30.0) -> None:
    """Until the interpreter has installed its Ctrl-C handler (Linux: /proc/PID/status SigCgt).
    Before that a signal kills any Python program at the operating system's default: the delays of
    these tests count from the moment liqwatch's own code can answer a signal."""
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return  # not Linux: the delays count from the spawn
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        caught = next((line.split()[1] for line in status.read_text().splitlines() if line.startswith("SigCgt:")), "0")
        if int(caught, 16) & (1 << (signal.SIGINT - 1)):
            return
        time.sleep(0.005)
    raise AssertionError(f"process {pid} never installed a Ctrl-C handler")


def _finish(process: subprocess.Popen[str]) -> str:
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    return stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_catalogue_loads_from_venues_that_never_answer(tmp_path: Path, sig: int) -> None:
    server = SilentServer()
    try:
        process = _spawn(
            tmp_path / "db.duckdb",
            "--rest-url",
            f"okx=http://127.0.0.1:{server.port}",
            "--venue-url",
            "okx=ws://127.0.0.1:9/never",
        )
        assert server.accepted.wait(30), "the catalogue load never asked the venue"
        process.send_signal(sig)
        stderr = _finish(process)
    finally:
        server.close()
    assert "stopped while starting" in stderr


def _big_journal(directory: Path, frames: int) -> None:
    directory.mkdir(parents=True)
    now = int(time.time() * 1000)
    day = time.strftime("%Y-%m-%d", time.gmtime(now / 1000))
    frame = (
        '{"arg":{"channel":"liquidation-orders","instType":"SWAP"},"data":[{"instId":"BTC-USDT-SWAP",'
        '"instFamily":"BTC-USDT","instType":"SWAP","uly":"BTC-USDT","details":[{"bkLoss":"0","bkPx":"90000",'
        '"ccy":"","posSide":"long","side":"sell","sz":"%d","ts":"%d"}]}]}'
    )
    with (directory / f"{day}.jsonl").open("w") as out:
        for i in range(frames):
            ts = now - 60_000 + i * 60_000 // frames
            out.write(json.dumps({"ts": ts, "venue": "okx", "frame": frame % (1 + i, ts)}) + "\n")


@pytest.mark.parametrize("delay", [0.4, 1.5, 3.0])
def test_a_signal_at_any_moment_of_start_up_and_recovery(tmp_path: Path, delay: float) -> None:
    _big_journal(tmp_path / "db.state" / "journal", 60_000)  # recovery replays a minute: a while, to land in
    process = _spawn(tmp_path / "db.duckdb", "--offline-catalogue", "--venue-url", "okx=ws://127.0.0.1:9/never")
    time.sleep(delay)
    process.send_signal(signal.SIGTERM if delay > 1 else signal.SIGINT)
    _finish(process)


def test_a_second_signal_while_shutting_down_is_ignored(tmp_path: Path) -> None:
    process = _spawn(tmp_path / "db.duckdb", "--offline-catalogue", "--venue-url", "okx=ws://127.0.0.1:9/never")
    status = tmp_path / "db.state" / "status.json"
    deadline = time.monotonic() + 30
    while not status.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status.exists(), "the collector never ran"
    process.send_signal(signal.SIGINT)
    time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    stderr = _finish(process)
    assert "stopped;" in stderr


SITECUSTOMIZE = """
import sys


class Interrupt:  # as liqwatch.cli starts to import, a Ctrl-C lands in generated (string exec) code
    def find_spec(self, name, path=None, target=None):
        if name == "liqwatch.cli":
            sys.meta_path.remove(self)
            exec("raise KeyboardInterrupt")
        return None


sys.meta_path.insert(0, Interrupt())
"""


def test_an_interrupt_ending_generated_code_while_importing_exits_0(tmp_path: Path) -> None:
    """CPython marks an interrupt that ended a string exec() as unhandled even when it was caught,
    and under `python -m` then ends the process by SIGINT after its clean exit (status -2, nothing
    printed): what a Ctrl-C landing in the code dataclasses generate did, now and then, at start-up."""
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {**ENV, "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), ENV.get("PYTHONPATH")]))}
    result = subprocess.run(
        [sys.executable, "-m", "liqwatch", "--help"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Usage" not in result.stdout  # stopped before any help

"""`liqwatch backfill` from the command line: a DuckDB file held by a running collector is one
line naming what to do; a missing key is one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from liqwatch.cli import app

runner = CliRunner()

HOLD = """
import sys, time
from liqwatch.store.duckdb import DuckDBStore
store = DuckDBStore(sys.argv[1])
print("holding", flush=True)
time.sleep(60)
"""


def test_a_duckdb_file_held_by_a_collector_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"holding"
        result = runner.invoke(app, ["backfill", "deribit", "--db", str(db), "--url", "http://127.0.0.1:9", "-q"])
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 2
    line = " ".join(result.stderr.split())
    assert "a running `liqwatch run` holds this DuckDB file" in line and "stop it, backfill" in line


def test_a_missing_key_is_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COINALYZE_API_KEY"}
    result = runner.invoke(app, ["backfill", "coinalyze", "--db", str(tmp_path / "k.duckdb")], env=env)
    assert result.exit_code == 2 and "Coinalyze needs an API key: --api-key KEY or COINALYZE_API_KEY" in result.stderr


def test_backfill_tardis_from_the_command_line(tmp_path: Path) -> None:
    from tests.history.http_server import serving
    from tests.history.test_backfill_events import T0, tardis_handler, tardis_rows

    db = tmp_path / "t.duckdb"
    with serving(tardis_handler(None, set(), set())) as server:
        args = ["backfill", "tardis", "--db", str(db), "--exchange", "binance-futures", "-q", "--url", server.url]
        result = runner.invoke(app, [*args, "--since", "2024-01-01", "--until", "2024-02-10"])
        assert result.exit_code == 0, result.stderr
        assert len(server.paths()) == 2  # 1 January and 1 February: free without a key
    expected = len(tardis_rows(T0)) + len(tardis_rows(T0 + 31 * 86_400_000))
    assert f"{expected} events, {expected} new" in result.stderr
    assert "only the first day of each month" in result.stderr

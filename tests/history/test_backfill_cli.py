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

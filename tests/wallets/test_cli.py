"""`liqwatch wallets …` end to end: the simulator's /info in a thread, a real DuckDB file."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from liqwatch.cli import app
from liqwatch.sim.info_server import InfoServer
from liqwatch.sim.tape import PriceBook


@pytest.fixture
def info_server() -> Iterator[InfoServer]:
    loop = asyncio.new_event_loop()
    server = InfoServer(PriceBook(0, 5), lambda: 1_750_000_000_000, seed=5, wallets=12)
    loop.run_until_complete(server.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.run_until_complete(server.stop())
        loop.close()


def test_poll_pnl_worst_set(tmp_path: Path, info_server: InfoServer) -> None:
    config = tmp_path / "liqwatch.toml"
    first = info_server.state.wallets[0].address
    config.write_text(
        f"""
[wallets]
url = "{info_server.url}/info"
leaderboard_url = "{info_server.url}/Mainnet/leaderboard"
[[wallets.watch]]
address = "{first}"
label = "first"
cohort = "fund"
[wallets.leaderboard]
min_all_time_pnl = 100000
min_month_pnl = -1e12
min_month_volume = 0
min_account_value = 0
"""
    )
    db = str(tmp_path / "w.duckdb")
    runner = CliRunner()
    result = runner.invoke(app, ["wallets", "set", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    wallet_set = json.loads(result.stdout)
    assert len(wallet_set["hash"]) == 64 and wallet_set["rule"].startswith("config (1 wallets) + leaderboard v1")
    result = runner.invoke(app, ["wallets", "poll", "--once", "--config", str(config), "--db", db])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["wallets", "pnl", "--json", "--by", "cohort", "--db", db])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["sets"][0]["hash"] == wallet_set["hash"] and doc["wallets"] >= 1
    assert "fund" in {row["key"] for row in doc["rows"]} or not info_server.state.wallets[0].positions
    result = runner.invoke(app, ["wallets", "pnl", "--by", "group", "--db", db])
    assert result.exit_code == 0 and "unrealized PnL by group" in result.stdout
    result = runner.invoke(app, ["wallets", "worst", "-n", "3", "--db", db])
    assert result.exit_code == 0, result.output
    # nothing at a time after the polls: exit 1 with the real cause (the positions are stored)
    result = runner.invoke(app, ["wallets", "pnl", "--at", "2099-01-01", "--db", db])
    assert result.exit_code == 1 and "no watched wallet polled within a day before 2099-01-01" in result.output
    result = runner.invoke(app, ["wallets", "pnl", "--by", "planet", "--db", db])
    assert result.exit_code == 2 and "--by: choose one of" in result.output


def test_bad_config_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[wallets]\nwatch = [{address = "0x12"}]\n')
    result = CliRunner().invoke(app, ["wallets", "set", "--config", str(config)])
    assert result.exit_code == 2 and "wallet address '0x12'" in result.output

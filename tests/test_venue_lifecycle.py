"""BitMEX closed (refused live, "closed 2026-09-23" in the status views) and Hyperliquid without a node
directory ("not covered", with how to cover it; never "down")."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from liqwatch.cli import app
from liqwatch.config import Settings
from liqwatch.feed.collector import Collector, read_status, write_status
from liqwatch.feed.journal import DeadLetters, Journal
from liqwatch.instruments import bundled
from liqwatch.pipeline import Pipeline
from liqwatch.status import collect_status, collector_rows, status_table
from liqwatch.venues import REGISTRY, VENUE_IDS
from liqwatch.venues.lifecycle import LIVE_VENUE_IDS, refuse_closed
from liqwatch.web.venues import venue_rows

runner = CliRunner()


def test_bitmex_is_history_only() -> None:
    assert "bitmex" in VENUE_IDS and "bitmex" not in LIVE_VENUE_IDS
    assert "hyperliquid" in LIVE_VENUE_IDS
    assert refuse_closed(["okx"]) is None
    refusal = refuse_closed(["okx", "bitmex"])
    assert refusal is not None and "bitmex (the exchange closed on 2026-09-23)" in refusal
    assert "\n" not in refusal


def test_run_refuses_bitmex_in_one_line_before_anything_starts(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    result = runner.invoke(app, ["run", "--venues", "okx,bitmex", "--db", db, "--no-serve", "--offline-catalogue"])
    assert result.exit_code == 2
    assert "2026-09-23" in result.stderr and "liqwatch import" in result.stderr
    assert not Path(db).exists()


def test_run_refuses_a_node_dir_that_is_not_a_directory(tmp_path: Path) -> None:
    missing = tmp_path / "hl" / "data"
    db = str(tmp_path / "x.duckdb")
    args = ["run", "--venues", "hyperliquid", "--hyperliquid-node-dir", str(missing), "--db", db, "--no-serve"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "is not a directory" in result.stderr and "~/hl/data" in result.stderr


def status_of_a_collector(tmp_path: Path, node_dir: Path | None) -> Settings:
    settings = Settings(db=str(tmp_path / "x.duckdb"))
    journal = Journal(tmp_path / "journal")
    letters = DeadLetters(tmp_path / "dl.jsonl")
    node_dirs = {"hyperliquid": (node_dir, tmp_path / "pos.json")} if node_dir else None
    collector = Collector(
        [REGISTRY["hyperliquid"], REGISTRY["okx"]],
        catalogue=bundled(),
        journal=journal,
        dead_letters=letters,
        pipeline=Pipeline(),
        node_dirs=node_dirs,
    )
    write_status(settings.status_file, collector.status())
    journal.close()
    letters.close()
    return settings


def test_hyperliquid_without_a_node_dir_is_not_covered_everywhere(tmp_path: Path) -> None:
    settings = status_of_a_collector(tmp_path, None)
    status = read_status(settings.status_file)
    assert status is not None
    now = status.updated
    hl = status.venues["hyperliquid"]
    assert "--hyperliquid-node-dir" in hl.not_covered and not hl.connected
    assert status.venues["okx"].not_covered == ""

    rows = {r.venue: r for r in collect_status(settings, now)}
    assert rows["hyperliquid"].note is not None and rows["hyperliquid"].note.startswith("not covered")
    assert rows["bitmex"].note == "closed 2026-09-23"
    assert rows["okx"].note is None

    web = {r["venue"]: r for r in venue_rows([status], [], now)}
    assert web["hyperliquid"]["state"] == "not covered" and "--write-fills" in web["hyperliquid"]["note"]
    assert web["okx"]["state"] == "down"

    (collector,) = collector_rows([("host:1", status)], now)
    assert collector.down == ["okx"]

    caption = str(status_table(list(rows.values())).caption)
    assert "hyperliquid not covered" in caption


def test_hyperliquid_with_a_node_dir_is_followed_not_flagged(tmp_path: Path) -> None:
    node = tmp_path / "hl"
    node.mkdir()
    settings = status_of_a_collector(tmp_path, node)
    status = read_status(settings.status_file)
    assert status is not None
    hl = status.venues["hyperliquid"]
    assert hl.not_covered == "" and [c.name for c in hl.connections] == ["node"]


def test_the_node_dir_comes_from_the_config_file_or_the_environment(tmp_path: Path) -> None:
    from liqwatch import config

    toml = tmp_path / "liqwatch.toml"
    toml.write_text('db = "x.duckdb"\nhyperliquid_node_dir = "~/hl/data"\n')
    settings = config.load(str(toml), env={})
    ((venue, (root, position)),) = settings.node_dirs().items()
    assert venue == "hyperliquid" and root == Path("~/hl/data").expanduser()
    assert position == Path("x.state") / "hyperliquid-node.json"
    from_env = config.load(None, env={"LIQWATCH_HYPERLIQUID_NODE_DIR": "/srv/hl"})
    assert from_env.node_dirs()["hyperliquid"][0] == Path("/srv/hl")
    assert config.load(None, env={}).node_dirs() == {}


def test_run_refuses_a_websocket_url_for_hyperliquid(tmp_path: Path) -> None:
    args = ["run", "--venues", "okx", "--venue-url", "hyperliquid=ws://127.0.0.1:9/ws", "--db", str(tmp_path / "x")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "--hyperliquid-node-dir" in result.stderr

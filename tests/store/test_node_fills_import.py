"""`liqwatch import` of a Hyperliquid node's fills files: plain and .lz4, both line shapes, a directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lz4.frame
from typer.testing import CliRunner

from liqwatch.cli import app
from liqwatch.importer import import_files
from liqwatch.instruments import bundled
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore

runner = CliRunner()
TRADER = "0x5b5d51203a0f9079f8aeb098a6523a13f298c060"
HLP = "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14"
T0 = 1_764_979_200_000


def fill(tid: int, side: str, start: str, liquidated: str | None = TRADER, coin: str = "BTC") -> dict[str, Any]:
    out: dict[str, Any] = {"coin": coin, "px": "96000", "sz": "0.5", "side": side, "time": T0 + tid}
    out |= {"startPosition": start, "dir": "Close Long", "hash": "0x1", "oid": tid, "tid": tid}
    if liquidated:
        out["liquidation"] = {"liquidatedUser": liquidated, "markPx": "96010", "method": "market"}
    return out


def plain_lines() -> list[str]:
    """node_fills: [user, fill] per line; liquidations tid 1 (long) and 3 (short), each with both legs."""
    rows = [
        [TRADER, fill(1, "A", "0.5")],
        [HLP, fill(1, "B", "-3")],
        [HLP, fill(2, "B", "0", liquidated=None)],
        [TRADER, fill(3, "B", "-0.5")],
        [HLP, fill(3, "A", "4")],
    ]
    return [json.dumps(r) for r in rows]


def block_lines() -> list[str]:
    """node_fills_by_block: tid 4 liquidated (ETH long) in a block beside an ordinary fill; an empty block."""
    events = [
        [TRADER, fill(4, "A", "2", coin="ETH")],
        [HLP, fill(4, "B", "-2", coin="ETH")],
        [HLP, fill(5, "A", "1", None)],
    ]
    block = {"local_time": "2026-12-06T00:00:00.1", "block_time": "2026-12-06T00:00:00.0", "block_number": 7}
    return [json.dumps(block | {"events": events}), json.dumps(block | {"block_number": 8, "events": []})]


def write_tree(root: Path) -> tuple[Path, Path]:
    plain = root / "node_fills" / "hourly" / "20261206" / "0"
    plain.parent.mkdir(parents=True)
    plain.write_text("\n".join(plain_lines()) + "\n" + '["0xabc",{"coin":"BT')  # partial last line
    packed = root / "node_fills_by_block" / "hourly" / "20261206" / "1.lz4"
    packed.parent.mkdir(parents=True)
    packed.write_bytes(lz4.frame.compress(("\n".join(block_lines()) + "\n").encode()))
    return plain, packed


def test_plain_and_lz4_files_import_the_liquidated_legs_once(tmp_path: Path) -> None:
    plain, packed = write_tree(tmp_path / "hl")
    store = DuckDBStore(str(tmp_path / "x.duckdb"))
    try:
        report = import_files([plain, packed], store, catalogue=bundled(), dead_letters=tmp_path / "dl.jsonl")
        assert (report.frames, report.events, report.stored, report.bad_frames) == (8, 3, 3, 1)
        again = import_files([plain, packed], store, catalogue=bundled())
        assert (again.events, again.stored) == (3, 0)
        events = list(store.events(EventFilter()))
    finally:
        store.close()
    assert [(e.coin, e.side, e.usd, e.recv_ts == e.ts) for e in events] == [
        ("BTC", "long", 48000.0, True),
        ("BTC", "short", 48000.0, True),
        ("ETH", "long", 48000.0, True),
    ]
    assert "not a node fills line" in (tmp_path / "dl.jsonl").read_text()


def test_cli_imports_a_node_directory_and_refuses_one_without_fills(tmp_path: Path) -> None:
    write_tree(tmp_path / "hl")
    db = str(tmp_path / "y.duckdb")
    result = runner.invoke(app, ["import", str(tmp_path / "hl"), "--db", db, "-q"])
    assert result.exit_code == 0, result.stderr
    assert "imported 2 files: 8 frames → 3 events, 3 new" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["import", str(empty), "--db", db, "-q"])
    assert result.exit_code == 2
    assert (
        "a directory holding no capture journals" in result.stderr and "Hyperliquid node fills files" in result.stderr
    )

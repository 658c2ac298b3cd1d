"""A store's side files live in one state directory (./x.duckdb → ./x.state/), which .gitignore
covers; a store written before, with its side files beside it (./x.journal/, ./x.status.json …),
has them moved there once, with one line saying so, without losing a journal line."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from liqwatch import config
from liqwatch.cli import app
from liqwatch.state_files import ASIDE, adopt_earlier_layout
from liqwatch.store.duckdb import DuckDBStore

REPO = Path(__file__).resolve().parents[1]
T0 = 1_763_712_000_000  # 2025-11-21T08:00Z
runner = CliRunner()


def line(i: int) -> bytes:
    order = {"s": "BTCUSDT", "S": "SELL" if i % 2 else "BUY", "o": "LIMIT", "f": "IOC", "q": f"0.{i % 900 + 100}"}
    order |= {"p": "90000.5", "ap": "90010.5", "X": "FILLED", "l": "0.1", "z": f"0.{i % 900 + 100}", "T": T0 + i}
    frame = json.dumps({"e": "forceOrder", "E": T0 + i, "o": order}, separators=(",", ":"))
    return json.dumps({"ts": T0 + i + 3, "venue": "binance_usdm", "frame": frame}).encode()


def lines(first: int, n: int) -> bytes:
    return b"".join(line(i) + b"\n" for i in range(first, first + n))


def earlier_layout(folder: Path, name: str = "x") -> dict[str, bytes]:
    """What `run --db folder/x.duckdb` left before state directories: relative path → bytes."""
    files = {
        f"{name}.journal/2025-11-21.jsonl": lines(0, 40),
        f"{name}.journal/2025-11-20.jsonl.gz": gzip.compress(lines(100, 25)),
        f"{name}.journal/old/2025-11-19.jsonl": lines(200, 5),
        f"{name}.status.json": b'{"updated": 1}',
        f"{name}.instruments.json": b"[]",
        f"{name}.dead-letters.jsonl": b'{"reason": "earlier"}\n',
        f"{name}.gaps.jsonl": b'{"venue": "okx", "start": 1}\n',
        f"{name}.hyperliquid-node.json": b'{"file": "x", "offset": 7}',
        f"{name}.hl-node/hourly/20251121/8": b"fills\n",
    }
    for relative, data in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(data)
    return files


def journal_lines(folder: Path) -> list[bytes]:
    found = []
    for path in sorted(folder.rglob("*.jsonl*")):
        if path.name.endswith(("dead-letters.jsonl", "gaps.jsonl")):
            continue
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        found += data.splitlines()
    return sorted(found)


def test_every_side_file_is_in_one_state_directory() -> None:
    duck = config.load(None, env={}, db="/data/x.duckdb")
    assert duck.state == Path("/data/x.state")
    side = [duck.journal_dir, duck.status_file, duck.instruments_cache, duck.dead_letters, duck.gaps_file]
    assert all(path.parent == duck.state for path in [*side, duck.node_position_file, duck.demo_node_dir])
    assert len({*side, duck.node_position_file, duck.demo_node_dir}) == 7
    assert config.load(None, env={}, db="plain").state == Path("plain.state")
    shared = config.load(None, env={}, db="postgresql://u@h/db", state_dir="/srv/a")
    assert shared.state == Path("/srv/a") and shared.journal_dir == Path("/srv/a/journal")
    assert shared.earlier_layout()[Path("/srv/a/liqwatch.journal")] == Path("/srv/a/journal")


def test_gitignore_covers_the_state_directories() -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    for path in ("liqwatch.state/journal/2026-12-06.jsonl", "liqwatch-demo.state/status.json", "liqwatch-state/x"):
        checked = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO, check=False)
        assert checked.returncode == 0, f"{path} is not covered by .gitignore"


def test_an_earlier_layout_is_moved_once_and_imports_from_where_it_was_named(tmp_path: Path) -> None:
    files = earlier_layout(tmp_path)
    before = journal_lines(tmp_path)
    db = tmp_path / "x.duckdb"
    # the user names the journal where it was: it is read from where it moved to
    result = runner.invoke(app, ["import", str(tmp_path / "x.journal"), "--db", str(db), "-q"])
    assert result.exit_code == 0, result.stderr
    said = [text for text in result.stderr.splitlines() if "moved" in text]
    assert len(said) == 1 and "x.journal/" in said[0] and str(tmp_path / "x.state") in said[0]

    state = tmp_path / "x.state"
    assert {p.name for p in tmp_path.iterdir()} <= {"x.duckdb", "x.duckdb.wal", "x.state"}
    for relative, data in files.items():
        if relative.endswith("dead-letters.jsonl"):  # the import's own dead letters (none) go on after them
            assert (state / "dead-letters.jsonl").read_bytes().startswith(data)
            continue
        name, _, rest = relative.partition("/")
        moved = state / name.removeprefix("x.")
        assert (moved / rest if rest else moved).read_bytes() == data, relative
    assert journal_lines(state) == before
    with DuckDBStore(db, read_only=True) as store:
        assert store.count() == 70

    again = runner.invoke(app, ["status", "--db", str(db)])
    assert "moved" not in again.stderr


def test_both_layouts_become_one_without_losing_a_line(tmp_path: Path) -> None:
    earlier_layout(tmp_path)
    settings = config.load(None, env={}, db=str(tmp_path / "x.duckdb"))
    state = settings.state
    (state / "journal").mkdir(parents=True)  # a newer run already wrote the same day, and its logs
    (state / "journal" / "2025-11-21.jsonl").write_bytes(lines(500, 3))
    (state / "dead-letters.jsonl").write_bytes(b'{"reason": "later"}\n')
    (state / "status.json").write_bytes(b'{"updated": 2}')
    before = journal_lines(tmp_path)

    said = adopt_earlier_layout(settings)
    assert said is not None and "\n" not in said and "earlier duplicate(s) kept in" in said
    assert {p.name for p in tmp_path.iterdir()} == {"x.state"}
    assert journal_lines(state) == before  # every line of both journals, each once
    assert (state / "journal" / "2025-11-21.jsonl").read_bytes() == lines(500, 3)  # never mixed
    assert (state / ASIDE / "x.journal" / "2025-11-21.jsonl").read_bytes() == lines(0, 40)
    assert (state / "dead-letters.jsonl").read_bytes() == b'{"reason": "earlier"}\n{"reason": "later"}\n'
    assert (state / "status.json").read_bytes() == b'{"updated": 2}'
    assert (state / ASIDE / "x.status.json").read_bytes() == b'{"updated": 1}'
    assert adopt_earlier_layout(settings) is None


def test_a_postgresql_collectors_state_dir_is_adopted_too(tmp_path: Path) -> None:
    (tmp_path / "liqwatch.journal").mkdir()
    (tmp_path / "liqwatch.journal" / "2025-11-21.jsonl").write_bytes(lines(0, 4))
    (tmp_path / "liqwatch.status.json").write_bytes(b"{}")
    settings = config.load(None, env={}, db="postgresql://u@127.0.0.1/none", state_dir=str(tmp_path))
    said = adopt_earlier_layout(settings)
    assert said is not None and "liqwatch.journal/" in said
    assert (tmp_path / "journal" / "2025-11-21.jsonl").read_bytes() == lines(0, 4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal", "status.json"]

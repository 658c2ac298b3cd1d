"""`liqwatch import` with broken files of every kind: nothing readable is lost, every unreadable
line is a dead letter (file, line, reason), unreadable files exit non-zero with one line."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import msgspec
from typer.testing import CliRunner

from liqwatch.cli import app
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.tardis import HEADER

runner = CliRunner()
T0 = 1_763_712_000_000  # 2025-11-21T08:00Z


def frame(i: int) -> str:
    order = {"s": "BTCUSDT", "S": "SELL" if i % 2 else "BUY", "o": "LIMIT", "f": "IOC", "q": f"0.{i % 900 + 100}"}
    order |= {"p": "90000.5", "ap": "90010.5", "X": "FILLED", "l": "0.1", "z": f"0.{i % 900 + 100}", "T": T0 + i}
    return json.dumps({"e": "forceOrder", "E": T0 + i, "o": order}, separators=(",", ":"))


def line(i: int) -> bytes:
    return json.dumps({"ts": T0 + i + 3, "venue": "binance_usdm", "frame": frame(i)}).encode()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stderr


def stored(db: Path) -> int:
    with DuckDBStore(db, read_only=True) as store:
        return store.count()


def dead_letters(db: Path) -> list[dict[str, object]]:
    path = db.with_name(db.stem + ".state") / "dead-letters.jsonl"
    return [json.loads(row) for row in path.read_bytes().splitlines()]


def test_bad_journal_lines_cost_only_themselves_and_are_dead_letters(tmp_path: Path) -> None:
    lines = [line(i) for i in range(3000)]
    lines[10] = lines[10].replace(b'"ts": ', b'"ts": 99999999999999999999')  # beyond int64
    lines[11] = b'{"ts": 5, "venue": "bybit", "frame": {"topic": "\xff\xfe"}}'  # invalid UTF-8, embedded JSON
    lines[12] = lines[12].replace(b"FILLED", b"FILL\xffED")  # invalid UTF-8 in the frame text
    big = json.loads(frame(13))
    big["o"]["T"] = 2**64 + 5  # an exchange time beyond int64: its event is refused by every store
    lines[13] = json.dumps({"ts": T0, "venue": "binance_usdm", "frame": json.dumps(big)}).encode()
    lines[2000] = b"not json at all"
    journal = tmp_path / "2025-11-21.jsonl"
    journal.write_bytes(b"\n".join(lines) + b"\n")
    db = tmp_path / "s.duckdb"

    code, err = run("import", str(journal), "--db", str(db), "-q")

    assert code == 0, err
    assert stored(db) == 2995  # every neighbour, in every batch
    assert "skipped 4 unreadable lines and 1 bad frames" in err
    letters = dead_letters(db)
    assert [(d["file"], d["line"]) for d in letters] == [(str(journal), n) for n in (11, 12, 13, 14, 2001)]
    assert "9007199254740992" in str(letters[0]["reason"]) and "UTF-8" in str(letters[1]["reason"])
    assert "\\xff" in str(letters[2]["text"])  # the line as read, its bad byte shown
    assert "18446744073709551621" in str(letters[3]["reason"]) and letters[3]["venue"] == "binance_usdm"


def test_a_tardis_csv_with_one_invalid_byte_keeps_the_rest_of_the_file(tmp_path: Path) -> None:
    rows = [
        f"binance-futures,BTCUSDT,{(T0 + i) * 1000},{(T0 + i + 2) * 1000},,buy,90000.5,0.{i % 900 + 100}"
        for i in range(4000)
    ]
    rows[1999] = rows[1999].replace("buy", "b\xffuy")
    data = (HEADER + "\n" + "\n".join(rows) + "\n").encode("utf-8").replace("\xff".encode(), b"\xff")
    for name, payload in (("liq.csv", data), ("liq.csv.gz", gzip.compress(data))):
        db = tmp_path / f"{name}.duckdb"
        path = tmp_path / name
        path.write_bytes(payload)
        code, err = run("import", str(path), "--db", str(db), "-q")
        assert code == 0, err
        assert stored(db) == 3999
        (letter,) = dead_letters(db)
        assert letter["line"] == 2001 and "UTF-8" in str(letter["reason"]) and letter["file"] == str(path)


def test_a_truncated_gzip_keeps_what_came_before_the_cut(tmp_path: Path) -> None:
    data = gzip.compress(b"\n".join(line(i) for i in range(5000)) + b"\n")
    path = tmp_path / "2025-11-21.jsonl.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    db = tmp_path / "s.duckdb"
    code, err = run("import", str(path), "--db", str(db), "-q")
    assert code == 0, err
    kept = stored(db)
    assert 2000 < kept < 5000
    letters = dead_letters(db)
    assert letters[-1]["line"] == kept + 2 and "gzip" in str(letters[-1]["reason"])  # the cut line, then the cut


def test_files_of_no_known_kind_are_refused_before_anything_is_imported(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello\n" * 503)
    binary = tmp_path / "photo.jsonl"
    binary.write_bytes(bytes(range(256)) * 8)
    good = tmp_path / "good.jsonl"
    good.write_bytes(line(1) + b"\n")
    db = tmp_path / "s.duckdb"
    for bad, words in ((text, "not a format liqwatch knows"), (binary, "binary")):
        code, err = run("import", str(good), str(bad), "--db", str(db), "-q")
        assert code == 2 and str(bad) in err and words in err and "nothing imported" in err
        assert len(err.strip().splitlines()) == 1
    assert not db.exists()


def test_a_journal_of_which_no_line_can_be_read_exits_one(tmp_path: Path) -> None:
    path = tmp_path / "2025-11-21.jsonl.gz"
    path.write_bytes(gzip.compress(b"hello\n" * 50))
    db = tmp_path / "s.duckdb"
    code, err = run("import", str(path), "--db", str(db), "-q")
    assert code == 1 and "none of its 50 lines could be read" in err
    assert len(dead_letters(db)) == 50


def test_summary_counts_every_skipped_line(tmp_path: Path) -> None:
    lines = [line(i) for i in range(600)]
    for i in range(0, 503 * 1, 1):
        lines[i] = b"garbage %d" % i
    journal = tmp_path / "2025-11-21.jsonl"
    journal.write_bytes(b"\n".join(lines) + b"\n")
    db = tmp_path / "s.duckdb"
    code, err = run("import", str(journal), "--db", str(db), "-q")
    assert code == 0
    assert "skipped 503 unreadable lines" in err and "… and 483 more (see" in err
    assert len(dead_letters(db)) == 503 and stored(db) == 97


def test_a_directory_is_read_recursively_and_an_empty_one_refused(tmp_path: Path) -> None:
    state = tmp_path / "x.state"  # what `run --db x.duckdb` leaves, copied from another host
    (state / "journal" / "old").mkdir(parents=True)
    (state / "journal" / "2025-11-21.jsonl").write_bytes(b"\n".join(line(i) for i in range(10)) + b"\n")
    with gzip.open(state / "journal" / "old" / "2025-11-20.jsonl.gz", "wb") as stream:
        stream.write(b"\n".join(line(i) for i in range(10, 30)) + b"\n")
    for own in ("dead-letters.jsonl", "gaps.jsonl"):  # liqwatch's own: not inputs
        (state / own).write_bytes(line(99) + b"\n")
    (state / "x.dead-letters.jsonl").write_bytes(line(98) + b"\n")  # nor in the layout before state directories
    (state / "README.txt").write_text("not imported")
    db = tmp_path / "s.duckdb"
    code, err = run("import", str(state), "--db", str(db), "-q")
    assert code == 0, err
    assert "imported 2 files" in err and stored(db) == 30

    empty = tmp_path / "empty"
    empty.mkdir()
    code, err = run("import", str(empty), "--db", str(db), "-q")
    assert code == 2 and "a directory holding no capture journals" in err


def test_dead_letters_are_json_lines_of_one_shape(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    journal.write_bytes(line(1) + b"\n{oops\n" + json.dumps({"ts": T0, "venue": "nowhere", "frame": "x"}).encode())
    db = tmp_path / "s.duckdb"
    run("import", str(journal), "--db", str(db), "-q")
    from liqwatch.importer import DeadLine

    letters = [msgspec.json.decode(json.dumps(d), type=DeadLine) for d in dead_letters(db)]
    assert [(d.line, d.venue) for d in letters] == [(2, None), (3, "nowhere")]
    assert letters[0].text == "{oops" and "unknown venue 'nowhere'" in letters[1].reason


def test_the_dead_letter_file_itself_is_never_imported(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    journal = tmp_path / "j.jsonl"
    journal.write_bytes(line(1) + b"\n{oops\n")
    run("import", str(journal), "--db", str(db), "-q")
    letters = db.with_name("s.state") / "dead-letters.jsonl"
    code, err = run("import", str(letters), "--db", str(db), "-q")
    assert code == 2 and "the dead-letter file this import writes to" in err


def test_reprice_without_a_journal_says_what_to_name(tmp_path: Path) -> None:
    code, err = run("reprice", "--db", str(tmp_path / "s.duckdb"), "-q")
    assert code == 2 and "no journal at" in err and "name the journals" in err


def test_random_damage_costs_exactly_the_damaged_lines(tmp_path: Path) -> None:
    import random

    rng = random.Random(13)
    lines = [line(i) for i in range(2000)]
    damaged = sorted(rng.sample(range(2000), 150))
    for i in damaged:
        raw = bytearray(lines[i])
        for _ in range(rng.randint(1, 4)):  # bytes flipped anywhere: in the JSON, the frame, its UTF-8
            raw[rng.randrange(len(raw))] = rng.choice([0xFF, 0x00, ord("{"), ord('"'), 0xC3])
        lines[i] = bytes(raw).replace(b"\n", b" ")
    journal = tmp_path / "2025-11-21.jsonl.gz"
    journal.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    db = tmp_path / "s.duckdb"
    code, err = run("import", str(journal), "--db", str(db), "-q")
    assert code == 0, err
    letters = dead_letters(db)
    assert {d["line"] for d in letters} <= {i + 1 for i in damaged}  # only damaged lines, each once
    assert len(letters) == len({d["line"] for d in letters})
    assert stored(db) + len(letters) == 2000  # every line is either stored or a dead letter

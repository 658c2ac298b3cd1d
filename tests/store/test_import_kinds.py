"""What `liqwatch import` takes a file to be, from its name and first bytes (import_kinds.sniff)."""

from __future__ import annotations

import pytest

from liqwatch.import_kinds import JOURNAL, TARDIS_CSV, Unreadable, sniff
from liqwatch.tardis import HEADER

RECORD = b'{"ts": 1, "venue": "okx", "frame": "{}"}\n'


@pytest.mark.parametrize(
    ("name", "head", "kind"),
    [
        ("liquidations.txt", HEADER.encode() + b"\nbybit,BTCUSDT,1,1,,buy,1,1\n", TARDIS_CSV),  # by its header
        ("x.csv", b"bybit,BTCUSDT,1,1,,buy,1,1\n", TARDIS_CSV),  # headerless: by its name
        ("capture.log", RECORD, JOURNAL),  # by its content
        ("2026-01-01.jsonl", b"cut-off garbage\n" + RECORD, JOURNAL),  # a damaged first line
        ("2026-01-01.jsonl", b"", JOURNAL),  # the day a collector just opened
        ("2026-01-01.jsonl", b"hello\nworld\n", JOURNAL),  # named a journal: judged line by line
    ],
)
def test_known_kinds(name: str, head: bytes, kind: str) -> None:
    assert sniff(name, head) == kind


@pytest.mark.parametrize(
    ("name", "head", "words"),
    [
        ("notes.txt", b"hello\n" * 10, "it begins 'hello'"),
        ("photo.jpg", bytes(range(256)), "binary"),
        ("x.jsonl.gz", b"\x00\x01\x02", "binary"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_unknown_kinds_say_what_they_are(name: str, head: bytes, words: str) -> None:
    with pytest.raises(Unreadable, match=words):
        sniff(name, head)

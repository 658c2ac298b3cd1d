"""What `liqwatch import` was given: which files, and what kind each one is.

The one place that knows the kinds of importable files (add a kind here: a name, a test on the
file's first line, the name endings a directory walk picks up). `sniff` is pure: it decides from
a file's name and its first (decompressed) bytes; `kind_of` reads those bytes; `expand` turns the
command line's paths into files, reading directories recursively.

Kinds:
    journal     a capture journal (design.md): JSON Lines of {"ts", "venue", "frame"}
    tardis_csv  a Tardis.dev liquidations CSV (liqwatch.tardis), recognised by its header line
    node_fills  a Hyperliquid node's fills file (plain or .lz4; `[user, fill]` or block lines),
                recognised by its path (…/YYYYMMDD/H) or its first bytes (feed/node_files.py)
and files that hold no events (NOT_EVENTS), read by liqwatch.file_kinds:
    coinglass_csv, coinalyze_csv, coinalyze_json, coinglass_json   aggregate history (aggregates.py)
    klines      a Binance public-data kline CSV (plain, gzip or zip as published; klines.py)
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from pathlib import Path

import msgspec

from liqwatch import aggregates, file_kinds, klines, tardis
from liqwatch.feed.node_files import LZ4_MAGIC, file_key

JOURNAL = "journal"
TARDIS_CSV = "tardis_csv"
NODE_FILLS = "node_fills"
KLINES = "klines"
NOT_EVENTS = frozenset({*file_kinds.AGGREGATE_KINDS, KLINES})  # read by liqwatch.file_kinds
NODE_FILLS_HEADS = (b'["0x', b'{"local_time"', b'{"block_time"')

# Name endings a directory walk picks up; files named otherwise inside a directory are left alone
# (and listed), files named on the command line are judged by their content.
ENDINGS = (".jsonl", ".jsonl.gz", ".csv", ".csv.gz", ".json", ".json.gz", ".zip")
# Files liqwatch itself writes in a store's state directory (or, before it, beside the store as
# NAME.dead-letters.jsonl …) that look like journals but are not.
NOT_IMPORTED = ("dead-letters.jsonl", "status.json", "instruments.json", "gaps.jsonl", "hyperliquid-node.json")

HEAD_BYTES = 1 << 16
MAYBE_JSON = "maybe_json"  # sniff's answer for JSON longer than the head: kind_of reads it whole


class Unreadable(ValueError):
    """A file no importer reads, with a one-line reason naming what it is."""


class _Probe(msgspec.Struct):
    ts: int
    venue: str
    frame: msgspec.Raw


_probe = msgspec.json.Decoder(_Probe).decode


def sniff(name: str, head: bytes) -> str:
    """The kind of a file from its name and first bytes (decompressed); Unreadable otherwise."""
    low = name.lower()
    if not head.strip():
        if low.endswith((".jsonl", ".jsonl.gz")):
            return JOURNAL  # e.g. the day a collector just opened: nothing to import, nothing wrong
        if low.endswith((".csv", ".csv.gz")):
            return TARDIS_CSV
        raise Unreadable("empty: no lines to import")
    if head.lstrip().startswith(NODE_FILLS_HEADS):
        return NODE_FILLS
    lines = [line for line in head.split(b"\n")[:-1] or [head] if line.strip()]
    first = lines[0] if lines else head
    text = first.decode("utf-8", "replace")
    if tardis.is_header(text):
        return TARDIS_CSV
    header_kind = aggregates.kind_of_header(text.lstrip("\ufeff").strip())
    if header_kind:
        return header_kind
    if klines.is_kline_line(text.strip()):
        return KLINES
    for line in lines[:20]:  # a journal whose first lines were damaged is still a journal
        try:
            _probe(line)
        except (msgspec.DecodeError, ValueError):
            continue
        return JOURNAL
    if text.lstrip().startswith(("{", "[")) and not low.endswith((".jsonl", ".jsonl.gz")):
        try:
            json_kind = aggregates.kind_of_json(msgspec.json.decode(head))
        except (msgspec.DecodeError, UnicodeDecodeError):
            json_kind = MAYBE_JSON  # longer than the head: kind_of reads it whole
        if json_kind:
            return json_kind
    if _looks_binary(head):  # after the content checks: a journal with a few damaged bytes is a journal
        raise Unreadable("a binary file, not a capture journal (.jsonl) or a Tardis CSV")
    if low.endswith((".jsonl", ".jsonl.gz")):
        return JOURNAL  # named a journal: every line will be judged (and dead-lettered) one by one
    if low.endswith((".csv", ".csv.gz")) and any(len(line.split(b",")) == len(tardis.COLUMNS) for line in lines[:20]):
        return TARDIS_CSV  # a Tardis CSV whose header is damaged: every row will be judged one by one
    shown = text.strip()[:60]
    raise Unreadable(
        "not a format liqwatch knows (capture journals, Tardis liquidation CSVs, Hyperliquid node fills, "
        "Coinalyze or CoinGlass liquidation history as CSV or saved API JSON, Binance public-data kline "
        f"CSV/zip); it begins {shown!r}"
    )


_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r") + b"\x7f"


def _looks_binary(head: bytes) -> bool:
    """More than 1 byte in 20 is a control character (text has none but tabs and newlines)."""
    return len(head.translate(None, delete=bytes(range(256)).translate(None, _CONTROL))) * 20 > len(head)


def head_of(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first `size` bytes of a file, decompressed when it is gzip (as far as it decompresses)."""
    with path.open("rb") as stream:
        raw = stream.read(size)
    if raw[:4] == LZ4_MAGIC:  # the public archive's node fills files
        import lz4.frame

        try:
            with lz4.frame.open(path, "rb") as unpacked:
                return bytes(unpacked.read(size))
        except (RuntimeError, EOFError, OSError) as exc:
            raise Unreadable(f"a damaged LZ4 file ({exc})") from None
    if raw[:4] == b"PK\x03\x04":  # a zip as Binance publishes klines: its first CSV
        import zipfile

        try:
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
                if not names:
                    raise Unreadable("a zip file holding no CSV")
                with archive.open(names[0]) as member:
                    return member.read(size)
        except zipfile.BadZipFile as exc:
            raise Unreadable(f"a damaged zip file ({exc})") from None
    if raw[:2] != b"\x1f\x8b":
        return raw
    inflate = zlib.decompressobj(wbits=31)
    try:
        return inflate.decompress(raw, size)
    except zlib.error as exc:
        raise Unreadable(f"a damaged gzip file ({exc})") from None


def kind_of(path: Path) -> str:
    """The kind of the file at `path`; Unreadable (or OSError) when it is none."""
    kind = sniff(path.name, head_of(path))
    if kind != MAYBE_JSON:
        return kind
    whole = file_kinds.json_kind_of(path)  # a saved API response longer than the head
    if whole in NOT_EVENTS:
        return whole
    raise Unreadable("JSON that is not a Coinalyze or CoinGlass liquidation-history response")


def expand(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """The files to import (a directory: its importable files, recursively, in name order) and a
    one-line refusal per path that cannot be imported at all."""
    files: list[Path] = []
    refused: list[str] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and (p.name.lower().endswith(ENDINGS) or file_key(p) is not None)
                and not p.name.endswith(NOT_IMPORTED)
            )
            if not found:
                refused.append(
                    f"{path}: a directory holding no capture journals, Tardis CSV files ({', '.join(ENDINGS)}) "
                    "or Hyperliquid node fills files (…/YYYYMMDD/H)"
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif path.exists():
            refused.append(f"{path}: not a regular file")
        else:
            refused.append(f"{path}: no such file or directory")
    return files, refused

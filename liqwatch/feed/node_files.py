"""Where a Hyperliquid node writes its fills, and how its hourly files follow one another. Pure.

A non-validator node run with `--write-fills` writes `<data>/node_fills/hourly/{YYYYMMDD}/{H}` (one
`[user, fill]` per line); newer nodes write `<data>/node_fills_by_block/hourly/{YYYYMMDD}/{H}` (one
block object per line). The public archive has the same layout with `.lz4` files. `H` is the hour
without a leading zero (0 … 23), so files sort by (date, int(hour)), not by name. Used by the
follower (feed/node_follow.py) and by `liqwatch import`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

FORMATS = ("node_fills_by_block", "node_fills")  # newest first: preferred when a node writes both
_DATE = re.compile(r"^\d{8}$")
_HOUR = re.compile(r"^(\d{1,2})(\.lz4)?$")

FileKey = tuple[str, int]
LZ4_MAGIC = b"\x04\x22\x4d\x18"  # an LZ4 frame starts with these bytes


def file_key(path: Path) -> FileKey | None:
    """(YYYYMMDD, hour) of an hourly fills file, else None."""
    hour = _HOUR.match(path.name)
    if hour is None or not _DATE.match(path.parent.name) or int(hour.group(1)) > 23:
        return None
    return path.parent.name, int(hour.group(1))


def hourly_roots(root: Path) -> list[Path]:
    """The `hourly` directories under `root`, which may be the node's data directory (~/hl/data),
    one of its fills directories, or an `hourly` directory itself; preferred format first."""
    candidates = [root / name / "hourly" for name in FORMATS] + [root / "hourly", root]
    return [c for c in candidates if c.is_dir() and any(_DATE.match(d.name) for d in c.iterdir() if d.is_dir())]


def hourly_files(hourly: Path) -> list[Path]:
    """Every hourly fills file under one `hourly` directory, oldest first."""
    found: list[tuple[FileKey, Path]] = []
    for day in hourly.iterdir():
        if not (day.is_dir() and _DATE.match(day.name)):
            continue
        for path in day.iterdir():
            key = file_key(path)
            if key is not None and path.is_file():
                found.append((key, path))
    found.sort(key=lambda item: item[0])
    return [path for _, path in found]


def following(files: Iterable[Path], current: Path) -> Path | None:
    """The first file after `current` in (date, hour) order, else None."""
    key = file_key(current)
    later = [(k, p) for p in files if (k := file_key(p)) is not None and key is not None and k > key]
    return min(later, key=lambda item: item[0])[1] if later else None


def is_node_fills_path(path: Path) -> bool:
    """A path that looks like a node's fills output: an hourly file, or a directory holding them."""
    if path.is_dir():
        return bool(hourly_roots(path)) or any(file_key(p) for p in path.iterdir() if p.is_file())
    return file_key(path) is not None or path.name.endswith(".lz4")


def node_files_under(directory: Path) -> list[Path]:
    """Every hourly fills file (plain or .lz4) anywhere under `directory`, in (format, date, hour) order."""
    found = [(key, str(p.parent.parent), p) for p in directory.rglob("*") if p.is_file() and (key := file_key(p))]
    found.sort(key=lambda item: (item[1], item[0]))
    return [path for _, _, path in found]


def open_node_file(path: Path) -> BinaryIO:
    """A node fills file for reading, decompressed when it is an LZ4 frame (the public archive)."""
    with path.open("rb") as probe:
        lz4_frame = probe.read(4) == LZ4_MAGIC
    if lz4_frame:
        import lz4.frame  # only the archive needs it

        stream: BinaryIO = lz4.frame.open(path, "rb")
        return stream
    return path.open("rb")


def looks_like_node_fills(path: Path) -> bool:
    """A node fills file: by its name (an hour under a YYYYMMDD directory, or .lz4), else its first bytes."""
    if file_key(path) is not None or path.name.endswith(".lz4"):
        return True
    try:
        with path.open("rb") as probe:
            head = probe.read(64).lstrip()
    except OSError:
        return False
    return head.startswith((b'["0x', b'{"local_time"', b'{"block_time"'))

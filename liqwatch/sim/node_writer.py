"""The simulator as a Hyperliquid node run with `--write-fills`: the tape's node lines appended to
`<dir>/node_fills_by_block/hourly/{YYYYMMDD}/{H}` by tape time (so a fast tape rotates hours quickly),
one whole line per write, plus a block of ordinary trades every tick (a node is never quiet)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from liqwatch.sim import encode

FORMAT = "node_fills_by_block"


def hour_path(root: Path, at_ms: int) -> Path:
    moment = datetime.fromtimestamp(at_ms / 1000, UTC)
    return root / FORMAT / "hourly" / moment.strftime("%Y%m%d") / str(moment.hour)


def _key(path: Path) -> tuple[str, int]:
    return path.parent.name, int(path.name)


class NodeWriter:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.lines = 0
        self._path: Path | None = None
        self._fd: int | None = None
        self._tid = 900_000_000_000

    def write(self, at_ms: int, text: str) -> None:
        path = hour_path(self.root, at_ms)
        if self._path is None or _key(path) > _key(self._path):
            self._open(path)  # only forward: a line stamped before the open hour joins it, as on a node
        assert self._fd is not None
        os.write(self._fd, text.encode() + b"\n")  # one write per line: a reader never sees half of it
        self.lines += 1

    def ordinary_block(self, at_ms: int, coin: str, price: float) -> str:
        """A block of one ordinary trade of `coin` at about `price` (no liquidation in it)."""
        self._tid += 1
        events = encode.hyperliquid_ordinary(coin, f"{price:.2f}", "0.01", at_ms, self._tid)
        return encode.hyperliquid_block_of(events, at_ms, at_ms // 100)

    def _open(self, path: Path) -> None:
        self.close()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._path = path

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

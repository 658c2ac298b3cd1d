"""Follow a Hyperliquid node's hourly fills files like a feed: tail, rotate, resume, notice silence.

The node appends one JSON line per fill (or per block) to the current hour's file and opens the
next hour's file at the hour (feed/node_files.py has the layout). The follower:

- reads complete lines only: a line the node is still writing (no newline yet) waits for the next
  poll; a partial last line left in a file after the next hour's file appeared and the file stopped
  growing for `partial_grace_s` is handed on as it is (its parse fails: it is dead-lettered, the feed
  goes on);
- moves to the next hour's file once the current one is read to its end and the next one exists;
- persists (file, byte offset) of what it handed on to `position_path`, but only after `durable()`
  (the collector's journal fsync) returned, so after a crash it resumes from a point whose lines are
  in the journal (start-up recovery replays them) and re-reads at most the lines since: event ids
  make that harmless. A clean stop saves the exact offset. Without a saved position it starts at the
  beginning of the newest file (the current hour);
- treats `silence_s` without a new line as an outage, recorded as one Gap when lines come again (or
  at shutdown), like a silent WebSocket.

Each line goes to `on_line(recv_ts, text)` (the collector journals, parses, publishes it).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, NoReturn

import msgspec

from liqwatch.feed.clock import Clock, now_ms
from liqwatch.feed.connection import ConnectionState, OnGap
from liqwatch.feed.node_files import following, hourly_files, hourly_roots
from liqwatch.model import Gap

log = logging.getLogger("liqwatch.feed.node_follow")

READ_BLOCK = 4 << 20


class Position(msgspec.Struct):
    file: str  # relative to the node directory
    offset: int  # bytes handed on (complete lines only)


def load_position(path: Path) -> Position | None:
    try:
        return msgspec.json.decode(path.read_bytes(), type=Position)
    except (FileNotFoundError, msgspec.DecodeError, msgspec.ValidationError):
        return None


def save_position(path: Path, position: Position) -> None:
    """Atomically replace the saved position (a crash never leaves half a file)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(msgspec.json.encode(position))
    os.replace(tmp, path)


class NodeFollower:
    def __init__(
        self,
        root: Path,
        on_line: Callable[[int, str], None],
        on_gap: OnGap,
        *,
        position_path: Path,
        durable: Callable[[], None] = lambda: None,
        state: ConnectionState | None = None,
        venue: str = "hyperliquid",
        clock: Clock = now_ms,
        poll_s: float = 0.2,
        silence_s: float = 60.0,
        checkpoint_s: float = 1.0,
        partial_grace_s: float = 5.0,
    ) -> None:
        self.root = root
        self.on_line = on_line
        self.on_gap = on_gap
        self.position_path = position_path
        self.durable = durable
        self.state = state if state is not None else ConnectionState(venue, "node", str(root))
        self.venue = venue
        self.clock = clock
        self.poll_s = poll_s
        self.silence_s = silence_s
        self.checkpoint_s = checkpoint_s
        self.partial_grace_s = partial_grace_s
        self.current: Path | None = None
        self.offset = 0
        self._file: BinaryIO | None = None
        self._outage: tuple[int, str] | None = None  # (start ms, reason)
        self._started = clock()
        self._stalled_since: int | None = None  # ms: a partial tail stopped growing, the next file exists
        self._tail_size = -1

    # -- the loop ----------------------------------------------------------------------------------

    async def run(self) -> NoReturn:
        loop = asyncio.get_running_loop()
        next_checkpoint = loop.time() + self.checkpoint_s
        try:
            while True:
                try:
                    got = self._step()
                except Exception as exc:  # a file vanished, a disk error, a bug: keep the feed, retry
                    got = 0
                    self._broken(exc)
                if got < 0:
                    continue  # moved to the next hour's file
                if loop.time() >= next_checkpoint:
                    await asyncio.to_thread(self._save, self._position())
                    next_checkpoint = loop.time() + self.checkpoint_s
                if not got:
                    await asyncio.sleep(self.poll_s)
                else:
                    await asyncio.sleep(0)
        except asyncio.CancelledError:
            if self._outage is not None:
                start, reason = self._outage
                self.state.gaps += 1
                self.on_gap(Gap(self.venue, start, self.clock(), reason + "; open at shutdown"))
            self._save(self._position())
            self._close()
            raise

    def _step(self) -> int:
        """Read what is new: lines handed on, or -1 after moving to the next hour's file."""
        if self.current is None:
            self._open_start()
        elif self._file is None:
            self._open(self.current, self.offset)  # after an error: the same place again
        got = self._pump() if self._file is not None else 0
        now = self.clock()
        if got:
            self._alive(now)
            return got
        self._watch_silence(now)
        if self.current is not None and self._rotate(now):
            return -1
        return 0

    def _broken(self, exc: Exception) -> None:
        self._close()
        error = f"node files: {type(exc).__name__}: {exc}"
        if error != self.state.last_error:  # once per distinct error, not every poll
            if isinstance(exc, OSError):
                log.warning("%s: %s", self.venue, error)
            else:
                log.exception("%s: unexpected error following node files", self.venue)
        self.state.last_error = error
        if self.current is not None and not self.current.exists():
            nxt = following(self._files(), self.current)
            if nxt is not None:  # the file was pruned under us: go on with the next one
                self.current, self.offset = nxt, 0

    # -- files ----------------------------------------------------------------------------------

    def _files(self) -> list[Path]:
        roots = hourly_roots(self.root)
        return hourly_files(roots[0]) if roots else []

    def _open_start(self) -> None:
        """Where to begin: the saved position, else the newest file from its start."""
        saved = load_position(self.position_path)
        files = self._files()
        if saved is not None:
            path = self.root / saved.file
            if path.is_file():
                self._open(path, saved.offset)
                return
            later = following(files, path)
            if later is not None:
                log.warning("%s: saved node file %s is gone; going on with %s", self.venue, saved.file, later)
                self._open(later, 0)
                return
        if files:
            self._open(files[-1], 0)
        else:
            self.state.connected = False
            self.state.last_error = f"no fills files under {self.root} yet (is the node run with --write-fills?)"

    def _open(self, path: Path, offset: int) -> None:
        self._close()
        if offset > path.stat().st_size:  # the file was replaced since the position was saved
            log.warning("%s: %s is shorter than the saved offset %d; reading it again", self.venue, path, offset)
            offset = 0
        self._file = path.open("rb")
        self._file.seek(offset)
        self.current, self.offset = path, offset
        self._stalled_since, self._tail_size = None, -1
        self.state.connected = True
        self.state.connected_since = self.state.connected_since or self.clock()
        self.state.url = str(path)
        log.info("%s: following %s from byte %d", self.venue, path, offset)

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _pump(self) -> int:
        """Hand on the complete lines of the next block appended since the last read; how many."""
        assert self._file is not None
        count = 0
        size = READ_BLOCK
        while True:
            self._file.seek(self.offset)
            block = self._file.read(size)
            end = block.rfind(b"\n")
            if end < 0:
                if len(block) < size:
                    return count  # only a line still being written
                size *= 2  # one line longer than the block (a huge block of fills): read more
                continue
            size = READ_BLOCK
            recv_ts = self.clock()
            for raw in block[: end + 1].splitlines():
                if raw.strip():
                    self._hand_on(recv_ts, raw)
                    count += 1
            self.offset += end + 1
            return count  # one block at a time: the event loop (other feeds) runs between blocks

    def _hand_on(self, recv_ts: int, raw: bytes) -> None:
        self.state.frames += 1
        self.state.data_frames += 1
        self.state.last_frame_ts = self.state.last_data_ts = recv_ts
        try:
            self.on_line(recv_ts, raw.decode("utf-8", errors="replace"))
        except Exception:  # the collector is defensive; this is the last line
            log.exception("%s: line handler failed", self.venue)

    def _rotate(self, now: int) -> bool:
        """Move to the next hour's file when the current one is done; True when it moved."""
        assert self.current is not None
        nxt = following(self._files(), self.current)
        if nxt is None:
            return False
        size = self.current.stat().st_size if self.current.exists() else self.offset
        if size > self.offset:  # a partial last line: give the node a moment to finish it
            if size != self._tail_size:
                self._tail_size, self._stalled_since = size, now
                return False
            if self._stalled_since is not None and now - self._stalled_since < self.partial_grace_s * 1000:
                return False
            assert self._file is not None
            self._file.seek(self.offset)
            tail = self._file.read(size - self.offset)
            log.warning("%s: %s ends in a partial line (%d bytes); handing it on", self.venue, self.current, len(tail))
            self._hand_on(now, tail)
            self.offset = size
            self._alive(now)
        self._open(nxt, 0)
        return True

    # -- liveness and checkpoints ---------------------------------------------------------------

    def _alive(self, now: int) -> None:
        if self._outage is not None:
            start, reason = self._outage
            self._outage = None
            self.state.outage_since = None
            self.state.gaps += 1
            log.info("%s: node fills again after %.1f s", self.venue, (now - start) / 1000)
            self.on_gap(Gap(self.venue, start, now, reason))

    def _watch_silence(self, now: int) -> None:
        if self._outage is not None:
            return
        last = self.state.last_data_ts if self.state.last_data_ts is not None else self._started
        if now - last >= self.silence_s * 1000:
            reason = f"node fills silent for {self.silence_s:g} s"
            self._outage = (last, reason)
            self.state.outage_since = last
            self.state.failures += 1
            self.state.last_error = reason
            log.warning("%s: %s (%s)", self.venue, reason, self.current)

    def _position(self) -> Position | None:
        """What has been handed on so far (read on the event loop, saved from a thread)."""
        return Position(str(self.current.relative_to(self.root)), self.offset) if self.current else None

    def _save(self, position: Position | None) -> None:
        if position is None:
            return
        try:
            self.durable()
            save_position(self.position_path, position)
        except OSError as exc:
            log.error("%s: could not save the node file position: %s", self.venue, exc)

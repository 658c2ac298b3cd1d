"""Capture journal (every received frame, raw, before parsing) and dead-letter file.

Journal format (design.md contract): JSON Lines, one received frame per line,
`{"ts": <local receive ms>, "venue": "<venue id>", "frame": "<exact text frame>"}`,
in daily files `<dir>/<YYYY-MM-DD>.jsonl` (UTC day of `ts`). The current day's file stays
plain `.jsonl` while it is appended to; a day's file is gzip-compressed to `.jsonl.gz` when
it is closed (at rollover, at shutdown if its day is over, and at the next start for files a
crash left behind).

Durability: `write` appends to a buffer; a background thread flushes and fsyncs every
`sync_interval` (0.5 s), so a kill -9 or power loss loses at most the last ~0.5 s.
The reader tolerates what a crash leaves: a truncated last line, a truncated gzip member, and any
unreadable line content (skipped, counted). The writer repairs on `start`: a partial last line (a
full disk, a power cut) is cut off before anything is appended, so the next frame never joins it;
`on_cut` keeps it (the collector puts it in the dead letters with its byte offset).
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import re
import shutil
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, BinaryIO

import msgspec

from liqwatch.feed.clock import Clock, now_ms, utc_day

log = logging.getLogger("liqwatch.feed.journal")

SUFFIX = ".jsonl"
GZ_SUFFIX = ".jsonl.gz"
DAY_MS = 86_400_000


# A receive time no store can hold (beyond int64, or before 1970) makes its line unreadable here,
# so it never reaches a store and costs its batch: 2**53 ms is the year 287,396.
MAX_TS = 2**53
Ts = Annotated[int, msgspec.Meta(ge=0, le=MAX_TS)]


class JournalRecord(msgspec.Struct, frozen=True, gc=False):  # ints and strs only: no cycles to track
    ts: Ts  # local receive time, ms since epoch
    venue: str  # venue id
    frame: str  # the exact text frame as received


class DeadLetter(msgspec.Struct, frozen=True):
    ts: int
    venue: str
    frame: str
    reason: str


_encode = msgspec.json.Encoder().encode
_decode_strict = msgspec.json.Decoder(JournalRecord).decode


class _EmbeddedRecord(msgspec.Struct, frozen=True):
    ts: Ts
    venue: str
    frame: msgspec.Raw  # a tape written by another tool may embed the frame as JSON, not as text


_decode_embedded = msgspec.json.Decoder(_EmbeddedRecord).decode


def _decode_record(line: bytes) -> JournalRecord:
    """A journal line; a frame embedded as a JSON object or array is read as its exact text.

    Any unreadable content (bad JSON, a ts beyond int64, invalid UTF-8 inside an embedded frame)
    is a msgspec.DecodeError, the one error every reader here skips a line for.
    """
    try:
        return _decode_strict(line)
    except msgspec.ValidationError:
        embedded = _decode_embedded(line)
        try:
            frame = bytes(embedded.frame).decode()
        except UnicodeDecodeError as exc:
            raise msgspec.DecodeError(f"invalid UTF-8 in the embedded frame: {exc}") from None
        return JournalRecord(embedded.ts, embedded.venue, frame)


_decode_many = msgspec.json.Decoder(list[JournalRecord]).decode
# JSON Lines in one call, straight from the bytes read (no joined copy); blank lines are skipped and
# two values on one line both read: decode_block's line count catches either
_decode_json_lines = msgspec.json.Decoder(JournalRecord).decode_lines


@dataclass(frozen=True)
class CutLine:
    """The partial last line a crash or a full disk left in a journal file, cut off on open."""

    path: Path
    offset: int  # byte offset where the partial line started (the file's new size)
    data: bytes

    @property
    def venue(self) -> str:
        found = re.search(rb'"venue"\s*:\s*"([^"\\]{1,64})"', self.data)
        return found.group(1).decode(errors="replace") if found else "?"

    @property
    def reason(self) -> str:
        return f"partial last line of {self.path.name} cut off at byte {self.offset} ({len(self.data)} bytes)"


def cut_partial_line(path: Path, block: int = 1 << 16) -> CutLine | None:
    """Truncate a plain journal file after its last complete line; what was cut, or None.

    Run before appending: otherwise the next frame joins the partial line and both are lost.
    """
    with open(path, "r+b") as stream:
        size = stream.seek(0, os.SEEK_END)
        if size == 0:
            return None
        stream.seek(size - 1)
        if stream.read(1) == b"\n":
            return None
        end = size
        start = size
        while start > 0:
            start = max(0, start - block)
            stream.seek(start)
            newline = stream.read(end - start).rfind(b"\n")
            if newline >= 0:
                start += newline + 1
                break
            end = start
        stream.seek(start)
        data = stream.read(size - start)
        stream.truncate(start)
        stream.flush()
        os.fsync(stream.fileno())
    return CutLine(path, start, data)


def day_path(directory: Path, day: str, *, compressed: bool = False) -> Path:
    return directory / f"{day}{GZ_SUFFIX if compressed else SUFFIX}"


def compress(path: Path) -> Path:
    """Gzip `<day>.jsonl` into `<day>.jsonl.gz` and remove the plain file.

    If the .gz already exists (the same day was reopened, e.g. after a clock step), the new
    data is appended as another gzip member; gzip readers read concatenated members.
    """
    target = path.with_name(path.name.removesuffix(SUFFIX) + GZ_SUFFIX)
    tmp = target.with_name(target.name + ".tmp")
    with path.open("rb") as src, gzip.open(tmp, "wb", compresslevel=6) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    _fsync_path(tmp)
    if target.exists():
        with target.open("ab") as out, tmp.open("rb") as member:
            shutil.copyfileobj(member, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        tmp.unlink()
    else:
        os.replace(tmp, target)
    path.unlink()
    _fsync_path(target.parent)
    return target


def _fsync_path(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # directories cannot be fsynced on every platform
    finally:
        os.close(fd)


class Journal:
    """Append-only capture journal, safe to `write` from one thread (the event loop)."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        clock: Clock = now_ms,
        sync_interval: float = 0.5,
        on_cut: Callable[[CutLine], None] | None = None,
    ):
        self.directory = Path(directory)
        self.on_cut = on_cut  # told of each partial last line `start` cuts off (the dead letters keep it)
        self.cut: list[CutLine] = []
        self.clock = clock
        self.sync_interval = sync_interval
        self.records = 0  # written by this instance
        self.sync_errors = 0  # flushes to disk that failed (a full disk): their frames may be lost
        self._lock = threading.Lock()
        self._file: BinaryIO | None = None
        self._day: str | None = None
        self._day_end = 0  # ms, the next UTC midnight after the open file's day
        self._dirty = False
        self._closed = False
        self._started = False
        self._stop = threading.Event()
        self._syncer: threading.Thread | None = None
        self._compressors: list[threading.Thread] = []

    # -- writing ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Create the directory, cut partial last lines, compress files of past days a crash
        left plain, start syncing.

        Called by the first `write`; call it yourself to control when the compression starts
        (after a recovery step has read the plain files).
        """
        with self._lock:
            if self._started:
                return
            self._started = True
        self.directory.mkdir(parents=True, exist_ok=True)
        today = utc_day(self.clock())
        for path in sorted(self.directory.glob(f"*{SUFFIX}")):
            self._repair(path)
            if path.name.removesuffix(SUFFIX) < today:
                self._compress_later(path)
        self._syncer = threading.Thread(target=self._sync_loop, name="liqwatch-journal-sync", daemon=True)
        self._syncer.start()

    def _repair(self, path: Path) -> None:
        try:
            cut = cut_partial_line(path)
        except OSError as exc:
            log.error("journal: could not repair %s: %s", path, exc)
            return
        if cut is None:
            return
        self.cut.append(cut)
        log.warning("journal: %s", cut.reason)
        if self.on_cut is not None:
            try:
                self.on_cut(cut)
            except Exception as exc:  # the cut bytes are in the log line's count; keep starting
                log.error("journal: could not keep the cut line as a dead letter: %s", exc)

    def write(self, venue: str, recv_ts: int, frame: str) -> None:
        """Append one received frame (call before parsing it)."""
        line = _encode(JournalRecord(recv_ts, venue, frame)) + b"\n"
        if not self._started:
            self.start()
        with self._lock:
            if self._closed:
                raise ValueError("journal is closed")
            if self._day is None or recv_ts >= self._day_end:
                # Only forward: a frame stamped just before midnight that arrives after one
                # stamped just after it (or a clock step back) joins the open file.
                self._open_day(utc_day(recv_ts))
                self._day_end = (recv_ts // DAY_MS + 1) * DAY_MS
            assert self._file is not None
            self._file.write(line)
            self._dirty = True
            self.records += 1

    def sync(self) -> None:
        """Flush buffered records to the OS and fsync them."""
        fd = -1
        with self._lock:
            if self._file is None or not self._dirty:
                return
            self._file.flush()
            self._dirty = False
            fd = os.dup(self._file.fileno())
        try:
            os.fsync(fd)  # outside the lock: a slow disk never blocks `write`
        finally:
            os.close(fd)

    def close(self) -> None:
        """Flush, fsync and close; compress the open file if its day is over. Idempotent."""
        self._stop.set()
        if self._syncer is not None:
            self._syncer.join()
        with self._lock:
            self._closed = True
            path = self._close_current()
            if path is not None and self._day is not None and self._day < utc_day(self.clock()):
                self._compress_later(path)
            self._day = None
        for thread in self._compressors:
            thread.join()
        self._compressors.clear()

    @property
    def current_path(self) -> Path | None:
        return day_path(self.directory, self._day) if self._day else None

    def _open_day(self, day: str) -> None:
        previous = self._close_current()
        if previous is not None and self._day is not None and self._day < day:
            self._compress_later(previous)
        self._day = day
        self._file = open(day_path(self.directory, day), "ab")  # noqa: SIM115 - kept open across writes

    def _close_current(self) -> Path | None:
        if self._file is None:
            return None
        path = Path(self._file.name)
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        self._dirty = False
        return path

    def _compress_later(self, path: Path) -> None:
        # Compressing a day of frames takes a while: never on the event loop's thread.
        thread = threading.Thread(target=self._compress, args=(path,), name="liqwatch-journal-gzip")
        self._compressors = [t for t in self._compressors if t.is_alive()]
        self._compressors.append(thread)
        thread.start()

    @staticmethod
    def _compress(path: Path) -> None:
        try:
            compress(path)
        except OSError as exc:
            log.error("journal: could not compress %s: %s", path, exc)

    def _sync_loop(self) -> None:
        while not self._stop.wait(self.sync_interval):
            try:
                self.sync()
            except (OSError, ValueError) as exc:
                self.sync_errors += 1
                if self.sync_errors == 1 or self.sync_errors % 100 == 0:
                    log.error("journal: sync failed (%d so far): %s", self.sync_errors, exc)


class DeadLetters:
    """JSON Lines of frames that failed to parse: `{"ts", "venue", "frame", "reason"}`.

    Rare by nature, so every record is flushed at once.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.count = 0  # written by this instance
        self._file: BinaryIO | None = None
        self._lock = threading.Lock()

    def write(self, venue: str, recv_ts: int, frame: str, reason: str) -> None:
        line = _encode(DeadLetter(recv_ts, venue, frame, reason)) + b"\n"
        with self._lock:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = open(self.path, "ab")  # noqa: SIM115 - kept open across writes
            self._file.write(line)
            self._file.flush()
            self.count += 1

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                os.fsync(self._file.fileno())
                self._file.close()
                self._file = None


# -- reading -------------------------------------------------------------------------------------


BadLine = Callable[[int, str, bytes], None]  # (line number, reason, the line as read)


class JournalReader:
    """Iterate the records of a .jsonl or .jsonl.gz journal; unreadable lines are skipped.

    After (or during) iteration, `bad` is the number of unreadable lines and `bad_lines` the
    first `keep` of them as (line number, reason); `on_bad`, when given, is called with every one
    of them and its text. A crash's truncated last line or gzip member counts as one bad line;
    nothing here raises for content (an unreadable file is the caller's OSError).
    """

    def __init__(self, path: str | os.PathLike[str], keep: int = 100, on_bad: BadLine | None = None) -> None:
        self.path = Path(path)
        self.keep = keep
        self.on_bad = on_bad
        self.lines = 0
        self.bad = 0
        self.bad_lines: list[tuple[int, str]] = []

    def _bad(self, lineno: int, reason: str, text: bytes = b"") -> None:
        self.bad += 1
        if len(self.bad_lines) < self.keep:
            self.bad_lines.append((lineno, reason))
        if self.on_bad is not None:
            self.on_bad(lineno, reason, text)

    def __iter__(self) -> Iterator[JournalRecord]:
        for records, _ in self.blocks():
            yield from records

    def blocks(self, block: int = 1 << 18) -> Iterator[tuple[list[JournalRecord], Sequence[int]]]:
        """The records in blocks of lines, each with the line number of each record.

        A block is decoded in one call (its lines joined into one JSON array: a fraction of the
        per-line cost); a block holding an unreadable line is decoded again line by line, so a
        bad line costs only itself.
        """
        lineno = 0
        for lines in self._line_blocks(block):
            first = lineno + 1
            lineno += len(lines)
            self.lines = lineno
            yield decode_lines(lines, first, self._bad)

    def _line_blocks(self, block: int) -> Iterator[list[bytes]]:
        try:
            yield from line_blocks(self.path, block)
        except DamagedStream as exc:
            self._bad(exc.lineno, exc.reason)


def decode_lines(lines: list[bytes], first: int, on_bad: BadLine) -> tuple[list[JournalRecord], Sequence[int]]:
    """The records of consecutive journal lines (numbered from `first`), each with its line number;
    `on_bad` hears of every unreadable line. The lines are decoded in one call (joined into one JSON
    array: a fraction of the per-line cost); when one is unreadable they are decoded again one by
    one, so a bad line costs only itself."""
    if all(lines):
        try:
            records = _decode_many(b"[" + b",".join(lines) + b"]")
        except (msgspec.DecodeError, ValueError):
            pass  # an unreadable line: found below
        else:
            if len(records) == len(lines):  # one record per line, never two on one
                return records, range(first, first + len(lines))
    records = []
    numbers: list[int] = []
    for offset, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            records.append(_decode_record(line))
        except (msgspec.DecodeError, ValueError) as exc:
            on_bad(first + offset, str(exc), line)
            continue
        numbers.append(first + offset)
    return records, numbers


def line_count(data: bytes) -> int:
    """The lines in a block of whole lines as read (a last line may lack its newline)."""
    return data.count(b"\n") + (not data.endswith(b"\n")) if data else 0


def decode_block(
    data: bytes, first: int, on_bad: BadLine, count: int | None = None
) -> tuple[list[JournalRecord], Sequence[int]]:
    """decode_lines for a block of whole lines as read (newline-separated bytes, numbered from
    `first`; `count`: its line_count, when the caller has it). The usual block is decoded as JSON
    Lines in one call, without a bytes object per line; a block with an unreadable or a blank line,
    or two records on one line, is split and decoded line by line."""
    body = data[:-1] if data.endswith(b"\n") else data
    if body:
        try:
            records = _decode_json_lines(body)
        except (msgspec.DecodeError, ValueError):
            pass  # an unreadable or blank line: found below
        else:
            if len(records) == (line_count(data) if count is None else count):  # one record per line, never two
                return records, range(first, first + len(records))
    return decode_lines(body.split(b"\n") if data else [], first, on_bad)


class DamagedStream(Exception):
    """A gzip file cut short or corrupt at line `lineno` (the lines before it were read)."""

    def __init__(self, lineno: int, reason: str) -> None:
        super().__init__(f"line {lineno}: {reason}")
        self.lineno = lineno
        self.reason = reason


def line_blocks(path: Path, block: int = 1 << 18) -> Iterator[list[bytes]]:
    """The lines of a plain or gzip file in blocks, without their newlines (line-by-line reads are
    several times slower). A damaged gzip file yields every line before the damage (the cut line
    too), then raises DamagedStream."""
    seen = 0
    try:
        for data in newline_blocks(path, block):
            lines = data.split(b"\n")
            if data.endswith(b"\n"):
                lines.pop()
            seen += len(lines)
            yield lines
    except DamagedStream as exc:
        raise DamagedStream(seen + 1, exc.reason) from None


def newline_blocks(path: Path, block: int = 1 << 18) -> Iterator[bytes]:
    """The bytes of a plain or gzip file in blocks that end with a newline (but for the file's last
    one, when the file does not). A damaged gzip file yields every byte before the damage, then
    raises DamagedStream (its `lineno` unknown here: 0)."""
    rest = b""
    with open(path, "rb") as probe:
        lz4_frame = probe.read(4) == b"\x04\x22\x4d\x18"  # a Hyperliquid archive file
    if lz4_frame:
        chunks = _unlz4(path, block)
    else:
        chunks = _gunzip(path, block) if path.name.endswith(".gz") else _read(path, block)
    try:
        for chunk in chunks:
            cut = chunk.rfind(b"\n")
            if cut < 0:
                rest += chunk
                continue
            yield rest + chunk[: cut + 1]
            rest = chunk[cut + 1 :]
    except (EOFError, zlib.error, RuntimeError) as exc:  # lz4 reports a corrupt frame as RuntimeError
        if rest:
            yield rest  # the decodable start of a cut line: its reader finds it unreadable
        kind = "LZ4" if lz4_frame else "gzip"
        raise DamagedStream(0, f"truncated or corrupt {kind}: {exc}") from None
    if rest:
        yield rest


def _unlz4(path: Path, block: int) -> Iterator[bytes]:
    import lz4.frame  # only Hyperliquid's archive files need it

    with lz4.frame.open(path, "rb") as stream:
        while chunk := stream.read(block):
            yield chunk


def _read(path: Path, block: int) -> Iterator[bytes]:
    with open(path, "rb") as stream:
        while chunk := stream.read(block):
            yield chunk


def _gunzip(path: Path, block: int) -> Iterator[bytes]:
    """The decompressed bytes of a gzip file (of one or more members) in chunks; what decompresses
    before damage is yielded first, then EOFError (cut short) or zlib.error (corrupt)."""
    inflate = zlib.decompressobj(wbits=31)
    pending = False  # bytes fed to `inflate` whose member has not ended yet
    with open(path, "rb") as stream:
        while raw := stream.read(block):
            while raw:
                pending = True
                out = inflate.decompress(raw)
                if out:
                    yield out
                if not inflate.eof:
                    break
                pending = False
                raw = inflate.unused_data  # the next gzip member (a day reopened is appended)
                inflate = zlib.decompressobj(wbits=31)
    if pending:
        tail = inflate.flush()
        if tail:
            yield tail
        raise EOFError("the gzip stream ends before its end marker (cut short)")


def read_journal(path: str | os.PathLike[str], on_bad: BadLine | None = None) -> JournalReader:
    """Records of one journal file (.jsonl or .jsonl.gz). See JournalReader."""
    return JournalReader(path, on_bad=on_bad)


def journal_files(directory: str | os.PathLike[str]) -> list[Path]:
    """The journal's daily files, oldest first (.jsonl.gz and .jsonl of the same day both listed)."""
    folder = Path(directory)
    files = [*folder.glob(f"*{GZ_SUFFIX}"), *folder.glob(f"*{SUFFIX}")]
    return sorted(files, key=lambda p: (p.name.split(".", 1)[0], p.name.endswith(SUFFIX)))


def tail(path: str | os.PathLike[str], since_ts: int, block: int = 1 << 20) -> Iterator[JournalRecord]:
    """Records of a plain .jsonl file with ts >= since_ts, reading only the end of the file.

    Seeks back block by block until a line older than `since_ts` is found, then reads forward.
    Unreadable lines (a crash's truncated last line) are skipped.
    """
    with open(path, "rb") as stream:
        size = stream.seek(0, os.SEEK_END)
        start = size
        while start > 0:
            start = max(0, start - block)
            stream.seek(start)
            chunk = stream.read(min(block, size - start))
            lines = chunk.split(b"\n")
            first_complete = lines[1] if start > 0 and len(lines) > 1 else lines[0]
            with contextlib.suppress(msgspec.DecodeError):
                if _decode_record(first_complete).ts < since_ts:
                    break
        stream.seek(start)
        if start > 0:
            stream.readline()  # a partial line
        for line in stream:
            try:
                record = _decode_record(line)
            except msgspec.DecodeError:
                continue
            if record.ts >= since_ts:
                yield record


def first_ts(path: str | os.PathLike[str]) -> int | None:
    """The receive time of the first readable record of a plain journal file."""
    with open(path, "rb") as stream:
        for line in stream:
            try:
                return _decode_record(line).ts
            except msgspec.DecodeError:
                continue
    return None


def last_ts(path: str | os.PathLike[str], block: int = 1 << 16) -> int | None:
    """The receive time of the last readable record of a plain journal file."""
    with open(path, "rb") as stream:
        end = stream.seek(0, os.SEEK_END)
        start = end
        while start > 0:
            start = max(0, start - block)
            stream.seek(start)
            lines = stream.read(end - start).split(b"\n")
            candidates = lines if start == 0 else lines[1:]  # the first may be partial
            for line in reversed(candidates):
                try:
                    return _decode_record(line).ts
                except msgspec.DecodeError:
                    continue
            block *= 2
    return None

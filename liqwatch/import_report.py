"""What an import tells: its report (counts, the first problems) and its dead-letter file, in which
every line, frame or event it could not take is kept with its file, line number and reason."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import msgspec

from liqwatch.import_chunks import DeadLine

KEEP_PROBLEMS = 1000


_encode = msgspec.json.Encoder().encode


class DeadLetterFile:
    """The import's dead letters, appended to a JSON Lines file (created on the first one)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.count = 0
        self._file: BinaryIO | None = None

    def write(self, letter: DeadLine) -> None:
        self.count += 1
        if self.path is None:
            return
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("ab")
        self._file.write(_encode(letter) + b"\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None


@dataclass
class ImportReport:
    files: int = 0
    lines: int = 0
    frames: int = 0
    events: int = 0  # parsed from the frames
    stored: int = 0  # new in the store
    repriced: int = 0  # stored before without a USD value, given one now
    unpriced: int = 0  # events whose contract size is unknown (usd null)
    bad_lines: int = 0  # lines that could not be read
    bad_frames: int = 0  # frames that failed to parse, events no store can hold, rows of unread exchanges
    unreadable: list[str] = field(default_factory=list)  # files of which nothing could be read
    problems: list[str] = field(default_factory=list)  # the first KEEP_PROBLEMS, one line each
    problem_count: int = 0  # all of them
    dead_letters: Path | None = None
    dead_letter_count: int = 0
    aggregates: int = 0  # provider buckets (aggregate history), kept apart from events
    candles: int = 0

    @property
    def duplicates(self) -> int:
        return self.events - self.stored

    def more(self, shown: int) -> int:
        """How many problems were not shown when the first `shown` were."""
        return max(0, self.problem_count - min(shown, len(self.problems)))

    def describe(self) -> str:
        if not self.frames and (self.aggregates or self.candles):
            what = [
                f"{n:,} {noun}"
                for n, noun in (
                    (self.aggregates, "aggregate-history buckets (kept apart from events)"),
                    (self.candles, "candles"),
                )
                if n
            ]
            text = f"imported {self.files} file{'s' * (self.files != 1)}: {' and '.join(what)}"
            return text + (f"; skipped {self.bad_lines:,} unreadable files" if self.bad_lines else "")
        parts = [
            f"imported {self.files} file{'s' * (self.files != 1)}: {self.frames:,} frames → {self.events:,} events,",
            f"{self.stored:,} new, {self.duplicates:,} already stored",
        ]
        if self.repriced:
            parts.append(f"({self.repriced:,} of them given the USD value they lacked)")
        if self.unpriced:
            parts.append(f"({self.unpriced:,} without a USD value: unknown contract size)")
        if self.bad_lines or self.bad_frames:
            parts[-1] += ";"
            parts.append(f"skipped {self.bad_lines:,} unreadable lines and {self.bad_frames:,} bad frames")
            if self.dead_letters is not None and self.dead_letter_count:
                parts.append(f"(kept in {self.dead_letters})")
        if self.aggregates:
            parts.append(f"; {self.aggregates:,} aggregate-history buckets (kept apart from events)")
        if self.candles:
            parts.append(f"; {self.candles:,} candles")
        return " ".join(parts)


def note_problem(report: ImportReport, text: str) -> None:
    report.problem_count += 1
    if len(report.problems) < KEEP_PROBLEMS:
        report.problems.append(text)


def note_dead_letter(report: ImportReport, letters: DeadLetterFile, letter: DeadLine) -> None:
    if letter.unreadable:
        report.bad_lines += 1
        what = "unreadable line" if letter.venue is None and letter.text != "" else "unreadable"
        note_problem(report, f"{letter.file}:{letter.line}: {what} ({letter.reason})")
    else:
        report.bad_frames += 1
        note_problem(report, f"{letter.file}:{letter.line}: {letter.reason}")
    letters.write(letter)

"""What both stores share: how a window is split into whole rollup hours and raw edges, and
one-line error text."""

from __future__ import annotations

from liqwatch.store.schema import BUCKET_MS as H


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


class Span:
    """A window (start, end] split into whole rollup buckets [first, stop) and raw (lo, hi] edges."""

    __slots__ = ("end", "first", "raw", "start", "stop", "whole")

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end
        self.first = ceil_div(start, H)
        self.stop = end // H
        self.whole = self.first < self.stop
        if self.whole:
            edges = [(start, self.first * H), (self.stop * H, end)]
            self.raw = [(lo, hi) for lo, hi in edges if lo < hi]
        else:
            self.raw = [(start, end)]


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (its type name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

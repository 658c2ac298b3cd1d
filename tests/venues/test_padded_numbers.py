"""Number text that float() and Decimal() read but no venue writes ("1_5" as 15, " 1.5", "1.5 ")
is never read as a size or a price, on any venue's path: a frame with such a field is a bad frame,
or (a field that is only text to liqwatch: a trade id) gives the same sizes, prices and sides.

Every number of a real frame of each venue (the simulator's, one per venue), text or a JSON
number, is replaced by padded text in turn."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from liqwatch.sim.tape import scenario_tape
from liqwatch.venues import REGISTRY
from liqwatch.venues.base import BadFrame
from tests.sim.helpers import NOW, sim_catalogue

NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")
FROM_THE_TAPE = tuple(v for v in REGISTRY if v != "hyperliquid")  # a node's fills: its own test


def first_frames() -> dict[str, tuple[int, str]]:
    """(receive time, frame) of the first frame of each venue that gives an event."""
    catalogue = sim_catalogue()
    found: dict[str, tuple[int, str]] = {}
    tape = itertools.takewhile(lambda p: p.at < NOW + 600_000, scenario_tape("crash", 3, FROM_THE_TAPE, NOW))
    for push in tape:
        if push.venue and push.venue not in found:
            try:
                if REGISTRY[push.venue].parse(push.text, push.at, catalogue):
                    found[push.venue] = (push.at, push.text)
            except BadFrame:
                continue
    return found


FRAMES = first_frames()


def numeric_fields(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from numeric_fields(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from numeric_fields(item, (*path, index))
    elif isinstance(value, str) and len(value) > 1 and NUMERIC.match(value):
        yield path, value
    elif isinstance(value, int | float) and not isinstance(value, bool) and len(repr(value)) > 1:
        yield path, repr(value)  # a JSON number: padded, it arrives as text


def replaced(doc: Any, path: tuple[Any, ...], text: str) -> str:
    doc = json.loads(json.dumps(doc))
    at = doc
    for key in path[:-1]:
        at = at[key]
    at[path[-1]] = text
    return json.dumps(doc)


def values(events: list[Any]) -> list[tuple[Any, ...]]:
    return [(e.venue, e.symbol, e.side, e.price, e.qty, e.usd, e.ts) for e in events]


def test_every_venue_has_a_frame_here() -> None:
    assert set(FRAMES) == set(FROM_THE_TAPE)


@pytest.mark.parametrize("venue", sorted(FRAMES))
def test_padded_number_text_is_never_read_as_a_number(venue: str) -> None:
    catalogue = sim_catalogue()
    recv_ts, frame = FRAMES[venue]
    parse = REGISTRY[venue].parse
    want = values(parse(frame, recv_ts, catalogue))
    doc = json.loads(frame)
    fields = list(numeric_fields(doc))
    assert fields, "the frame has number text to pad"
    for path, text in fields:
        for padded in (f"{text[0]}_{text[1:]}", f"{text} ", f" {text}"):
            try:
                got = parse(replaced(doc, path, padded), recv_ts, catalogue)
            except BadFrame:
                continue
            assert values(got) == want, f"{venue}: {'.'.join(map(str, path))} = {padded!r} was read as a number"

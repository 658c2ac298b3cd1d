"""No venue parser raises anything but BadFrame, whatever arrives on the wire."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqwatch.instruments import bundled
from liqwatch.venues import REGISTRY
from liqwatch.venues.base import BadFrame
from tests.venues.golden import frames
from tests.venues.oracle_frames import leaves, replaced

CATALOGUE = bundled()
VENUES = sorted(REGISTRY)

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=6),
    max_leaves=20,
)


def parse_or_bad_frame(venue: str, frame: str | bytes) -> None:
    try:
        events = REGISTRY[venue].parse(frame, 1, CATALOGUE)
    except BadFrame:
        return
    for event in events:
        assert event.side in ("long", "short")
        assert event.usd is None or event.usd > 0


@pytest.mark.parametrize("venue", VENUES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=200) | st.text(max_size=200))
def test_arbitrary_input(venue: str, data: str | bytes) -> None:
    parse_or_bad_frame(venue, data)


@pytest.mark.parametrize("venue", VENUES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values)
def test_arbitrary_json(venue: str, value: object) -> None:
    parse_or_bad_frame(venue, json.dumps(value))


def _mutations(frame: dict[str, object]) -> st.SearchStrategy[object]:
    """Replace any one leaf of a real frame with a random JSON value."""

    paths = leaves(frame)
    return st.tuples(st.sampled_from(paths), json_values).map(lambda pv: replaced(frame, pv[0], pv[1]))


REAL_FRAMES = [(p.parent.name, json.loads(p.read_text())) for p in frames() if p.read_text().startswith("{")]


@pytest.mark.parametrize(("venue", "frame"), REAL_FRAMES, ids=[f"{v}-{i}" for i, (v, _) in enumerate(REAL_FRAMES)])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_real_frames(venue: str, frame: dict[str, object], data: st.DataObject) -> None:
    mutated = data.draw(_mutations(frame))
    parse_or_bad_frame(venue, json.dumps(mutated))

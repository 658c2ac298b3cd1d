"""A venue's state in /api/venues: its silence bound is wall time, whatever clock the view runs on."""

from __future__ import annotations

from liqwatch.feed.clock import FastClock, speed_of
from liqwatch.feed.collector import VenueStatus
from liqwatch.web.venues import state_of

NOW = 1_767_225_600_000


def quiet_for(ms: int) -> VenueStatus:
    return VenueStatus("htx", True, NOW - 3_600_000, NOW - ms, NOW - ms, 10, 1, 0, 0, 0, None, None, [])


def test_silent_means_quiet_longer_than_the_venue_bound_in_wall_time() -> None:
    # HTX's bound is 30 s: 60 s of quiet is silent on the wall clock…
    assert state_of(quiet_for(60_000), True, NOW) == "silent"
    assert state_of(quiet_for(20_000), True, NOW) == "connected"
    # …but in the demo, whose exchange clock runs 60× faster, 60 clock-seconds are one wall second
    demo = FastClock(lambda: NOW, 60.0)
    assert speed_of(demo) == 60.0 and speed_of(lambda: NOW) == 1.0 and demo() == NOW
    assert state_of(quiet_for(60_000), True, demo(), speed_of(demo)) == "connected"
    assert state_of(quiet_for(31 * 60_000), True, demo(), speed_of(demo)) == "silent"

"""Pure rule semantics: crossing, cooldown, re-arm, filters, de-dup keys, venue silence and gaps, bursts."""

from __future__ import annotations

from liqwatch.alerts.bursts import SqueezeState
from liqwatch.alerts.model import OrderRule, SqueezeRule, VenueRule, WindowRule, parse_duration_ms
from liqwatch.alerts.rules import OrderState, VenueState, WindowState
from liqwatch.feed.collector import VenueStatus
from liqwatch.model import Gap
from tests.analytics.factories import AT, ev

M = 60_000
H = 3_600_000
BUCKET = 1_000  # a 1h window's sums expire per second: an event leaves at most a bucket late


def window_rule(**fields: object) -> WindowRule:
    base: dict[str, object] = {
        "name": "w",
        "window": "1h",
        "window_ms": H,
        "above_usd": 1_000_000.0,
        "rearm_below_usd": 800_000.0,
        "cooldown_ms": 15 * M,
    }
    base.update(fields)
    return WindowRule(**base)  # type: ignore[arg-type]


def test_window_fires_once_when_it_crosses_then_stays_quiet_while_above() -> None:
    state = WindowState(window_rule())
    assert state.on_events([ev(AT, 600_000.0, id="a")], AT) == []
    [alert] = state.on_events([ev(AT + 1000, 500_000.0, id="b")], AT + 1000)
    assert alert.kind == "window" and alert.rule == "w"
    assert alert.fields["value_usd"] == 1_100_000.0 and alert.fields["count"] == 2
    assert alert.key == f"window:w:{AT + 1000}"
    assert [e.id for e in alert.events] == ["b"]  # the batch that pushed it over
    assert "$1.1M" in alert.title
    assert state.on_events([ev(AT + 2000, 5_000_000.0, id="c")], AT + 2000) == []
    assert state.on_tick(AT + 30 * M) == []


def test_window_rearms_after_falling_below_and_fires_again_after_the_cooldown() -> None:
    state = WindowState(window_rule(cooldown_ms=2 * H))
    [first] = state.on_events([ev(AT, 1_200_000.0, id="a")], AT)
    assert state.on_tick(AT + H + BUCKET) == []  # the event left the window: re-armed, nothing to say
    assert state.armed
    # crosses again inside the cooldown: held back, announced when the cooldown ends
    assert state.on_events([ev(AT + H + M, 2_000_000.0, id="b")], AT + H + M) == []
    assert state.on_tick(AT + H + 30 * M) == []
    [second] = state.on_tick(AT + 2 * H)
    assert second.key == f"window:w:{AT + H + M}" != first.key  # keyed by when it crossed


def test_window_hysteresis_needs_a_fall_below_the_rearm_level() -> None:
    state = WindowState(window_rule(cooldown_ms=0, rearm_below_usd=400_000.0))
    assert state.on_events([ev(AT, 500_000.0, id="a")], AT) == []
    assert len(state.on_events([ev(AT + 30 * M, 500_000.0, id="b")], AT + 30 * M)) == 1
    # a leaves: 1.0M → 0.5M, still above the 0.4M re-arm level; back to 1.1M: no second alert
    assert state.on_tick(AT + H + BUCKET) == []
    assert not state.armed
    assert state.on_events([ev(AT + H + BUCKET, 600_000.0, id="c")], AT + H + BUCKET) == []
    # b and c leave: 0 < 0.4M re-arms; the next crossing is announced
    assert state.on_tick(AT + 2 * H + 2 * BUCKET) == []
    assert state.armed
    assert len(state.on_events([ev(AT + 3 * H, 1e6, id="d")], AT + 3 * H)) == 1


def test_window_coin_side_and_venue_filters() -> None:
    state = WindowState(window_rule(coin="BTC", side="short", venue="okx"))
    noise = [
        ev(AT, 2e6, coin="ETH", side="short", venue="okx", id="eth"),
        ev(AT, 2e6, coin="BTC", side="long", venue="okx", id="long"),
        ev(AT, 2e6, coin="BTC", side="short", venue="bybit", id="bybit"),
        ev(AT, None, coin="BTC", side="short", venue="okx", id="unpriced"),
    ]
    assert state.on_events(noise, AT) == []
    [alert] = state.on_events([ev(AT, 1e6, coin="BTC", side="short", venue="okx", id="hit")], AT)
    assert alert.fields["coin"] == "BTC" and alert.fields["side"] == "short" and alert.fields["count"] == 1
    assert alert.title.startswith("BTC shorts on okx")


def test_window_seeded_above_the_threshold_does_not_announce_an_old_breach() -> None:
    state = WindowState(window_rule())
    state.seed([ev(AT - M, 3e6, id="old")], AT)
    assert state.on_events([ev(AT, 1e6, id="new")], AT) == []
    state.on_tick(AT + H + BUCKET)  # both gone: re-armed
    assert len(state.on_events([ev(AT + H + 1, 1e6, id="next")], AT + H + 1)) == 1


def test_window_sums_stay_bounded_by_buckets_not_events() -> None:
    state = WindowState(window_rule(above_usd=1e18, rearm_below_usd=1e17))
    state.on_events([ev(AT + i, 1.0, id=str(i)) for i in range(10_000)], AT + 10_000)
    assert state.sum.count == 10_000 and len(state.sum.buckets) <= 11


def order_rule(**fields: object) -> OrderRule:
    base: dict[str, object] = {"name": "big", "above_usd": 1_000_000.0}
    base.update(fields)
    return OrderRule(**base)  # type: ignore[arg-type]


def test_order_alert_per_qualifying_order_with_the_event_behind_it() -> None:
    state = OrderState(order_rule(coin="BTC"))
    events = [
        ev(AT, 999_999.0, id="small"),
        ev(AT, 1_000_000.0, id="exact", venue="okx"),
        ev(AT, 5e6, id="eth", coin="ETH"),
        ev(AT, None, id="unpriced"),
    ]
    [alert] = state.on_events(events, AT)
    assert alert.key == "order:big:exact"
    assert alert.fields["id"] == "exact" and alert.fields["venue"] == "okx" and alert.fields["usd"] == 1e6
    assert alert.events == [events[1]]
    assert alert.title == "$1.0M BTC long liquidated on okx"


def test_order_cooldown_and_replayed_old_orders() -> None:
    state = OrderState(order_rule(cooldown_ms=10 * M, max_age_ms=5 * M))
    assert state.on_events([ev(AT - 6 * M, 2e6, id="replayed")], AT) == []
    assert state.too_old == 1
    assert len(state.on_events([ev(AT, 2e6, id="a"), ev(AT, 3e6, id="b")], AT)) == 1
    assert state.suppressed == 1
    assert len(state.on_events([ev(AT + 10 * M, 2e6, id="c")], AT + 10 * M)) == 1


def status(venue: str = "okx", **fields: object) -> VenueStatus:
    base: dict[str, object] = {
        "venue": venue,
        "connected": True,
        "connected_since": AT - H,
        "last_frame_ts": AT,
        "last_data_ts": AT,
        "frames": 10,
        "events": 5,
        "dead_letters": 0,
        "reconnects": 0,
        "gaps": 0,
        "outage_since": None,
        "last_error": None,
        "connections": [],
    }
    base.update(fields)
    return VenueStatus(**base)  # type: ignore[arg-type]


def test_venue_silent_once_per_silence_then_recovered() -> None:
    state = VenueState(VenueRule(name="feeds", silent_after_ms=5 * M))
    venues = {"okx": status(last_data_ts=AT), "bybit": status("bybit", last_data_ts=AT + 4 * M)}
    assert state.on_tick(AT + 4 * M, venues) == []
    [silent] = state.on_tick(AT + 5 * M, venues)
    assert silent.key == f"venue:feeds:okx:silent:{AT}" and silent.fields["connected"] is True
    assert silent.title == "okx: silent for 5m"
    # the socket is then dropped: the outage starts at the last data frame; still the same silence
    venues["okx"] = status(connected=False, outage_since=AT)
    assert state.on_tick(AT + 8 * M, venues) == []
    [bybit] = state.on_tick(AT + 9 * M, venues)
    assert bybit.fields["venue"] == "bybit"
    venues["okx"] = status(last_data_ts=AT + 10 * M)
    [back] = state.on_tick(AT + 10 * M, venues)
    assert back.resolved and back.fields["venue"] == "okx"
    assert state.on_tick(AT + 11 * M, venues) == []


def test_venue_never_sending_since_connecting_is_silent_too() -> None:
    state = VenueState(VenueRule(name="feeds", venue="okx", silent_after_ms=M, notify_recovery=False))
    venues = {"okx": status(last_data_ts=None, connected_since=AT), "gate": status("gate", last_data_ts=None)}
    [alert] = state.on_tick(AT + M, venues)
    assert alert.fields["venue"] == "okx" and alert.fields["silent_since"] == AT


def test_venue_gap_alerts_respect_the_minimum_and_the_venue() -> None:
    state = VenueState(VenueRule(name="gaps", venue="okx", min_gap_ms=30_000))
    assert state.on_gap(Gap("okx", AT, AT + 29_999, "reconnect"), AT) == []
    assert state.on_gap(Gap("bybit", AT, AT + 60_000, "silent"), AT) == []
    [alert] = state.on_gap(Gap("okx", AT, AT + 42_000, "no data for 40s"), AT + 42_000)
    assert alert.key == f"venue:gaps:okx:gap:{AT}-{AT + 42_000}"
    assert alert.title == "okx: feed gap of 42s" and "no data for 40s" in alert.text


def test_squeeze_rule_announces_a_generated_burst_once() -> None:
    rule = SqueezeRule(name="burst", window="1h", window_ms=H, min_usd=5e6, min_count=10)
    state = SqueezeState(rule)
    calm = [ev(AT - H + i * 2 * M, 50_000.0, side=side, id=f"calm{i}") for i, side in enumerate(["long", "short"] * 15)]
    state.on_events(calm, AT - H + 60 * M)
    assert state.on_tick(AT - 1) == []
    burst = [ev(AT + i * 2_000, 600_000.0, side="short", coin="ETH", id=f"b{i}") for i in range(20)]
    state.on_events(burst, AT + 40_000)
    [alert] = state.on_tick(AT + 40_000)
    assert alert.kind == "squeeze" and alert.fields["side"] == "short" and alert.fields["count"] == 20
    assert alert.fields["usd"] == 12e6 and alert.key == f"squeeze:burst:short:{AT}"
    assert alert.title.startswith("Short squeeze: $12.0M of shorts")
    assert len(alert.events) == 5
    more = [ev(AT + 40_000 + i * 1_000, 600_000.0, side="short", coin="ETH", id=f"m{i}") for i in range(5)]
    state.on_events(more, AT + 45_000)
    assert state.on_tick(AT + 45_000) == []  # the same burst, growing: already announced


def test_durations() -> None:
    assert [parse_duration_ms(t) for t in ("500ms", "1.5s", "15m", "2h", "1d", "0s")] == [
        500,
        1_500,
        900_000,
        7_200_000,
        86_400_000,
        0,
    ]

"""The reference summary: window bounds, counts, exact sums, largest, breakdowns, JSON shape."""

from __future__ import annotations

import json

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liqwatch.analytics.summary import (
    Summary,
    Totals,
    iso_ms,
    parse_window,
    parse_windows,
    summarize,
    summary_to_json,
    units_to_usd,
    usd_units,
)
from liqwatch.model import event_encoder
from tests.analytics.factories import AT, H, ev

W4 = parse_windows("1h,4h,12h,24h")


# --- windows ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", ("30s", 30_000)),
        ("15m", ("15m", 900_000)),
        ("4h", ("4h", 14_400_000)),
        (" 1d ", ("1d", 86_400_000)),
        ("2w", ("2w", 1_209_600_000)),
        ("90m", ("90m", 5_400_000)),
    ],
)
def test_parse_window(text: str, expected: tuple[str, int]) -> None:
    assert parse_window(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected a whole number and a unit"),
        ("h", "expected a whole number and a unit"),
        ("1.5h", "expected a whole number and a unit"),
        ("-1h", "expected a whole number and a unit"),
        ("4x", "unknown unit 'x'"),
        ("4H", "unknown unit 'H'"),
        ("1mo", "unknown unit 'mo'"),
        ("0h", "must be positive"),
    ],
)
def test_parse_window_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        parse_window(text)
    assert repr(text) in str(info.value)


def test_parse_windows() -> None:
    assert parse_windows("1h,4h,12h,24h") == [("1h", H), ("4h", 4 * H), ("12h", 12 * H), ("24h", 24 * H)]
    assert parse_windows(" 24h , 1h ,") == [("24h", 24 * H), ("1h", H)]  # order kept, blanks ignored
    with pytest.raises(ValueError, match="no windows"):
        parse_windows(" , ")
    with pytest.raises(ValueError, match="duplicate window 1h"):
        parse_windows("1h,4h,1h")
    with pytest.raises(ValueError, match="bad window '4y'"):
        parse_windows("1h,4y")


def test_summarize_rejects_bad_windows() -> None:
    with pytest.raises(ValueError, match="positive"):
        summarize([], AT, [("0h", 0)])
    with pytest.raises(ValueError, match="duplicate"):
        summarize([], AT, [("1h", H), ("1h", H)])


# --- semantics -------------------------------------------------------------------------------


def test_window_holds_start_exclusive_end_inclusive() -> None:
    events = [
        ev(AT - H, 1.0, id="on-start"),  # ts == at - w: outside the 1h window
        ev(AT - H + 1, 2.0, id="after-start"),
        ev(AT, 4.0, id="on-end"),  # ts == at: inside
        ev(AT + 1, 8.0, id="future"),  # after at: outside every window
    ]
    s = summarize(events, AT, [("1h", H), ("2h", 2 * H)])
    one, two = s.windows
    assert (one.label, one.start, one.end) == ("1h", AT - H, AT)
    assert one.count == 2 and one.total_usd == 6.0
    assert two.count == 3 and two.total_usd == 7.0


def test_counts_include_unpriced_events_but_sums_do_not() -> None:
    events = [
        ev(AT - 10, 100.0, side="long"),
        ev(AT - 20, None, side="long", id="unpriced-long"),
        ev(AT - 30, None, side="short", id="unpriced-short"),
        ev(AT - 40, 50.0, side="short"),
    ]
    w = summarize(events, AT, [("1h", H)]).windows[0]
    assert (w.count, w.long_count, w.short_count, w.unpriced_count) == (4, 2, 2, 2)
    assert (w.total_usd, w.long_usd, w.short_usd) == (150.0, 100.0, 50.0)
    assert w.largest is not None and w.largest.usd == 100.0
    assert w.by_coin["BTC"] == Totals(150.0, 100.0, 50.0, 4, 2, 2, 2)


def test_only_unpriced_events_have_no_largest() -> None:
    w = summarize([ev(AT - 1, None)], AT, [("1h", H)]).windows[0]
    assert w.count == 1 and w.unpriced_count == 1 and w.total_usd == 0.0 and w.largest is None


def test_empty_window() -> None:
    w = summarize([], AT, [("1h", H)]).windows[0]
    assert (w.count, w.total_usd, w.largest, w.by_coin, w.by_venue, w.coverage) == (0, 0.0, None, {}, {}, {})


def test_largest_ties_go_to_the_earliest_then_the_smallest_id() -> None:
    events = [
        ev(AT - 100, 500.0, id="b-late"),
        ev(AT - 300, 500.0, id="c-early"),
        ev(AT - 300, 500.0, id="a-early"),
        ev(AT - 200, 499.99999999, id="smaller"),
    ]
    for order in (events, events[::-1]):
        w = summarize(order, AT, [("1h", H)]).windows[0]
        assert w.largest is not None and w.largest.id == "a-early"


def test_largest_compares_at_1e8_resolution() -> None:
    # 1000.000000001 and 1000.000000002 are the same 1e-8 USD count: a tie, broken by ts
    events = [ev(AT - 5, 1000.000000002, id="later"), ev(AT - 9, 1000.000000001, id="earlier")]
    w = summarize(events, AT, [("1h", H)]).windows[0]
    assert w.largest is not None and w.largest.id == "earlier"


def test_sums_are_exact_integer_sums() -> None:
    # float addition of 0.1 ten times gives 0.9999999999999999; integer units give 1.0
    events = [ev(AT - i - 1, 0.1, id=f"dime{i}") for i in range(10)]
    w = summarize(events, AT, [("1h", H)]).windows[0]
    assert w.total_usd == 1.0
    assert sum(e.usd or 0.0 for e in events) != 1.0
    # the order of the events never changes a sum
    big = [ev(AT - i - 1, v, id=f"v{i}") for i, v in enumerate([1e8 + 0.01, 0.07, 3.3, 1e-8, 123456.789])]
    assert summarize(big, AT, W4) == summarize(big[::-1], AT, W4)


def test_usd_units_round_half_even_and_reject_non_finite() -> None:
    assert usd_units(None) is None
    assert usd_units(1.0) == 100_000_000
    assert usd_units(1 / 512) == 195_312  # exactly 195312.5 units: half to even
    assert usd_units(3 / 512) == 585_938  # exactly 585937.5 units
    assert usd_units(12.345678915) == round(12.345678915 * 1e8)
    assert units_to_usd(123_456_789) == 1.23456789
    assert units_to_usd(10**30) == 1e22
    for bad in (float("inf"), float("nan"), 1e12):
        with pytest.raises(ValueError):
            usd_units(bad)


def test_breakdowns_are_ranked_and_coverage_is_per_venue() -> None:
    events = [
        ev(AT - 1, 10.0, coin="ETH", venue="binance_usdm", side="long"),
        ev(AT - 2, 30.0, coin="BTC", venue="bybit", side="short"),
        ev(AT - 3, 10.0, coin="DOGE", venue="bybit", side="long"),
        ev(AT - 4, 5.0, coin="ETH", venue="okx", side="short", coverage="complete"),
        ev(AT - 5, 1.0, coin="ETH", venue="okx", side="short", coverage="sampled", id="okx-sampled"),
        ev(AT - 6, None, coin="ZRO", venue="gate", side="long"),
    ]
    w = summarize(events, AT, [("1h", H)]).windows[0]
    assert list(w.by_coin) == ["BTC", "ETH", "DOGE", "ZRO"]  # total desc, then name
    assert w.by_coin["ETH"] == Totals(16.0, 10.0, 6.0, 3, 1, 2, 0)
    assert list(w.by_venue) == ["bybit", "binance_usdm", "okx", "gate"]
    assert w.by_venue["gate"] == Totals(0.0, 0.0, 0.0, 1, 1, 0, 1)
    # a venue is "sampled" in a window if any of its events there is
    assert w.coverage == {"binance_usdm": "sampled", "bybit": "complete", "gate": "complete", "okx": "sampled"}
    assert list(w.coverage) == sorted(w.coverage)


def test_windows_keep_their_order_and_nest() -> None:
    events = [ev(AT - k * H + 1, float(k), id=f"k{k}") for k in range(1, 25)]
    s = summarize(events, AT, [("24h", 24 * H), ("1h", H), ("4h", 4 * H)])
    assert [w.label for w in s.windows] == ["24h", "1h", "4h"]
    assert [w.count for w in s.windows] == [24, 1, 4]
    assert s.windows[0].total_usd == sum(range(1, 25))


@given(st.lists(st.tuples(st.integers(AT - 30 * H, AT + H), st.one_of(st.none(), st.floats(0, 1e9))), max_size=40))
def test_nested_windows_are_monotone_and_breakdowns_add_up(raw: list[tuple[int, float | None]]) -> None:
    coins = ("BTC", "ETH", "SOL")
    events = [
        ev(ts, usd, coin=coins[i % 3], side="long" if i % 2 else "short", id=f"{i}") for i, (ts, usd) in enumerate(raw)
    ]
    s = summarize(events, AT, W4)
    counts = [w.count for w in s.windows]
    assert counts == sorted(counts)
    for w in s.windows:
        assert w.count == w.long_count + w.short_count == sum(t.count for t in w.by_coin.values())
        assert w.count == sum(t.count for t in w.by_venue.values())
        assert w.count == sum(1 for e in events if AT - (w.end - w.start) < e.ts <= AT)
        units = sum(usd_units(e.usd) or 0 for e in events if w.start < e.ts <= w.end)
        assert w.total_usd == units_to_usd(units)
        if w.largest is not None:
            assert w.start < w.largest.ts <= w.end


# --- JSON ------------------------------------------------------------------------------------


def test_iso_ms() -> None:
    assert iso_ms(1_763_712_000_000) == "2025-11-21T08:00:00Z"
    assert iso_ms(1_795_248_000_000) == "2026-11-21T08:00:00Z"
    assert iso_ms(1_763_712_000_007) == "2025-11-21T08:00:00.007Z"


def test_summary_json_shape() -> None:
    big = ev(AT - 60_000, 98_100_000.0, coin="BTC", venue="binance_usdm", side="short", id="big")
    events = [
        big,
        ev(AT - 120_000, 1_000.0, coin="ETH", venue="bybit", side="long"),
        ev(AT - 2 * H, 2_000.0, coin="ETH", venue="okx", side="long"),
        ev(AT - 3 * H, None, coin="SOL", venue="okx", side="short"),
    ]
    doc = summary_to_json(summarize(events, AT, parse_windows("1h,4h")))
    assert list(doc) == ["at", "at_iso", "windows"]
    assert doc["at"] == AT and doc["at_iso"] == "2025-11-21T08:00:00Z"
    assert list(doc["windows"]) == ["1h", "4h"]
    w = doc["windows"]["4h"]
    assert list(w) == [
        "start", "end", "total_usd", "long_usd", "short_usd", "count", "long_count", "short_count",
        "unpriced_count", "largest", "by_coin", "by_venue", "coverage",
    ]  # fmt: skip
    assert (w["start"], w["end"]) == (AT - 4 * H, AT)
    assert (w["total_usd"], w["long_usd"], w["short_usd"]) == (98_103_000.0, 3_000.0, 98_100_000.0)
    assert (w["count"], w["long_count"], w["short_count"], w["unpriced_count"]) == (4, 2, 2, 1)
    # largest is the event exactly as `liqwatch events --format jsonl` prints it
    assert w["largest"] == json.loads(event_encoder.encode(big))
    assert list(w["largest"]) == ["venue", "symbol", "coin", "side", "price", "qty", "usd", "ts", "recv_ts",
                                  "coverage", "id"]  # fmt: skip
    assert list(w["by_coin"]) == ["BTC", "ETH", "SOL"]
    assert w["by_coin"]["ETH"] == {
        "total_usd": 3_000.0,
        "long_usd": 3_000.0,
        "short_usd": 0.0,
        "count": 2,
        "long_count": 2,
        "short_count": 0,
        "unpriced_count": 0,
    }
    assert list(w["by_venue"]) == ["binance_usdm", "okx", "bybit"]
    assert w["coverage"] == {"binance_usdm": "sampled", "bybit": "complete", "okx": "complete"}
    assert doc["windows"]["1h"]["count"] == 2
    # plain JSON types only, and it survives a round trip
    assert json.loads(json.dumps(doc)) == doc
    assert msgspec.json.decode(msgspec.json.encode(doc)) == doc


def test_summary_json_of_an_empty_window() -> None:
    w = summary_to_json(summarize([], AT, [("1h", H)]))["windows"]["1h"]
    assert w["largest"] is None and w["by_coin"] == {} and w["coverage"] == {} and w["count"] == 0


def test_summary_is_a_plain_struct() -> None:
    s = summarize([ev(AT - 1, 5.0)], AT, [("1h", H)])
    assert isinstance(s, Summary)
    assert msgspec.json.decode(msgspec.json.encode(s), type=Summary) == s

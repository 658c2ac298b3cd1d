"""Hyperliquid node fill lines: both line shapes, both legs, ADL, spot, HIP-3, bad and partial lines."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from liqwatch.instruments import bundled
from liqwatch.venues import hyperliquid
from liqwatch.venues.base import BadFrame
from tests.conftest import shared_fixture
from tests.venues.golden import FIXTURES

FOLDER = FIXTURES / "hyperliquid"
CAT = bundled()
TRADER = "0x5b5d51203a0f9079f8aeb098a6523a13f298c060"
LIQUIDATOR = "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14"


def fill(side: str = "A", start: str = "2.0", **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "coin": "BTC",
        "px": "96000.5",
        "sz": "0.3",
        "side": side,
        "time": 1764979200123,
        "startPosition": start,
        "dir": "Close Long" if side == "A" else "Close Short",
        "hash": "0xabc",
        "oid": 42,
        "tid": 777,
        "liquidation": {"liquidatedUser": TRADER, "markPx": "96010.0", "method": "market"},
    }
    out.update(extra)
    return out


def line(user: str, f: dict[str, Any]) -> str:
    return json.dumps([user, f], separators=(",", ":"))


def parse(text: str | bytes) -> list[Any]:
    return hyperliquid.parse(text, 1, CAT)


def test_the_liquidated_users_sell_is_a_long_worth_sz_times_px() -> None:
    (event,) = parse(line(TRADER, fill()))
    assert (event.side, event.coin, event.symbol) == ("long", "BTC", "BTC")
    assert event.qty == 0.3
    assert event.usd == float(Decimal("0.3") * Decimal("96000.5"))
    assert event.ts == 1764979200123
    assert event.id == f"hyperliquid:777:{TRADER}"


def test_the_liquidated_users_buy_is_a_short() -> None:
    (event,) = parse(line(TRADER, fill("B", "-2.0")))
    assert event.side == "short"


def test_the_liquidators_leg_of_the_same_trade_is_not_an_event() -> None:
    assert parse(line(LIQUIDATOR, fill("B", "-10"))) == []


def test_user_match_ignores_address_case() -> None:
    (event,) = parse(line(TRADER.upper().replace("0X", "0x"), fill()))
    assert event.id.endswith(TRADER)


def test_auto_deleveraging_is_not_a_liquidation() -> None:
    assert parse(line(TRADER, fill(dir="Auto-Deleveraging"))) == []


def test_ordinary_fill_and_spot_fills_give_nothing() -> None:
    plain = fill()
    del plain["liquidation"]
    assert parse(line(TRADER, plain)) == []
    assert parse(line(TRADER, fill(coin="@107"))) == []
    assert parse(line(TRADER, fill(coin="PURR/USDC"))) == []


def test_hip3_dex_perp_is_counted_without_a_usd_value() -> None:
    (event,) = parse(line(TRADER, fill(coin="xyz:TSLA", px="402.15", sz="12")))
    assert (event.symbol, event.coin, event.qty, event.usd) == ("xyz:TSLA", "TSLA", 12.0, None)


def test_kilo_perp_is_undone_to_coins() -> None:
    (event,) = parse(line(TRADER, fill("B", "-5000", coin="kPEPE", px="0.012466", sz="1250")))
    assert (event.coin, event.qty, event.price) == ("PEPE", 1_250_000.0, 0.000012466)
    assert event.usd == float(Decimal("1250") * Decimal("0.012466"))


def test_side_contradicting_start_position_is_a_bad_frame() -> None:
    with pytest.raises(BadFrame, match="contradicts startPosition"):
        parse(line(TRADER, fill("A", "-1.0")))
    with pytest.raises(BadFrame, match="contradicts startPosition"):
        parse(line(TRADER, fill("B", "3.0")))


def test_bad_numbers_and_sides_are_bad_frames() -> None:
    for bad in (fill(px="0"), fill(sz="-1"), fill(px="abc"), fill(side="S")):
        with pytest.raises(BadFrame):
            parse(line(TRADER, bad))


def test_block_line_yields_every_liquidated_leg_in_order() -> None:
    events = [
        [TRADER, fill("B", "-1", coin="ETH", px="3300", sz="1", tid=1)],
        [LIQUIDATOR, fill("A", "5", coin="ETH", px="3300", sz="1", tid=1)],
        [TRADER, fill("A", "2", tid=2)],
    ]
    block = {"local_time": "2026-12-06T00:00:04.5", "block_time": "2026-12-06T00:00:04.4", "block_number": 9}
    got = parse(json.dumps(block | {"events": events}))
    assert [(e.coin, e.side, e.id.split(":")[1]) for e in got] == [("ETH", "short", "1"), ("BTC", "long", "2")]


def test_partial_and_foreign_lines_are_bad_frames() -> None:
    whole = line(TRADER, fill())
    for cut in (len(whole) // 3, len(whole) - 1):
        with pytest.raises(BadFrame, match="not a node fills line"):
            parse(whole[:cut])
    with pytest.raises(BadFrame):
        parse('{"ts":1,"venue":"okx","frame":"x"}')
    assert hyperliquid.is_data(whole) and not hyperliquid.is_data("  \n")


def test_fixtures_cover_both_shapes_and_legs() -> None:
    lines = {p.stem: p.read_text().strip() for p in FOLDER.glob("*.json")}
    assert len(parse(lines["node_fills_liquidated_long"])) == 1
    assert parse(lines["node_fills_liquidator_leg"]) == []
    assert parse(lines["node_fills_adl"]) == []
    batched = parse(lines["node_fills_by_block_batched"])
    assert [e.symbol for e in batched] == ["ETH", "xyz:TSLA"]


def test_a_2023_api_fill_without_tid_gets_the_fallback_id() -> None:
    recorded = json.loads(shared_fixture("hyperliquid_userfills_recorded_2023_first3.json"))
    first = recorded[0] | {"liquidation": {"liquidatedUser": TRADER, "markPx": "1.3", "method": "market"}}
    (event,) = parse(line(TRADER, first))
    assert (event.coin, event.side, event.qty) == ("SUI", "long", 142.7)
    assert event.usd == float(Decimal("142.7") * Decimal("1.3189"))
    assert event.id == f"hyperliquid:{first['hash']}:{first['oid']}:{TRADER}:4623.5:142.7:1.3189"


def test_without_liquidated_user_the_leg_whose_dir_says_liquidated_counts() -> None:
    block = {"liquidatedUser": None, "markPx": "96010.0", "method": "market"}
    own = fill(dir="Liquidated Cross Long", liquidation=block)
    other = fill("B", "-4", dir="Close Short", liquidation=block)
    (event,) = parse(line(TRADER, own))
    assert event.side == "long"
    assert parse(line(LIQUIDATOR, other)) == []

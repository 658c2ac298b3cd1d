"""The one line that says what a total covers."""

from __future__ import annotations

from liqwatch.analytics.covers import covers, covers_json

LIVE = ["binance_usdm", "binance_coinm", "bybit", "okx", "deribit", "bitget", "gate", "hyperliquid"]


def test_sampled_venues_and_the_uncovered_one_are_named() -> None:
    in_window = {v: "complete" for v in ("bybit", "deribit", "gate")}
    in_window |= {v: "sampled" for v in ("binance_usdm", "binance_coinm", "okx", "bitget")}
    found = covers(in_window, LIVE, {"hyperliquid": "not covered"})
    assert found.line == "7 venues; Binance, OKX, Bitget sampled; Hyperliquid not connected"
    assert found.not_connected == ["hyperliquid"] and found.no_data == []
    assert found.sampled == ["binance_usdm", "binance_coinm", "okx", "bitget"]


def test_connected_venue_without_events_counts_as_zero_and_unknown_ones_have_no_data() -> None:
    found = covers({"bybit": "complete"}, LIVE, {"deribit": "connected", "okx": "down"})
    assert found.venues == ["bybit", "deribit"]
    assert found.line == ("2 venues; no data from Binance, Binance COIN-M, OKX, Bitget, Gate, Hyperliquid")


def test_a_closed_venue_counts_only_with_history_in_the_window() -> None:
    found = covers({"bitmex": "complete", "okx": "sampled"}, ["okx"])
    assert found.line == "2 venues; OKX sampled"
    assert covers({}, ["okx"]).line == "no venue; no data from OKX"
    assert covers({"okx": "complete"}, ["okx"]).line == "1 venue"
    assert covers_json(covers({"okx": "complete"}, ["okx"]))["venues"] == ["okx"]

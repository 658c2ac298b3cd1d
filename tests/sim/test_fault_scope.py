"""A fault scope naming an unknown connection is refused (issue 16 item 6), never silently ignored."""

from __future__ import annotations

import pytest

from liqwatch.sim import FaultError, FaultPlan


def test_scopes_name_known_connections_only() -> None:
    plan = FaultPlan.parse("drop=0.1@bybit.inverse,silent=okx.public", 1, ["bybit", "okx"])
    assert plan.connection("bybit", "inverse").drop == 0.1 and plan.connection("bybit", "linear").drop == 0
    with pytest.raises(FaultError, match=r"unknown connection 'bybit.spot' \(known: bybit.linear, bybit.inverse\)"):
        FaultPlan.parse("drop=0.1@bybit.spot", 1, ["bybit"])
    with pytest.raises(FaultError, match=r"unknown connection 'okx\.nope'"):
        FaultPlan.parse("silent=okx.nope", 1, ["okx"])
    with pytest.raises(FaultError, match="unknown venue"):
        FaultPlan.parse("drop=0.1@kraken", 1, ["okx"])

"""The simulator's Bitfinex perpetuals list (`conf/pub:list:pair:futures`), in its real shape. Pure."""

from __future__ import annotations

from typing import Any

from liqwatch.sim import markets as mk
from liqwatch.sim.rest.common import Context, Query, Route


def bitfinex_routes() -> dict[str, Route]:
    def futures(_query: Query, _ctx: Context) -> Any:
        return [[m.symbol[1:] for m in mk.markets("bitfinex") if "F0:" in m.symbol]]

    def margin(_query: Query, _ctx: Context) -> Any:
        return [[m.symbol[1:] for m in mk.markets("bitfinex") if "F0:" not in m.symbol]]

    return {"/v2/conf/pub:list:pair:futures": futures, "/v2/conf/pub:list:pair:margin": margin}

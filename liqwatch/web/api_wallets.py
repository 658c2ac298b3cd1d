"""Watched Hyperliquid wallets ("smart money") under /api/wallets: PnL, worst positions, changes, liquidations.

Every number comes from liqwatch.queries (the `liqwatch wallets` CLI reads the same functions).
A store that does not keep wallets yet (not every backend does) and a store with no polls both
answer 200 with an empty document and a `reason`, never an error.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from fastapi import APIRouter, Query, Response

from liqwatch import queries
from liqwatch.wallets.aggregate import distance_to_liquidation
from liqwatch.wallets.model import PositionSnapshot
from liqwatch.web import params
from liqwatch.web.api import json_response
from liqwatch.web.context import WebContext
from liqwatch.web.errors import BAD_PARAMETER, TIME_PATTERN
from liqwatch.web.params import ParamError

NO_POLLS = "no watched positions stored: no wallets configured or polled yet (see README: Smart-money wallets)"
DAY_MS = 86_400_000

WalletAt = Query(
    None,
    description="Positions as of this time: ISO 8601 or epoch ms (default: the newest poll).",
    pattern=TIME_PATTERN,
)


def position_row(p: PositionSnapshot) -> dict[str, Any]:
    """A watched position as the API shows it: the snapshot plus side and distance to liquidation."""
    return msgspec.structs.asdict(p) | {
        "side": p.direction,
        "distance_to_liquidation": distance_to_liquidation(p),
    }


def _set_fields(sets: list[dict[str, str]]) -> dict[str, Any]:
    """The newest set's hash and rule at the top level (a dashboard shows one set)."""
    last = sets[-1] if sets else None
    return {"set_hash": last["hash"] if last else None, "rule": last["rule"] if last else None}


def wallets_router(ctx: WebContext) -> APIRouter:
    router = APIRouter(prefix="/api/wallets", tags=["smart-money wallets"], responses=BAD_PARAMETER)

    def at_param(at: str | None) -> int | None:
        return params.time_param("at", at)

    @router.get(
        "/pnl",
        summary="Unrealized PnL of the watched wallets (Σ szi × (mark − entry)), long vs short, per bucket",
        description=(
            "The `liqwatch wallets pnl --json` document: rows per direction, coin, group (BTC, ETH, "
            "altcoins) or cohort; `long_pnl`/`short_pnl` totals; the watched set(s) with rule and sha256."
        ),
    )
    def pnl(
        by: Literal["direction", "coin", "group", "cohort"] = Query("direction", description="How to bucket."),
        at: str | None = WalletAt,
    ) -> Response:
        doc = queries.wallet_pnl_json(ctx.store, at_param(at), by)
        reason = None if doc["rows"] else NO_POLLS
        return json_response(doc | _set_fields(doc["sets"]) | {"reason": reason})

    @router.get("/worst", summary="The watched positions with the largest unrealized losses, worst first")
    def worst_positions(
        n: int = Query(10, ge=1, le=200, description="How many positions."),
        at: str | None = WalletAt,
    ) -> Response:
        moment = at_param(at)
        rows = queries.wallet_worst(ctx.store, moment, n)
        reason = None if rows else "no watched position is at a loss (or none is stored)"
        doc = {"at": moment, "positions": [position_row(p) for p in rows], "reason": reason}
        return json_response(doc)

    @router.get(
        "/changes",
        summary="Per wallet × coin: what changed between two times (opened, closed, flipped, increased, reduced)",
    )
    def changes(
        before: str | None = Query(
            None, description="Earlier time: ISO 8601 or epoch ms (default: after − 24h).", pattern=TIME_PATTERN
        ),
        after: str | None = Query(
            None, description="Later time: ISO 8601 or epoch ms (default: now).", pattern=TIME_PATTERN
        ),
    ) -> Response:
        late = params.time_param("after", after)
        late = ctx.clock() if late is None else late
        early = params.time_param("before", before)
        early = max(0, late - DAY_MS) if early is None else early
        if early >= late:
            raise ParamError("before", "must be earlier than after")
        found = queries.wallet_exposure_changes(ctx.store, early, late)
        rows = [msgspec.structs.asdict(c) | {"change": c.change} for c in found]
        reason = None if rows else "no watched position changed between the two times"
        return json_response({"before": early, "after": late, "changes": rows, "reason": reason})

    @router.get("/liquidations", summary="Fills by which watched wallets were themselves liquidated, newest first")
    def liquidations(
        since: str | None = Query(
            None, description="Only after this time (exclusive): ISO 8601 or epoch ms.", pattern=TIME_PATTERN
        ),
        until: str | None = Query(
            None, description="Only at or before this time: ISO 8601 or epoch ms.", pattern=TIME_PATTERN
        ),
        limit: int = Query(100, ge=1, le=1000, description="At most this many, the newest."),
    ) -> Response:
        lo, hi = params.time_range(since, until)
        found = queries.wallet_liquidations(ctx.store, lo, hi)[-limit:][::-1]
        labels = queries.wallet_labels(ctx.store)
        rows = [
            msgspec.structs.asdict(f) | {"usd": f.usd, "side": f.position_side, "label": labels.get(f.wallet, "")}
            for f in found
        ]
        reason = None if rows else "no watched wallet was liquidated in this range (fills are polled with fills = true)"
        return json_response({"liquidations": rows, "reason": reason})

    return router

"""Events for summary and store tests: a readable constructor and hypothesis strategies."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from liqwatch.model import Liquidation

H = 3_600_000
AT = 1_763_712_000_000  # 2025-11-21T08:00:00Z, an hour boundary

VENUES = ("binance_usdm", "bybit", "okx", "bitmex", "deribit", "bitget", "gate", "hyperliquid")
SAMPLED_VENUES = frozenset({"binance_usdm", "binance_coinm"})
COINS = ("BTC", "ETH", "SOL", "XRP", "DOGE", "PEPE", "SUI", "WIF", "HYPE", "LINK", "ADA", "BNB")


def ev(
    ts: int,
    usd: float | None = 1000.0,
    *,
    venue: str = "bybit",
    coin: str = "BTC",
    side: str = "long",
    id: str | None = None,
    coverage: str | None = None,
    **fields: Any,
) -> Liquidation:
    price = fields.pop("price", 50_000.0)
    qty = fields.pop("qty", None if usd is None else usd / price)
    return Liquidation(
        venue=venue,
        symbol=fields.pop("symbol", f"{coin}USDT"),
        coin=coin,
        side=side,  # type: ignore[arg-type]
        price=price,
        qty=qty,
        usd=usd,
        ts=ts,
        recv_ts=fields.pop("recv_ts", ts + 120),
        coverage=coverage or ("sampled" if venue in SAMPLED_VENUES else "complete"),  # type: ignore[arg-type]
        id=id or f"{venue}:{coin}USDT:{ts}:{side}:{usd}",
    )


# Window lists that put boundaries on, inside and off the hour grid.
WINDOW_SETS: list[list[tuple[str, int]]] = [
    [("1h", H), ("4h", 4 * H), ("12h", 12 * H), ("24h", 24 * H)],
    [("90m", 90 * 60_000), ("1s", 1_000), ("2h", 2 * H)],
    [("3h", 3 * H), ("1h", H)],
    [("45m", 45 * 60_000), ("7d", 7 * 24 * H)],
    [("1m", 60_000)],
]

# `at` on the hour, just after, just before, and anywhere.
ats = st.one_of(
    st.sampled_from([AT, AT + 1, AT - 1, AT + H // 2, AT + 59 * 60_000 + 59_999]),
    st.integers(AT - 2 * H, AT + 2 * H),
)

usds = st.one_of(
    st.none(),
    st.sampled_from([1_000.0, 1_000.0, 250_000.5, 1e-9, 0.005, 12.345678915]),  # ties and sub-unit values
    st.floats(min_value=0.0, max_value=2e8, allow_nan=False, allow_infinity=False),
)


@st.composite
def events_around(draw: st.DrawFn, at: int, windows: list[tuple[str, int]]) -> list[Liquidation]:
    """Events concentrated on the edges that matter: window starts/ends ±1 ms, hour boundaries."""
    points = [at, at + 1, at - 1]
    for _, length in windows:
        points += [at - length, at - length + 1, at - length - 1]
    hour = at // H * H
    points += [hour, hour + 1, hour - H, hour - H + 1, hour + H]
    horizon = max(length for _, length in windows) + 2 * H
    ts_strategy = st.one_of(st.sampled_from(points), st.integers(at - horizon, at + H))
    drawn, add_twin = draw(
        st.tuples(
            st.lists(
                st.tuples(
                    ts_strategy,
                    usds,
                    st.sampled_from(VENUES),
                    st.sampled_from(COINS),
                    st.sampled_from(["long", "short"]),
                    st.booleans(),
                ),
                max_size=60,
            ),
            st.booleans(),
        )
    )
    out = []
    for i, (ts, usd, venue, coin, side, sampled) in enumerate(drawn):
        coverage = "sampled" if sampled and venue != "hyperliquid" else "complete"
        out.append(ev(ts, usd, venue=venue, coin=coin, side=side, coverage=coverage, id=f"e{i:03d}:{ts}"))
    # same usd, same ts: the id breaks the tie
    if out and add_twin:
        twin = out[0]
        out.append(ev(twin.ts, twin.usd, venue="okx", coin=twin.coin, side=twin.side, id=f"a-twin:{twin.ts}"))
    return out

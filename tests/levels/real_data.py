"""Real public data for the levels backtest (../shared/data/finm33150_okx_hyperliquid_2025_2026).

Binance hourly candles, Hyperliquid hourly USD open interest (2025-12-07 .. 2026-03-07) and OKX's
liquidation orders (2026-03-04 .. 03-05). OKX `size_usd` upstream is contracts × price (PROVENANCE.md):
USD = size_usd × contract value. OKX `side` is the order side: buy = a short was liquidated.
Not a complete feed (OKX REST keeps recent orders only), so the score is indicative.

`python -m tests.levels.real_data` prints the scores the README quotes.
"""

from __future__ import annotations

from pathlib import Path

from liqwatch.analytics.levels_backtest import BacktestParams, BacktestScore, backtest
from liqwatch.model import COMPLETE, Candle, Liquidation, MarketStat

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "finm33150_okx_hyperliquid_2025_2026"
OKX_CONTRACT_VALUE = {"BTC": 0.01, "ETH": 0.1, "SOL": 1.0}
HOUR_MS = 3_600_000
REAL_BACKTEST = BacktestParams(horizon_ms=HOUR_MS, warmup_ms=7 * 24 * HOUR_MS)


def available() -> bool:
    return all((DATA / f"{name}.parquet").is_file() for name in ("candles", "open_interest", "liquidations"))


def _rows(name: str, where: str) -> list[tuple[object, ...]]:
    import duckdb

    sql = f"select * exclude (timestamp), epoch_ms(timestamp) as ms from read_parquet(?) where {where} order by ms"
    return duckdb.execute(sql, [str(DATA / f"{name}.parquet")]).fetchall()


def load(coin: str) -> tuple[list[Candle], list[MarketStat], list[Liquidation]]:
    oi_rows = _rows("open_interest", f"venue = 'hyperliquid' and coin = '{coin}'")
    first_oi = int(oi_rows[0][-1])  # type: ignore[call-overload]
    stats = [MarketStat("hyperliquid", coin, coin, "open_interest_usd", int(r[-1]), float(r[2])) for r in oi_rows]  # type: ignore[arg-type]
    candles = [
        Candle("binance_usdm", f"{coin}USDT", coin, HOUR_MS, int(r[-1]), *(float(x) for x in r[2:6]))  # type: ignore[arg-type]
        for r in _rows("candles", f"venue = 'binance' and coin = '{coin}'")
        if int(r[-1]) >= first_oi - HOUR_MS  # type: ignore[call-overload]
    ]
    liqs = []
    for n, (_venue, _coin, side, size_usd, price, ms) in enumerate(
        _rows("liquidations", f"venue = 'okx' and coin = '{coin}'")
    ):
        usd = float(size_usd) * OKX_CONTRACT_VALUE[coin]  # type: ignore[arg-type]
        position = "short" if side == "buy" else "long"
        liqs.append(
            Liquidation(
                "okx",
                f"{coin}-USDT-SWAP",
                coin,
                position,
                float(price),
                usd / float(price),
                usd,
                int(ms),
                int(ms),
                COMPLETE,
                f"okx-{n}",
            )  # type: ignore[arg-type]
        )
    return candles, stats, liqs


def score(coin: str) -> BacktestScore:
    candles, stats, liqs = load(coin)
    return backtest(
        candles, stats, liqs, bt=REAL_BACKTEST, source="finm33150 data: Binance 1h, Hyperliquid OI, OKX liquidations"
    )


if __name__ == "__main__":
    for coin in OKX_CONTRACT_VALUE:
        print(score(coin).describe())

"""Watched Hyperliquid wallets ("smart money"): whose positions are public through POST /info.

model        WalletSpec, WalletSet (members + the rule that chose them + its hash), PositionSnapshot,
             WalletPoll (one wallet polled once), AssetCtx, WalletFill
parse        tolerant, pure parsers of clearinghouseState / metaAndAssetCtxs / userFills / leaderboard
rule         the documented, reproducible leaderboard selection rule
liquidation  Hyperliquid's liquidation price formula (pure)
aggregate    unrealized PnL by direction / coin / group / cohort, worst positions, exposure changes
events       "watched wallets' unrealized loss on one side crossed X" (pure)
config       the `[wallets]` section of the TOML config
poller       the thin async shell: polls /info within the rate-limit weights, writes to the store
"""

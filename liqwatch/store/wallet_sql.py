"""Tables of the watched-wallets feature (portable SQL: the same text for DuckDB and PostgreSQL).

wallet_sets       every watched set ever polled: its hash, the rule that chose it, its members (JSON)
wallet_polls      one row per wallet per poll: account value, how many positions (0: flat), set hash
wallet_positions  one row per wallet × coin × poll: the PositionSnapshot columns
wallet_fills      fills of watched wallets (userFills); `liquidation` marks the wallet's own liquidations

A wallet's positions at time t are those of its latest poll at or before t (wallet_polls tells a
flat wallet from one not polled).
"""

from __future__ import annotations

POLL_COLUMNS = ("ts", "wallet", "account_value", "positions", "set_hash")  # wallet_polls, in order

POSITION_COLUMNS = (
    "ts",
    "wallet",
    "coin",
    "szi",
    "entry_px",
    "mark_px",
    "position_value",
    "unrealized_pnl",
    "venue_pnl",
    "liquidation_px",
    "leverage_type",
    "leverage",
    "margin_used",
    "funding_since_open",
    "cohort",
    "label",
    "set_hash",
)  # the PositionSnapshot fields, in order

FILL_COLUMNS = (
    "wallet",
    "coin",
    "ts",
    "px",
    "sz",
    "side",
    "direction",
    "closed_pnl",
    "tid",
    "liquidation",
    "liquidation_method",
    "liquidation_mark_px",
)  # the WalletFill fields, in order

WALLET_TABLES = """
CREATE TABLE IF NOT EXISTS wallet_sets (
    hash     VARCHAR PRIMARY KEY,
    rule     VARCHAR NOT NULL,
    wallets  VARCHAR NOT NULL,   -- JSON [{address, label, cohort}]
    first_ts BIGINT  NOT NULL    -- ms, first written
);
CREATE TABLE IF NOT EXISTS wallet_polls (
    ts            BIGINT  NOT NULL,
    wallet        VARCHAR NOT NULL,
    account_value DOUBLE,
    positions     BIGINT  NOT NULL,
    set_hash      VARCHAR NOT NULL,
    PRIMARY KEY (wallet, ts)
);
CREATE TABLE IF NOT EXISTS wallet_positions (
    ts                 BIGINT  NOT NULL,
    wallet             VARCHAR NOT NULL,
    coin               VARCHAR NOT NULL,
    szi                DOUBLE  NOT NULL,   -- signed size, coins (< 0: short)
    entry_px           DOUBLE  NOT NULL,
    mark_px            DOUBLE  NOT NULL,
    position_value     DOUBLE  NOT NULL,
    unrealized_pnl     DOUBLE  NOT NULL,   -- szi * (mark_px - entry_px)
    venue_pnl          DOUBLE,
    liquidation_px     DOUBLE,
    leverage_type      VARCHAR,
    leverage           DOUBLE,
    margin_used        DOUBLE,
    funding_since_open DOUBLE,
    cohort             VARCHAR NOT NULL,
    label              VARCHAR NOT NULL,
    set_hash           VARCHAR NOT NULL,
    PRIMARY KEY (wallet, coin, ts)
);
CREATE TABLE IF NOT EXISTS wallet_fills (
    wallet              VARCHAR NOT NULL,
    coin                VARCHAR NOT NULL,
    ts                  BIGINT  NOT NULL,
    px                  DOUBLE  NOT NULL,
    sz                  DOUBLE  NOT NULL,
    side                VARCHAR NOT NULL,   -- 'B' buy | 'A' sell
    direction           VARCHAR NOT NULL,   -- e.g. 'Close Long'
    closed_pnl          DOUBLE,
    tid                 BIGINT  NOT NULL,
    liquidation         BOOLEAN NOT NULL,
    liquidation_method  VARCHAR,
    liquidation_mark_px DOUBLE,
    PRIMARY KEY (wallet, tid, coin)
);
"""

"""The watched-wallets part of the DuckDB store (a mixin of DuckDBStore; tables in wallet_sql.py).

Writes are insert-or-replace on the tables' keys, so re-writing a poll changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec
import pyarrow as pa

from liqwatch.store.wallet_sql import FILL_COLUMNS, POSITION_COLUMNS
from liqwatch.wallets.model import PositionSnapshot, WalletFill, WalletPoll, WalletSet

_POSITIONS = ", ".join(POSITION_COLUMNS)
_FILLS = ", ".join(FILL_COLUMNS)


def _in(column: str, values: Sequence[str], conds: list[str], params: list[Any]) -> None:
    if values:
        conds.append(f"{column} IN ({', '.join('?' * len(values))})")
        params.extend(values)


class WalletTables:
    """Store methods for watched wallets; expects DuckDBStore's `_write_small` and `_fetch`."""

    if TYPE_CHECKING:

        def _write_small(self, sql: str, table: pa.Table) -> None: ...

        def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def write_wallet_set(self, wallet_set: WalletSet, ts: int) -> None:
        """Record a watched set (hash, rule, members) the first time it is seen."""
        members = msgspec.json.encode(wallet_set.wallets).decode()
        table = pa.table({"hash": [wallet_set.hash], "rule": [wallet_set.rule], "wallets": [members], "ts": [ts]})
        self._write_small(
            "INSERT INTO wallet_sets SELECT hash, rule, wallets, ts FROM _batch ON CONFLICT (hash) DO NOTHING", table
        )

    def wallet_sets(self) -> list[tuple[str, str, str, int]]:
        """(hash, rule, members JSON, first ts) of every recorded set, oldest first."""
        rows = self._fetch("SELECT hash, rule, wallets, first_ts FROM wallet_sets ORDER BY first_ts")
        return [(str(h), str(rule), str(members), int(ts)) for h, rule, members, ts in rows]

    def write_positions(self, polls: Sequence[WalletPoll]) -> int:
        """Store polls (insert or replace by wallet × ts) and their positions; returns the positions written."""
        if not polls:
            return 0
        latest = {(p.wallet, p.ts): p for p in polls}
        poll_table = pa.table(
            {
                "ts": pa.array([p.ts for p in latest.values()], pa.int64()),
                "wallet": [p.wallet for p in latest.values()],
                "account_value": pa.array([p.account_value for p in latest.values()], pa.float64()),
                "positions": pa.array([len(p.positions) for p in latest.values()], pa.int64()),
                "set_hash": [p.set_hash for p in latest.values()],
            }
        )
        self._write_small("INSERT OR REPLACE INTO wallet_polls SELECT * FROM _batch", poll_table)
        rows = {(s.wallet, s.coin, s.ts): s for p in latest.values() for s in p.positions}
        if not rows:
            return 0
        columns: dict[str, Any] = {c: [getattr(s, c) for s in rows.values()] for c in POSITION_COLUMNS}
        for name in ("venue_pnl", "liquidation_px", "leverage", "margin_used", "funding_since_open"):
            columns[name] = pa.array(columns[name], pa.float64())
        columns["leverage_type"] = pa.array(columns["leverage_type"], pa.string())
        columns["ts"] = pa.array(columns["ts"], pa.int64())
        self._write_small(f"INSERT OR REPLACE INTO wallet_positions SELECT {_POSITIONS} FROM _batch", pa.table(columns))
        return len(rows)

    def positions(
        self,
        at: int | None = None,
        wallets: Sequence[str] = (),
        coins: Sequence[str] = (),
        since: int | None = None,
    ) -> list[PositionSnapshot]:
        """Each wallet's positions at its latest poll with since < ts <= at (flat wallets: none),
        ordered by (wallet, coin)."""
        conds: list[str] = []
        params: list[Any] = []
        if at is not None:
            conds.append("ts <= ?")
            params.append(at)
        if since is not None:
            conds.append("ts > ?")
            params.append(since)
        _in("wallet", wallets, conds, params)
        coin_conds: list[str] = []
        _in("p.coin", coins, coin_conds, params)
        sql = (
            f"WITH latest AS (SELECT wallet, max(ts) AS ts FROM wallet_polls WHERE {' AND '.join(conds) or 'TRUE'} "
            f"GROUP BY wallet) SELECT {', '.join('p.' + c for c in POSITION_COLUMNS)} FROM wallet_positions p "
            f"JOIN latest l ON p.wallet = l.wallet AND p.ts = l.ts WHERE {' AND '.join(coin_conds) or 'TRUE'} "
            "ORDER BY p.wallet, p.coin"
        )
        return [PositionSnapshot(*row) for row in self._fetch(sql, params)]

    def position_history(
        self, since: int | None = None, until: int | None = None, wallets: Sequence[str] = (), coins: Sequence[str] = ()
    ) -> list[PositionSnapshot]:
        """Every stored position snapshot with since < ts <= until, ordered by (ts, wallet, coin)."""
        conds: list[str] = []
        params: list[Any] = []
        if since is not None:
            conds.append("ts > ?")
            params.append(since)
        if until is not None:
            conds.append("ts <= ?")
            params.append(until)
        _in("wallet", wallets, conds, params)
        _in("coin", coins, conds, params)
        sql = (
            f"SELECT {_POSITIONS} FROM wallet_positions WHERE {' AND '.join(conds) or 'TRUE'} ORDER BY ts, wallet, coin"
        )
        return [PositionSnapshot(*row) for row in self._fetch(sql, params)]

    def poll_times(self, since: int | None = None, until: int | None = None) -> list[int]:
        """The distinct poll times with since < ts <= until, oldest first."""
        rows = self._fetch(
            "SELECT DISTINCT ts FROM wallet_polls WHERE ts > ? AND ts <= ? ORDER BY ts",
            [since if since is not None else -1, until if until is not None else 2**62],
        )
        return [int(r[0]) for r in rows]

    def write_wallet_fills(self, fills: Sequence[WalletFill]) -> int:
        """Insert or replace by (wallet, tid, coin); returns how many were given."""
        if not fills:
            return 0
        latest = {(f.wallet, f.tid, f.coin): f for f in fills}
        columns: dict[str, Any] = {c: [getattr(f, c) for f in latest.values()] for c in FILL_COLUMNS}
        for name in ("closed_pnl", "liquidation_mark_px"):
            columns[name] = pa.array(columns[name], pa.float64())
        columns["liquidation_method"] = pa.array(columns["liquidation_method"], pa.string())
        columns["ts"] = pa.array(columns["ts"], pa.int64())
        columns["tid"] = pa.array(columns["tid"], pa.int64())
        self._write_small(f"INSERT OR REPLACE INTO wallet_fills SELECT {_FILLS} FROM _batch", pa.table(columns))
        return len(fills)

    def wallet_fills(
        self,
        since: int | None = None,
        until: int | None = None,
        wallets: Sequence[str] = (),
        *,
        liquidations_only: bool = False,
    ) -> list[WalletFill]:
        """Stored fills with since < ts <= until, ordered by (ts, wallet, tid)."""
        conds: list[str] = []
        params: list[Any] = []
        if since is not None:
            conds.append("ts > ?")
            params.append(since)
        if until is not None:
            conds.append("ts <= ?")
            params.append(until)
        _in("wallet", wallets, conds, params)
        if liquidations_only:
            conds.append("liquidation")
        sql = f"SELECT {_FILLS} FROM wallet_fills WHERE {' AND '.join(conds) or 'TRUE'} ORDER BY ts, wallet, tid"
        return [WalletFill(*row) for row in self._fetch(sql, params)]

    def wallet_liquidations(
        self, since: int | None = None, until: int | None = None, wallets: Sequence[str] = ()
    ) -> list[WalletFill]:
        """The fills by which watched wallets were themselves liquidated."""
        return self.wallet_fills(since, until, wallets, liquidations_only=True)

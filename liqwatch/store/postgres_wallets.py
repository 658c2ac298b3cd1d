"""The watched-wallets part of the PostgreSQL store (a mixin of PostgresStore; tables in wallet_sql.py).

The same writes and answers as the DuckDB store's (duckdb_wallets.py; tests/store/test_contract.py
compares them): writes are insert-or-replace on the tables' keys, so re-writing a poll changes
nothing, and two pollers writing the same poll leave one copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
import psycopg

from liqwatch.store.wallet_sql import FILL_COLUMNS, POSITION_COLUMNS
from liqwatch.wallets.model import PositionSnapshot, WalletFill, WalletPoll, WalletSet

T = TypeVar("T")
_POSITIONS = ", ".join(POSITION_COLUMNS)
_FILLS = ", ".join(FILL_COLUMNS)
_POLL_COLUMNS = ("ts", "wallet", "account_value", "positions", "set_hash")


def upsert(table: str, columns: Sequence[str], key: Sequence[str]) -> str:
    """INSERT of one row of `columns` that replaces the row with the same `key`."""
    values = ", ".join(["%s"] * len(columns))
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )


UPSERT_POLL = upsert("wallet_polls", _POLL_COLUMNS, ("wallet", "ts"))
UPSERT_POSITION = upsert("wallet_positions", POSITION_COLUMNS, ("wallet", "coin", "ts"))
UPSERT_FILL = upsert("wallet_fills", FILL_COLUMNS, ("wallet", "tid", "coin"))


def _in(column: str, values: Sequence[str], conds: list[str], params: list[Any]) -> None:
    if values:
        conds.append(f"{column} = ANY(%s)")
        params.append(list(values))


def _range(since: int | None, until: int | None, conds: list[str], params: list[Any]) -> None:
    if since is not None:
        conds.append("ts > %s")
        params.append(since)
    if until is not None:
        conds.append("ts <= %s")
        params.append(until)


class PostgresWalletTables:
    """Store methods for watched wallets; expects PostgresStore's `_run`, `_fetch` and `_check_writable`."""

    if TYPE_CHECKING:

        def _run(self, work: Callable[[psycopg.Cursor[Any]], T], *, what: str = "query") -> T: ...

        def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

        def _check_writable(self) -> None: ...

    def write_wallet_set(self, wallet_set: WalletSet, ts: int) -> None:
        """Record a watched set (hash, rule, members) the first time it is seen."""
        self._check_writable()
        members = msgspec.json.encode(wallet_set.wallets).decode()
        row = (wallet_set.hash, wallet_set.rule, members, ts)
        sql = "INSERT INTO wallet_sets VALUES (%s, %s, %s, %s) ON CONFLICT (hash) DO NOTHING"
        self._run(lambda cur: cur.execute(sql, row), what="write")

    def wallet_sets(self) -> list[tuple[str, str, str, int]]:
        """(hash, rule, members JSON, first ts) of every recorded set, oldest first."""
        rows = self._fetch("SELECT hash, rule, wallets, first_ts FROM wallet_sets ORDER BY first_ts")
        return [(str(h), str(rule), str(members), int(ts)) for h, rule, members, ts in rows]

    def write_positions(self, polls: Sequence[WalletPoll]) -> int:
        """Store polls (insert or replace by wallet × ts) and their positions, in one transaction;
        returns the positions written."""
        if not polls:
            return 0
        self._check_writable()
        latest = {(p.wallet, p.ts): p for p in polls}
        poll_rows = [(p.ts, p.wallet, p.account_value, len(p.positions), p.set_hash) for _, p in sorted(latest.items())]
        snapshots = {(s.wallet, s.coin, s.ts): s for p in latest.values() for s in p.positions}
        # Rows in key order: concurrent writers lock them in the same order and never deadlock.
        position_rows = [tuple(getattr(s, c) for c in POSITION_COLUMNS) for _, s in sorted(snapshots.items())]

        def write(cur: psycopg.Cursor[Any]) -> None:
            cur.executemany(UPSERT_POLL, poll_rows)
            if position_rows:
                cur.executemany(UPSERT_POSITION, position_rows)

        self._run(write, what="write")
        return len(position_rows)

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
        _range(since, at, conds, params)
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
        _range(since, until, conds, params)
        _in("wallet", wallets, conds, params)
        _in("coin", coins, conds, params)
        sql = (
            f"SELECT {_POSITIONS} FROM wallet_positions WHERE {' AND '.join(conds) or 'TRUE'} ORDER BY ts, wallet, coin"
        )
        return [PositionSnapshot(*row) for row in self._fetch(sql, params)]

    def poll_times(self, since: int | None = None, until: int | None = None) -> list[int]:
        """The distinct poll times with since < ts <= until, oldest first."""
        conds: list[str] = []
        params: list[Any] = []
        _range(since, until, conds, params)
        rows = self._fetch(
            f"SELECT DISTINCT ts FROM wallet_polls WHERE {' AND '.join(conds) or 'TRUE'} ORDER BY ts", params
        )
        return [int(r[0]) for r in rows]

    def write_wallet_fills(self, fills: Sequence[WalletFill]) -> int:
        """Insert or replace by (wallet, tid, coin); returns how many were given."""
        if not fills:
            return 0
        self._check_writable()
        latest = {(f.wallet, f.tid, f.coin): f for f in fills}
        rows = [tuple(getattr(f, c) for c in FILL_COLUMNS) for _, f in sorted(latest.items())]
        self._run(lambda cur: cur.executemany(UPSERT_FILL, rows), what="write")
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
        _range(since, until, conds, params)
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

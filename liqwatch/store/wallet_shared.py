"""The watched-wallets part of both stores, written once (a mixin of DuckDBStore and PostgresStore;
tables in wallet_sql.py).

Reads run on the store's `_fetch` in its `_dialect`; writes turn what is written into `Keyed`
rows, one per key, and hand them to the store's `_replace` (shared.py): re-writing a poll changes
nothing, and two PostgreSQL pollers writing the same poll leave one copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from liqwatch.store.reads_sql import Dialect, Where
from liqwatch.store.shared import Keyed, Row
from liqwatch.store.wallet_sql import FILL_COLUMNS, POLL_COLUMNS, POSITION_COLUMNS
from liqwatch.wallets.model import PositionSnapshot, WalletFill, WalletPoll, WalletSet

_POSITIONS = ", ".join(POSITION_COLUMNS)
_FILLS = ", ".join(FILL_COLUMNS)

WALLET_SETS = Keyed("wallet_sets", ("hash", "rule", "wallets", "first_ts"), ("hash",), replace=False)
POLLS = Keyed("wallet_polls", POLL_COLUMNS, ("wallet", "ts"))
POSITIONS = Keyed("wallet_positions", POSITION_COLUMNS, ("wallet", "coin", "ts"))
FILLS = Keyed("wallet_fills", FILL_COLUMNS, ("wallet", "tid", "coin"))


def _span(dialect: Dialect, since: int | None, until: int | None) -> Where:
    """since < ts <= until (a missing bound: none)."""
    w = Where(dialect)
    w.add("ts >", since)
    w.add("ts <=", until)
    return w


class WalletTables:
    """Store methods for watched wallets; expects the store's `_fetch`, `_dialect` and `_replace`."""

    _dialect: Dialect

    if TYPE_CHECKING:

        def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

        def _replace(self, *writes: tuple[Keyed, list[Row]]) -> None: ...

    def write_wallet_set(self, wallet_set: WalletSet, ts: int) -> None:
        """Record a watched set (hash, rule, members) the first time it is seen."""
        members = msgspec.json.encode(wallet_set.wallets).decode()
        self._replace((WALLET_SETS, [(wallet_set.hash, wallet_set.rule, members, ts)]))

    def write_positions(self, polls: Sequence[WalletPoll]) -> int:
        """Store polls (insert or replace by wallet × ts) and their positions (on PostgreSQL in one
        transaction); returns the positions written."""
        latest = {(p.wallet, p.ts): p for p in polls}
        poll_rows = [(p.ts, p.wallet, p.account_value, len(p.positions), p.set_hash) for _, p in sorted(latest.items())]
        position_rows = POSITIONS.rows(s for p in latest.values() for s in p.positions)
        self._replace((POLLS, poll_rows), (POSITIONS, position_rows))
        return len(position_rows)

    def write_wallet_fills(self, fills: Sequence[WalletFill]) -> int:
        """Insert or replace by (wallet, tid, coin); returns how many were given."""
        self._replace((FILLS, FILLS.rows(fills)))
        return len(fills)

    def wallet_sets(self) -> list[tuple[str, str, str, int]]:
        """(hash, rule, members JSON, first ts) of every recorded set, oldest first."""
        rows = self._fetch("SELECT hash, rule, wallets, first_ts FROM wallet_sets ORDER BY first_ts")
        return [(str(h), str(rule), str(members), int(ts)) for h, rule, members, ts in rows]

    def positions(
        self,
        at: int | None = None,
        wallets: Sequence[str] = (),
        coins: Sequence[str] = (),
        since: int | None = None,
    ) -> list[PositionSnapshot]:
        """Each wallet's positions at its latest poll with since < ts <= at (flat wallets: none),
        ordered by (wallet, coin)."""
        polls = _span(self._dialect, since, at)
        polls.any_of("wallet", wallets)
        held = Where(self._dialect)
        held.any_of("p.coin", coins)
        sql = (
            f"WITH latest AS (SELECT wallet, max(ts) AS ts FROM wallet_polls WHERE {polls.sql()} "
            f"GROUP BY wallet) SELECT {', '.join('p.' + c for c in POSITION_COLUMNS)} FROM wallet_positions p "
            f"JOIN latest l ON p.wallet = l.wallet AND p.ts = l.ts WHERE {held.sql()} "
            "ORDER BY p.wallet, p.coin"
        )
        return [PositionSnapshot(*row) for row in self._fetch(sql, polls.params + held.params)]

    def position_history(
        self, since: int | None = None, until: int | None = None, wallets: Sequence[str] = (), coins: Sequence[str] = ()
    ) -> list[PositionSnapshot]:
        """Every stored position snapshot with since < ts <= until, ordered by (ts, wallet, coin)."""
        w = _span(self._dialect, since, until)
        w.any_of("wallet", wallets)
        w.any_of("coin", coins)
        sql = f"SELECT {_POSITIONS} FROM wallet_positions WHERE {w.sql()} ORDER BY ts, wallet, coin"
        return [PositionSnapshot(*row) for row in self._fetch(sql, w.params)]

    def poll_times(self, since: int | None = None, until: int | None = None) -> list[int]:
        """The distinct poll times with since < ts <= until, oldest first."""
        w = _span(self._dialect, since, until)
        rows = self._fetch(f"SELECT DISTINCT ts FROM wallet_polls WHERE {w.sql()} ORDER BY ts", w.params)
        return [int(r[0]) for r in rows]

    def wallet_fills(
        self,
        since: int | None = None,
        until: int | None = None,
        wallets: Sequence[str] = (),
        *,
        liquidations_only: bool = False,
    ) -> list[WalletFill]:
        """Stored fills with since < ts <= until, ordered by (ts, wallet, tid)."""
        w = _span(self._dialect, since, until)
        w.any_of("wallet", wallets)
        if liquidations_only:
            w.conds.append("liquidation")
        sql = f"SELECT {_FILLS} FROM wallet_fills WHERE {w.sql()} ORDER BY ts, wallet, tid"
        return [WalletFill(*row) for row in self._fetch(sql, w.params)]

    def wallet_liquidations(
        self, since: int | None = None, until: int | None = None, wallets: Sequence[str] = ()
    ) -> list[WalletFill]:
        """The fills by which watched wallets were themselves liquidated."""
        return self.wallet_fills(since, until, wallets, liquidations_only=True)

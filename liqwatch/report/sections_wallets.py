"""The report's "Smart-money wallets" section: the watched Hyperliquid wallets' unrealized PnL at the
report's time, by direction and coin group, the worst position, and the set behind it. Pure.

Unrealized PnL is Σ szi × (mark − entry) over each wallet's latest poll within a day before `at`
(liqwatch.wallets.aggregate, research/analytics.md §3.4), exactly what `liqwatch wallets pnl --at …
--by group --json` prints, so every figure is read from that command (Query op "json"). The section
appears only when the newest poll is recent (FRESH_MS before `at`): stale positions say nothing
about the market at the time of the report.
"""

from __future__ import annotations

from liqwatch.report import words
from liqwatch.report.common import Book
from liqwatch.report.model import Inputs, Section
from liqwatch.timeparse import iso
from liqwatch.wallets.aggregate import ALTCOINS, PnlRow, pnl_by, recomputed_pnl, worst
from liqwatch.wallets.model import PositionSnapshot

TITLE = "Smart-money wallets"
FRESH_MS = 2 * 3_600_000  # the newest poll must be at most this old at the report's time
GROUP_ORDER = ("BTC", "ETH", ALTCOINS)


def pnl_cli(at: int) -> str:
    return f"liqwatch wallets pnl --at {iso(at)} --by group --json"


def worst_cli(at: int) -> str:
    return f"liqwatch wallets worst -n 1 --at {iso(at)} --json"


def _group_words(group: str) -> str:
    return "altcoin" if group == ALTCOINS else group


def wallets_section(inputs: Inputs, book: Book) -> Section | None:
    wallets = inputs.wallets
    if wallets is None or not wallets.positions:
        return None
    at = inputs.at
    polled = max(p.ts for p in wallets.positions)
    if polled < at - FRESH_MS:
        return None
    cli = pnl_cli(at)
    rows = sorted(pnl_by(wallets.positions, "group"), key=lambda r: GROUP_ORDER.index(r.key))
    buckets = [(r, d) for r in rows for d in ("long", "short") if _positions(r, d)]
    main_row, main_dir = min(buckets, key=lambda b: _pnl(*b))
    poll = book.json("wallets.polled_at", polled, words.clock(polled), "time", cli, ["polled_at"])
    paragraphs = [_bucket_sentence(book, cli, main_row, main_dir, lead=True) + f", as of the {poll} poll."]
    others = [_bucket_sentence(book, cli, r, d) for r, d in buckets if (r, d) != (main_row, main_dir)]
    if others:
        paragraphs.append(f"The other watched positions: {'; '.join(others)}.")
    top = worst(wallets.positions, 1)
    if top:
        paragraphs.append(_worst_sentence(book, at, top[0]))
    paragraphs.append(_set_sentence(book, inputs, cli))
    return Section("wallets", TITLE, paragraphs)


def _positions(row: PnlRow, direction: str) -> int:
    return row.long_positions if direction == "long" else row.short_positions


def _pnl(row: PnlRow, direction: str) -> float:
    return row.long_pnl if direction == "long" else row.short_pnl


def _bucket_sentence(book: Book, cli: str, row: PnlRow, direction: str, lead: bool = False) -> str:
    key = f"wallets.{row.key}.{direction}"
    pick = f"key={row.key}"
    pnl = _pnl(row, direction)
    notional = row.long_usd if direction == "long" else row.short_usd
    amount = book.json(f"{key}.pnl", pnl, words.money(abs(pnl)), "usd", cli, ["rows", pick, f"{direction}_pnl"])
    size = book.json(f"{key}.usd", notional, words.money(notional), "usd", cli, ["rows", pick, f"{direction}_usd"])
    count = _positions(row, direction)
    held = book.json(
        f"{key}.positions", count, words.count(count), "count", cli, ["rows", pick, f"{direction}_positions"]
    )
    what = f"{_group_words(row.key)} {direction}s"
    result = "unrealized losses" if pnl < 0 else "unrealized gains"
    plural = "position" if count == 1 else "positions"
    if lead:
        return f"Smart-money wallets' {what} show {amount} in {result} ({held} {plural}, {size} notional)"
    return f"{what} {amount} in {result} ({held} {plural}, {size} notional)"


def _worst_sentence(book: Book, at: int, p: PositionSnapshot) -> str:
    cli = worst_cli(at)
    pnl = recomputed_pnl(p)
    loss = book.json("wallets.worst.pnl", pnl, words.money(abs(pnl)), "usd", cli, ["0", "unrealized_pnl"])
    size = book.json("wallets.worst.szi", p.szi, _size(abs(p.szi)), "coins", cli, ["0", "szi"])
    entry = book.json("wallets.worst.entry_px", p.entry_px, words.price(p.entry_px), "price", cli, ["0", "entry_px"])
    mark = book.json("wallets.worst.mark_px", p.mark_px, words.price(p.mark_px), "price", cli, ["0", "mark_px"])
    name = f"{p.label} ({p.wallet})" if p.label else p.wallet
    return f"The largest single loss: {name} is {p.direction} {size} {p.coin} from {entry}, marked at {mark}: {loss}."


def _size(coins: float) -> str:
    """1,000,000; 0.25; 12.5 (at most 6 decimals, no exponent)."""
    return f"{coins:,.6f}".rstrip("0").rstrip(".")


def _set_sentence(book: Book, inputs: Inputs, cli: str) -> str:
    wallets = inputs.wallets
    assert wallets is not None
    holding = len({p.wallet for p in wallets.positions})
    held = book.json("wallets.holding", holding, words.count(holding), "count", cli, ["wallets"])
    sizes = []
    for i, (digest, _rule) in enumerate(wallets.sets):
        size = wallets.members.get(digest, 0)
        sizes.append(
            book.derived(
                f"wallets.set.{i}.members",
                size,
                words.count(size),
                "count",
                f"wallets in set {digest} (the wallet_sets table; `liqwatch wallets set --json`: the configured set)",
            )
        )
    noun = "wallet" if holding == 1 else "wallets"
    if len(sizes) == 1:
        if holding == wallets.members.get(wallets.sets[0][0], 0):  # "11 of the 11" reads as a slip
            return f"All {sizes[0]} watched wallets held positions."
        return f"{held} of the {sizes[0]} watched wallets held positions."
    return f"{held} {noun} of the watched sets held positions."


def wallets_note(inputs: Inputs) -> str | None:
    """The data note's sentence on the watched wallets: the selection rule and the PnL method."""
    wallets = inputs.wallets
    if wallets is None or not wallets.sets:
        return None
    rules = words.join([f"“{rule}” (set sha256 {digest[:12]}…)" for digest, rule in wallets.sets])
    return (
        f"Smart-money wallets are Hyperliquid wallets chosen by the rule {rules}. Unrealized PnL is position size "
        "times the move from entry to mark at one mark snapshot per poll, funding excluded (`liqwatch wallets pnl`)."
    )

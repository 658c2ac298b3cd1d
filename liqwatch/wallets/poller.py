"""The thin async shell: polls Hyperliquid's POST /info for the watched set and writes snapshots.

One cycle: metaAndAssetCtxs (marks, funding, open interest: ONE mark snapshot for every PnL of the
cycle), then clearinghouseState per wallet, optionally userFills per wallet; every request waits
for room in the rolling-minute weight budget (pacing.py) before it is sent. HTTP 429 → backoff
(honouring Retry-After) and retry; a wallet whose answer cannot be read is reported as one line
(naming the wallet and the request) and skipped: the cycle goes on. Parsing, aggregation and event
detection are pure (parse.py, aggregate.py, events.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
import msgspec

from liqwatch.feed.backoff import Backoff
from liqwatch.store.base import Store
from liqwatch.wallets.config import INFO_URL, LEADERBOARD_URL, WalletsConfig
from liqwatch.wallets.events import LossCrossing, loss_crossings
from liqwatch.wallets.model import AssetCtx, PositionSnapshot, WalletError, WalletPoll, WalletSet
from liqwatch.wallets.pacing import WeightBudget, items_weight, request_weight
from liqwatch.wallets.parse import (
    LeaderboardRow,
    parse_clearinghouse,
    parse_leaderboard,
    parse_meta_and_ctxs,
    parse_user_fills,
)
from liqwatch.wallets.rule import build_set

log = logging.getLogger("liqwatch.wallets")
USER_AGENT = "liqwatch (+https://github.com/liqwatch/liqwatch)"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


def info_url(url: str) -> str:
    """A base URL or the /info URL → the /info URL (so the simulator's base works as is)."""
    url = url.rstrip("/")
    return url if url.endswith("/info") else url + "/info"


class CycleReport(msgspec.Struct):
    ts: int
    wallets: int  # polled successfully
    positions: int
    fills: int = 0
    errors: list[str] = msgspec.field(default_factory=list)
    crossings: list[LossCrossing] = msgspec.field(default_factory=list)
    weight: int = 0  # weight spent in this cycle


class InfoClient:
    """POST {"type": …} bodies to /info within a weight budget; retries 429/5xx/network errors."""

    def __init__(
        self,
        url: str = INFO_URL,
        *,
        weight_per_min: int = 1000,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 20.0,
        retries: int = 4,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.url = info_url(url)
        self.budget = WeightBudget(weight_per_min)
        self.retries = retries
        self.clock = clock
        self.sleep = sleep
        self.rate_limited = 0  # 429 answers received
        self._client = httpx.AsyncClient(transport=transport, timeout=timeout, headers={"User-Agent": USER_AGENT})

    async def post(self, body: dict[str, Any], what: str) -> bytes:
        kind = str(body["type"])
        weight = request_weight(kind)
        delays = Backoff(initial=1.0, cap=30.0)
        for attempt in range(1, self.retries + 2):
            wait = self.budget.delay(weight, self.clock())
            if wait > 0:
                await self.sleep(wait)
            self.budget.spend(weight, self.clock())
            retry_after: float | None = None
            try:
                response = await self._client.post(self.url, json=body)
            except httpx.TimeoutException:
                problem = "timed out"
            except httpx.TransportError as exc:
                problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            else:
                if response.is_success:
                    return response.content
                problem = f"HTTP {response.status_code}"
                if response.status_code not in RETRY_STATUS:
                    detail = response.text.strip().replace("\n", " ")[:160]
                    raise WalletError(f"{what}: POST {self.url}: {problem}{': ' + detail if detail else ''}")
                if response.status_code == 429:
                    self.rate_limited += 1
                    retry_after = _seconds(response.headers.get("Retry-After"))
            if attempt > self.retries:
                break
            delay = delays.next_delay()
            if retry_after is not None:
                delay = max(delay, min(retry_after, 60.0))
            log.info("%s: %s; retrying in %.1f s", what, problem, delay)
            await self.sleep(delay)
        raise WalletError(f"{what}: POST {self.url}: {problem} (after {self.retries + 1} attempts)")

    def charge_items(self, kind: str, items: int) -> None:
        self.budget.spend(items_weight(kind, items), self.clock())

    async def get(self, url: str, what: str) -> bytes:
        try:
            response = await self._client.get(url)
        except httpx.HTTPError as exc:
            raise WalletError(f"{what}: GET {url}: {str(exc).strip() or type(exc).__name__}") from None
        if not response.is_success:
            raise WalletError(f"{what}: GET {url}: HTTP {response.status_code}")
        return response.content

    async def aclose(self) -> None:
        await self._client.aclose()


def _seconds(value: str | None) -> float | None:
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


async def fetch_leaderboard(client: InfoClient, url: str = LEADERBOARD_URL) -> list[LeaderboardRow]:
    return parse_leaderboard(await client.get(url, "leaderboard"))


async def resolve_set(cfg: WalletsConfig, leaderboard_url: str | None = None) -> WalletSet:
    """The watched set of a config: its listed wallets, plus the leaderboard's by its rule (fetched)."""
    if cfg.leaderboard is None:
        return build_set(cfg.watch)
    client = InfoClient(cfg.url)
    try:
        rows = await fetch_leaderboard(client, leaderboard_url or cfg.leaderboard_url)
    finally:
        await client.aclose()
    return build_set(cfg.watch, rows, cfg.leaderboard)


class WalletPoller:
    def __init__(
        self,
        store: Store,
        wallet_set: WalletSet,
        client: InfoClient,
        *,
        fills: bool = False,
        loss_thresholds: Sequence[float] = (),
        now_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        self.store = store
        self.wallet_set = wallet_set
        self.client = client
        self.fills = fills
        self.loss_thresholds = tuple(loss_thresholds)
        self.now_ms = now_ms
        self.ctxs: dict[str, AssetCtx] = {}
        self.previous: list[PositionSnapshot] | None = None

    async def cycle(self) -> CycleReport:
        """Poll every watched wallet once; write what was read; report errors as lines, never raise them."""
        ts = self.now_ms()
        spent_before = self.client.budget.total
        report = CycleReport(ts, 0, 0)
        set_hash = self.wallet_set.hash
        try:
            self.ctxs = parse_meta_and_ctxs(await self.client.post({"type": "metaAndAssetCtxs"}, "metaAndAssetCtxs"))
        except WalletError as exc:
            report.errors.append(str(exc))  # fall back to the marks implied by each position
        marks = {coin: ctx.mark_px for coin, ctx in self.ctxs.items()}
        polls: list[WalletPoll] = []
        for wallet in self.wallet_set.wallets:
            what = f"clearinghouseState for {wallet.address}"
            try:
                body = await self.client.post({"type": "clearinghouseState", "user": wallet.address}, what)
                polls.append(parse_clearinghouse(body, wallet, ts, marks, set_hash))
            except WalletError as exc:
                report.errors.append(str(exc))
        # store writes in a worker thread: inside `liqwatch run` the collector shares this event loop
        await asyncio.to_thread(self.store.write_wallet_set, self.wallet_set, ts)
        report.positions = await asyncio.to_thread(self.store.write_positions, polls)
        report.wallets = len(polls)
        if self.fills:
            for wallet in self.wallet_set.wallets:
                try:
                    body = await self.client.post(
                        {"type": "userFills", "user": wallet.address}, f"userFills for {wallet.address}"
                    )
                    fills = parse_user_fills(body, wallet.address)
                    self.client.charge_items("userFills", len(fills))
                    report.fills += await asyncio.to_thread(self.store.write_wallet_fills, fills)
                except WalletError as exc:
                    report.errors.append(str(exc))
        current = [p for poll in polls for p in poll.positions]
        if self.previous is not None and self.loss_thresholds:
            report.crossings = loss_crossings(self.previous, current, self.loss_thresholds, ts=ts, set_hash=set_hash)
        self.previous = current
        report.weight = self.client.budget.total - spent_before
        for line in report.errors:
            log.warning("%s", line)
        return report

    async def run(
        self,
        interval_s: float,
        cycles: int | None = None,
        on_cycle: Callable[[CycleReport], None] | None = None,
    ) -> None:
        """Poll every `interval_s` (cycle start to cycle start), `cycles` times or forever."""
        done = 0
        while cycles is None or done < cycles:
            started = self.client.clock()
            report = await self.cycle()
            done += 1
            if on_cycle is not None:
                on_cycle(report)
            if cycles is not None and done >= cycles:
                break
            rest = interval_s - (self.client.clock() - started)
            if rest > 0:
                await self.client.sleep(rest)

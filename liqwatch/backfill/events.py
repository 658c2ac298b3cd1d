"""Backfill liquidation EVENTS over REST: OKX and Deribit (Tardis datasets: tardis_days.py).

Every event goes through its venue's own parser and is written on its id: a second run, or a run
over a span already collected live, changes nothing. Marks record what is done (a Deribit page),
so a killed backfill resumes there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from liqwatch.backfill.common import BackfillReport, Sleep, Steps, fetch
from liqwatch.feed.rest import RestClient
from liqwatch.instruments import Catalogue
from liqwatch.model import Liquidation
from liqwatch.store.base import Store
from liqwatch.venues import deribit, okx
from liqwatch.venues.base import RestRequest, implausible_time

Publish = Callable[[list[Liquidation]], int]  # writes events, returns how many were new


def plausible(events: list[Liquidation], report: BackfillReport) -> list[Liquidation]:
    """`events` without those whose time cannot be right beside their receive time (before 2017, or
    minutes after it: a unit mix-up), the same bound `run` and `import` apply; a note says how many."""
    kept = [e for e in events if implausible_time(e.ts, e.recv_ts) is None]
    if len(kept) < len(events):
        first = next(e for e in events if implausible_time(e.ts, e.recv_ts) is not None)
        report.notes.append(
            f"{len(events) - len(kept):,} {first.venue} event{'s' * (len(events) - len(kept) != 1)} left out: "
            f"{implausible_time(first.ts, first.recv_ts)}"
        )
    return kept


def _deribit_page(
    request: RestRequest, recv_ts: int, catalogue: Catalogue
) -> Callable[[bytes], tuple[list[Liquidation], RestRequest | None]]:
    """A page's liquidations and the request for the next page; BadFrame for a cut or error reply,
    or a trade that does not parse: fetched again."""

    def page(body: bytes) -> tuple[list[Liquidation], RestRequest | None]:
        return deribit.parse_rest_trades(body, recv_ts, catalogue), deribit.backfill_next(request, body)

    return page


def okx_families(catalogue: Catalogue, coins: Sequence[str] = ()) -> list[str]:
    """The instrument families (BTC-USDT, BTC-USD) of OKX perpetual swaps in the catalogue."""
    out = set()
    for inst in catalogue.instruments():
        if inst.venue == "okx" and inst.symbol.endswith("-SWAP") and (not coins or inst.coin in coins):
            out.add(inst.symbol.removesuffix("-SWAP"))
    return sorted(out)


async def okx_backfill(
    store: Store,
    publish: Publish,
    client: RestClient,
    catalogue: Catalogue,
    *,
    since: int,
    now: int,
    families: Sequence[str],
    base: str = okx.REST,
    pace: float = 0.2,
    sleep: Sleep = asyncio.sleep,
    progress: bool = False,
) -> BackfillReport:
    """OKX's recent liquidation orders (its REST keeps about a day), newest first back to `since`."""
    report = BackfillReport("okx")
    with Steps("OKX", len(families), progress) as bar:
        for family in families:
            task = f"okx:{family}"
            floor = report.resume(since, store.mark(task))
            after = ""
            while True:
                if report.requests:
                    await sleep(pace)
                request = okx.liquidation_orders_request("SWAP", inst_family=family, after=after)
                events = await fetch(
                    client, base, request, report, lambda body: okx.parse_rest_liquidations(body, now, catalogue)
                )
                fresh = plausible([e for e in events if e.ts > floor], report)
                report.publish(publish, fresh)
                if not events:
                    break
                oldest = min(e.ts for e in events)
                if oldest <= floor or str(oldest) == after:
                    break
                after = str(oldest)
            store.write_mark(task, now, now)
            bar.step(f"OKX {family}")
    return report


async def deribit_backfill(
    store: Store,
    publish: Publish,
    client: RestClient,
    catalogue: Catalogue,
    *,
    since: int,
    now: int,
    currencies: Sequence[str] = ("BTC", "ETH"),
    base: str = deribit.REST,
    pace: float = 0.1,
    sleep: Sleep = asyncio.sleep,
    progress: bool = False,
) -> BackfillReport:
    """Deribit futures trades flagged as liquidations, oldest first, from `since` (or the mark) to now."""
    report = BackfillReport("deribit")
    with Steps("Deribit", len(currencies), progress) as bar:
        for currency in currencies:
            task = f"deribit:{currency}"
            start = report.resume(since, store.mark(task))
            request: RestRequest | None = deribit.backfill_request(currency, start, now)
            while request is not None:
                if report.requests:
                    await sleep(pace)
                parsed, request = await fetch(client, base, request, report, _deribit_page(request, now, catalogue))
                events = plausible(parsed, report)
                report.publish(publish, events)
                done = int(request.params["start_timestamp"]) if request is not None else now
                store.write_mark(task, done, now)
            bar.step(f"Deribit {currency}")
    return report

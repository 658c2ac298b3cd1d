"""Backfill liquidation EVENTS: Tardis datasets (streamed, no temporary file), OKX and Deribit REST.

Every event goes through its venue's own parser (Tardis rows via liqwatch.tardis, as `import`
does) and is written on its id: a second run, or a run over a span already collected live,
changes nothing. Marks record what is done (a Tardis day, a Deribit page), so a killed backfill
resumes there. A Tardis body cut short is fetched again (the events it gave are already stored,
once).
"""

from __future__ import annotations

import asyncio
import csv
import zlib
from collections.abc import Callable, Sequence

import httpx

from liqwatch import tardis
from liqwatch.backfill import sources as src
from liqwatch.backfill.common import BackfillError, BackfillReport, Sleep, Steps, fetch
from liqwatch.feed.rest import USER_AGENT, RestClient
from liqwatch.instruments import Catalogue
from liqwatch.model import Liquidation
from liqwatch.store.base import Store
from liqwatch.venues import REGISTRY, deribit, okx
from liqwatch.venues.base import BadFrame, RestRequest, implausible_time, refuse_implausible_time

Publish = Callable[[list[Liquidation]], int]  # writes events, returns how many were new
BATCH = 20_000
TARDIS_RETRIES = 4
DAY_MS = src.DAY_MS


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


class _Retry(Exception):
    def __init__(self, why: str, after: float | None = None) -> None:
        super().__init__(why)
        self.after = after


class _TardisSink:
    """Tardis CSV lines → venue frames → events → the store, in batches."""

    def __init__(self, publish: Publish, catalogue: Catalogue, report: BackfillReport) -> None:
        self.publish = publish
        self.catalogue = catalogue
        self.report = report
        self.batch: dict[str, Liquidation] = {}
        self.bad = 0

    def lines(self, lines: Sequence[bytes]) -> None:
        for raw in lines:
            text = raw.decode("utf-8", errors="replace").strip()
            if not text or tardis.is_header(text):
                continue
            try:
                row = tardis.row_of(next(csv.reader([text])))
                venue, frame, recv_ts = tardis.frame_of(row)
                events = refuse_implausible_time(REGISTRY[venue].parse(frame, recv_ts, self.catalogue), recv_ts)
            except (tardis.BadRow, BadFrame, StopIteration):
                self.bad += 1
                continue
            for event in events:
                self.batch[event.id] = event
            if len(self.batch) >= BATCH:
                self.flush()

    def flush(self) -> None:
        self.report.publish(self.publish, list(self.batch.values()))
        self.batch.clear()


async def _tardis_day(http: httpx.AsyncClient, url: str, headers: dict[str, str], sink: _TardisSink) -> bool:
    """Stream one day's file into the sink; False when there is none (404). _Retry on 429, 5xx,
    a broken connection or a cut gzip stream."""
    try:
        async with http.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status == 404:
                return False
            if status in (401, 403):
                raise BackfillError(
                    f"GET {url}: HTTP {status}: this day needs a Tardis API key (--api-key); without one only "
                    "the first day of each month is free"
                )
            if status == 429 or status >= 500:
                after = response.headers.get("Retry-After")
                raise _Retry(f"HTTP {status}", float(after) if after and after.isdigit() else None)
            if status != 200:
                raise BackfillError(f"GET {url}: HTTP {status}")
            unzip = zlib.decompressobj(wbits=47)  # gzip or zlib, by its header
            rest = b""
            async for chunk in response.aiter_raw():
                rest += unzip.decompress(chunk)
                *lines, rest = rest.split(b"\n")
                sink.lines(lines)
            rest += unzip.flush()
            if not unzip.eof:
                raise _Retry("the file was cut short")
            sink.lines(rest.split(b"\n"))
    except (httpx.TransportError, zlib.error) as exc:
        raise _Retry(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    sink.flush()
    return True


async def tardis_backfill(
    store: Store,
    publish: Publish,
    catalogue: Catalogue,
    *,
    exchanges: Sequence[str],
    symbols: Sequence[str],
    since: int,
    until: int,
    api_key: str | None = None,
    base: str = src.TARDIS_URL,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Sleep = asyncio.sleep,
    progress: bool = False,
) -> BackfillReport:
    report = BackfillReport("tardis")
    unknown = [x for x in exchanges if x not in tardis.VENUES]
    if unknown:
        raise BackfillError(f"unknown Tardis exchange {', '.join(unknown)} (liqwatch reads {', '.join(tardis.VENUES)})")
    days = src.tardis_days(since, until, keyed=bool(api_key))
    if not api_key:
        report.notes.append("without --api-key only the first day of each month")
    headers = {"User-Agent": USER_AGENT} | ({"Authorization": f"Bearer {api_key}"} if api_key else {})
    sink = _TardisSink(publish, catalogue, report)
    jobs = []
    for exchange in exchanges:
        for symbol in symbols:
            task = f"tardis:{exchange}:{symbol}"
            done = store.mark(task) or 0
            report.resumed = report.resumed or done > since
            jobs.append((task, exchange, symbol, [d for d in days if d + DAY_MS > done]))
    missing = 0
    async with httpx.AsyncClient(transport=transport, timeout=60.0, follow_redirects=True) as http:
        with Steps("Tardis", sum(len(j[3]) for j in jobs), progress) as bar:
            for task, exchange, symbol, todo in jobs:
                for day in todo:
                    url = base.rstrip("/") + src.tardis_path(exchange, day, symbol)
                    for attempt in range(1, TARDIS_RETRIES + 1):
                        report.requests += 1
                        try:
                            found = await _tardis_day(http, url, headers, sink)
                            break
                        except _Retry as exc:
                            if attempt == TARDIS_RETRIES:
                                raise BackfillError(f"GET {url}: {exc} (after {attempt} attempts)") from None
                            await sleep(min(exc.after if exc.after is not None else 2.0**attempt, 60.0))
                    missing += not found
                    store.write_mark(task, day + DAY_MS, day + DAY_MS)
                    bar.step(f"Tardis {exchange} {symbol}")
    if missing:
        report.notes.append(f"{missing} day file{'s' * (missing != 1)} not published (404)")
    if sink.bad:
        report.notes.append(f"{sink.bad:,} unreadable rows skipped")
    return report


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

"""Backfill from Tardis liquidation datasets: day files downloaded and imported side by side.

Each day's file (`/v1/{exchange}/liquidations/Y/M/D/{symbol}.csv.gz`) is inflated as it downloads
into a temporary CSV, DOWNLOADS days at a time. The days downloaded are imported as a group
whenever the importer is free (at most GROUP_BYTES wait for it), by `liqwatch import`'s own
importer (importer.import_files: rows read as Arrow columns by the venue parsers' own rules, on
worker processes; the same ids, prices and dead letters as importing the files by hand), while the
next days download: a backfill takes about the longer of the two, not
their sum, and what is left to import after the last download is small. A day's mark is written
once its file is imported, so a killed backfill resumes at the first day not imported. A body cut
short is fetched again (nothing of it was imported).
"""

from __future__ import annotations

import asyncio
import tempfile
import zlib
from collections import deque
from collections.abc import Sequence
from pathlib import Path

import httpx

from liqwatch import tardis
from liqwatch.backfill import sources as src
from liqwatch.backfill.common import BackfillError, BackfillReport, Sleep, Steps
from liqwatch.feed.rest import USER_AGENT
from liqwatch.importer import import_files
from liqwatch.instruments import Catalogue
from liqwatch.store.base import Store

TARDIS_RETRIES = 4
DAY_MS = src.DAY_MS
# inflated bytes of day files imported as one (one import: its workers started once, its batches
# whole DuckDB row groups across days); one group downloads while the one before imports
GROUP_BYTES = 64 << 20
# day files downloading at once: Tardis's own client (tardis-dev `datasets.download`) fetches 5 at a
# time; one at a time, each file's round trips would leave the line idle between files
DOWNLOADS = 5


class _Retry(Exception):
    def __init__(self, why: str, after: float | None = None) -> None:
        super().__init__(why)
        self.after = after


async def _download(http: httpx.AsyncClient, url: str, headers: dict[str, str], path: Path) -> bool:
    """One day's file, inflated, into `path`; False when there is none (404). _Retry on 429, 5xx, a
    broken connection or a cut gzip stream."""
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
            with path.open("wb") as out:
                async for chunk in response.aiter_raw():
                    out.write(unzip.decompress(chunk))
                out.write(unzip.flush())
            if not unzip.eof:
                raise _Retry("the file was cut short")
    except (httpx.TransportError, zlib.error) as exc:
        raise _Retry(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    return True


async def tardis_backfill(
    store: Store,
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
    dead_letters: Path | None = None,
    workers: int | None = None,
) -> BackfillReport:
    """The days of [since, until) of each exchange's `symbols` files into the store. `dead_letters`,
    `workers`: as for import_files (unreadable rows are written there, with file and line)."""
    report = BackfillReport("tardis")
    unknown = [x for x in exchanges if x not in tardis.VENUES]
    if unknown:
        raise BackfillError(f"unknown Tardis exchange {', '.join(unknown)} (liqwatch reads {', '.join(tardis.VENUES)})")
    days = src.tardis_days(since, until, keyed=bool(api_key))
    if not api_key:
        report.notes.append("without --api-key only the first day of each month")
    headers = {"User-Agent": USER_AGENT} | ({"Authorization": f"Bearer {api_key}"} if api_key else {})
    jobs = []
    for exchange in exchanges:
        for symbol in symbols:
            task = f"tardis:{exchange}:{symbol}"
            done = store.mark(task) or 0
            report.resumed = report.resumed or done > since
            jobs.append((task, exchange, symbol, [d for d in days if d + DAY_MS > done]))
    missing = unreadable = 0
    importing: asyncio.Task[None] | None = None  # the days before, importing beside this download
    group: list[tuple[Path | None, str, int, str]] = []  # (file, None for a day not published; task; day; name)
    group_bytes = 0

    async def import_group(days: list[tuple[Path | None, str, int, str]], bar: Steps) -> None:
        nonlocal unreadable
        files = [path for path, *_ in days if path is not None]
        if files:
            imported = await asyncio.to_thread(
                import_files, files, store, catalogue=catalogue, dead_letters=dead_letters, workers=workers
            )
            for path in files:
                path.unlink()
            report.events += imported.events
            report.stored += imported.stored
            unreadable += imported.bad_lines + imported.bad_frames
        for _, task, day, name in days:  # marked once stored: a killed backfill resumes at a day not imported
            store.write_mark(task, day + DAY_MS, day + DAY_MS)
            bar.step(name)

    plan = [(task, exchange, symbol, day) for task, exchange, symbol, todo in jobs for day in todo]
    with tempfile.TemporaryDirectory(prefix="liqwatch-tardis-") as tmp:
        async with httpx.AsyncClient(transport=transport, timeout=60.0, follow_redirects=True) as http:

            async def fetch(task: str, exchange: str, symbol: str, day: int) -> Path | None:
                url = base.rstrip("/") + src.tardis_path(exchange, day, symbol)
                path = Path(tmp) / f"{exchange}-{symbol}-{day}.csv"
                return path if await _fetch_day(http, url, headers, path, report, sleep) else None

            # up to DOWNLOADS days download at once, taken in order (a day's mark follows the days before)
            upcoming = iter(plan)
            fetching: deque[tuple[tuple[str, str, str, int], asyncio.Task[Path | None]]] = deque()

            def fetch_ahead() -> None:
                while len(fetching) < DOWNLOADS and (item := next(upcoming, None)) is not None:
                    fetching.append((item, asyncio.create_task(fetch(*item))))

            with Steps("Tardis", len(plan), progress) as bar:
                try:
                    fetch_ahead()
                    while fetching:
                        (task, exchange, symbol, day), download = fetching.popleft()
                        path = await download
                        fetch_ahead()
                        missing += path is None
                        group.append((path, task, day, f"Tardis {exchange} {symbol}"))
                        group_bytes += path.stat().st_size if path is not None else 0
                        if group_bytes >= GROUP_BYTES or importing is None or importing.done():
                            if importing is not None:
                                await importing  # the days in flight go on downloading meanwhile
                            importing = asyncio.create_task(import_group(group, bar))
                            group, group_bytes = [], 0
                    if importing is not None:
                        await importing
                    if group:
                        importing = asyncio.create_task(import_group(group, bar))
                        await importing
                finally:  # a failed download or Ctrl-C: the days importing now are let finish, not cut
                    for _, download in fetching:
                        download.cancel()
                    await asyncio.gather(*(download for _, download in fetching), return_exceptions=True)
                    if importing is not None:
                        await asyncio.gather(importing, return_exceptions=True)
    if missing:
        report.notes.append(f"{missing} day file{'s' * (missing != 1)} not published (404)")
    if unreadable:
        report.notes.append(f"{unreadable:,} unreadable rows skipped")
    return report


async def _fetch_day(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], path: Path, report: BackfillReport, sleep: Sleep
) -> bool:
    """_download with retries (a _Retry waits its Retry-After, else 2, 4, 8 s); BackfillError after
    the last."""
    attempt = 1
    while True:
        report.requests += 1
        try:
            return await _download(http, url, headers, path)
        except _Retry as exc:
            if attempt == TARDIS_RETRIES:
                raise BackfillError(f"GET {url}: {exc} (after {attempt} attempts)") from None
            await sleep(min(exc.after if exc.after is not None else 2.0**attempt, 60.0))
            attempt += 1

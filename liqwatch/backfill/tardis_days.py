"""Backfill from Tardis liquidation datasets: day files downloaded and imported side by side.

Each day's file (`/v1/{exchange}/liquidations/Y/M/D/{symbol}.csv.gz`) is inflated as it downloads
into a temporary CSV, DOWNLOADS days at a time. The whole backfill is one import session
(importer.ImportSession: `liqwatch import`'s own importer, rows read as Arrow columns by the venue
parsers' own rules; the same ids, prices and dead letters as importing the files by hand): the days
downloaded are added to it as a group whenever it is free (at most GROUP_BYTES wait for it) while
the next days download, and its one writer fills whole store batches across groups, so importing
goes at its steady rate and a backfill takes about the longer of downloading and importing, not
their sum. A day's mark is written once the store has committed its events and every earlier
day's (the session calls back after the batch holding the group's last event), so a killed
backfill resumes at the first day not stored. A body cut short is fetched again (nothing of it
was imported). A day that cannot be downloaded stops the backfill: the days before it are written
and marked. On any other error, or Ctrl-C, the events of the last, partial batch are dropped and
only the days already committed keep their marks.
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
from liqwatch.importer import ImportSession
from liqwatch.instruments import Catalogue
from liqwatch.store.base import Store

TARDIS_RETRIES = 4
DAY_MS = src.DAY_MS
# inflated bytes of day files that wait for the session at most: then the downloads wait for it (its
# temporary files would otherwise fill the disk when importing is the slower); one group downloads
# while the one before imports
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
    missing = 0
    importing: asyncio.Task[None] | None = None  # the days before, importing beside this download
    group: list[tuple[Path | None, str, int, str]] = []  # (file, None for a day not published; task; day; name)
    group_bytes = 0

    def import_group(session: ImportSession, days: list[tuple[Path | None, str, int, str]], bar: Steps) -> None:
        """On a thread: the days' files into the session; their marks once their events are committed."""

        def mark_days() -> None:  # on the session's writer thread, after the earlier groups' marks
            # a mark says "done until": each task's last day in the group stands for the days before it
            # (one store write, not one a day, on the thread whose writing is the import's last stage)
            ends = {task: day + DAY_MS for _, task, day, _ in days}
            for task, end in ends.items():
                store.write_mark(task, end, end)
            for *_, name in days:
                bar.step(name)

        files = [path for path, *_ in days if path is not None]
        session.add(files, on_stored=mark_days)
        for path in files:
            path.unlink()  # read whole: its events are in the session

    plan = [(task, exchange, symbol, day) for task, exchange, symbol, todo in jobs for day in todo]
    write_rest = False  # whether the session writes its last batch: not after an error of its own or Ctrl-C
    with tempfile.TemporaryDirectory(prefix="liqwatch-tardis-") as tmp, Steps("Tardis", len(plan), progress) as bar:
        session = ImportSession(store, catalogue=catalogue, dead_letters=dead_letters, workers=workers)
        try:
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
                                await asyncio.shield(importing)  # the days in flight go on downloading meanwhile
                            importing = asyncio.create_task(asyncio.to_thread(import_group, session, group, bar))
                            group, group_bytes = [], 0
                    if importing is not None:
                        await asyncio.shield(importing)
                    if group:
                        importing = asyncio.create_task(asyncio.to_thread(import_group, session, group, bar))
                        await asyncio.shield(importing)
                    write_rest = True
                except BackfillError:
                    write_rest = True  # a day that could not be downloaded: the days added before it are whole
                    raise
                finally:  # a failed download or Ctrl-C: the group importing now is let finish (shielded), not cut
                    for _, download in fetching:
                        download.cancel()
                    await asyncio.gather(*(download for _, download in fetching), return_exceptions=True)
                    if importing is not None:
                        imported, write_rest = write_rest, False  # until its thread is known to be done
                        await asyncio.gather(importing, return_exceptions=True)
                        write_rest = imported and not importing.cancelled() and importing.exception() is None
        finally:  # the last batch written (unless the session failed, or Ctrl-C), then its days' marks
            await asyncio.to_thread(session.close, write_rest)
    report.events += session.report.events
    report.stored += session.report.stored
    unreadable = session.report.bad_lines + session.report.bad_frames
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

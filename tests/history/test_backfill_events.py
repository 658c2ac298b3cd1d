"""Event backfills against local servers in the documented formats: Tardis datasets (downloaded
and imported by day groups, cut, missing days, keys, bad rows), OKX liquidation-orders paging, Deribit trades paging; and `run`'s own
downtime filled at start. Expected values are computed here from the rows the servers hold."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import time
from pathlib import Path

import pytest

from liqwatch import import_writer
from liqwatch.backfill import tardis_days
from liqwatch.backfill.common import BackfillError, BackfillReport
from liqwatch.backfill.downtime import fill_downtime
from liqwatch.backfill.events import deribit_backfill, okx_backfill
from liqwatch.backfill.tardis_days import tardis_backfill
from liqwatch.feed.backoff import Backoff
from liqwatch.feed.rest import RestClient
from liqwatch.instruments import bundled
from liqwatch.store.base import EventFilter, StoreError
from liqwatch.store.duckdb import DuckDBStore
from tests.analytics.factories import ev
from tests.history.http_server import Reply, Request, serving

D = 86_400_000
T0 = 1_704_067_200_000  # 2024-01-01
HEADER = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount"


def tardis_rows(day: int) -> list[tuple[str, int, str, float, float]]:
    """(symbol, ts ms, side, price, amount) of a day: a handful of Binance liquidations."""
    return [
        ("BTCUSDT", day + 1000 * (k + 1), "sell" if k % 3 else "buy", 40_000.0 + k, 0.5 + k / 100)
        for k in range((day // D) % 5 + 3)
    ]


def tardis_file(day: int) -> bytes:
    lines = [HEADER] + [
        f"binance-futures,{s},{ts * 1000},{ts * 1000 + 5},,{side},{price},{amount}"
        for s, ts, side, price, amount in tardis_rows(day)
    ]
    return gzip.compress(("\n".join(lines) + "\n").encode())


def tardis_handler(key: str | None, missing: set[int], cut_once: set[int]):
    def handle(request: Request, _: int) -> Reply:
        parts = request.path.split("/")  # /v1/{exchange}/liquidations/Y/M/D/{symbol}.csv.gz
        assert parts[1:4] == ["v1", "binance-futures", "liquidations"] and parts[-1] == "PERPETUALS.csv.gz"
        day = T0 + (int(parts[6]) - 1) * D + (int(parts[5]) - 1) * 31 * D  # January and February only
        if parts[6] != "01" and request.headers.get("authorization") != f"Bearer {key}":
            return Reply(401, b"unauthorized")
        if day in missing:
            return Reply(404, b"no such file")
        if day in cut_once:
            cut_once.discard(day)
            return Reply(200, tardis_file(day), cut=True)
        return Reply(200, tardis_file(day), {"Content-Type": "application/gzip"})

    return handle


def run_tardis(
    store: DuckDBStore, url: str, since: int, until: int, key: str | None = None, dead_letters: Path | None = None
):
    async def nap(_: float) -> None:
        await asyncio.sleep(0)

    return asyncio.run(
        tardis_backfill(
            store,
            bundled(),
            exchanges=["binance-futures"],
            symbols=["PERPETUALS"],
            since=since,
            until=until,
            api_key=key,
            base=url,
            sleep=nap,
            dead_letters=dead_letters,
        )
    )


def test_tardis_streams_days_through_cuts_and_missing_files(tmp_path: Path) -> None:
    days = [T0 + k * D for k in range(10)]
    with DuckDBStore(tmp_path / "t.duckdb") as store:
        with serving(tardis_handler("sekrit", {days[4]}, {days[2]})) as server:
            report = run_tardis(store, server.url, T0, T0 + 10 * D, key="sekrit")
            requested = len(server.paths())
        assert requested == 11  # ten days, one of them twice (cut the first time)
        assert "1 day file not published (404)" in report.describe()
        stored = list(store.events(EventFilter()))
        rows = [r for d in days if d != days[4] for r in tardis_rows(d)]
        assert len(stored) == len(rows) == report.stored
        assert sum(e.usd or 0 for e in stored) == pytest.approx(sum(p * a for _, _, _, p, a in rows))
        assert sum(e.side == "long" for e in stored) == sum(side == "sell" for _, _, side, _, _ in rows)
        with serving(tardis_handler("sekrit", set(), set())) as server:  # again: resumes after the last day
            again = run_tardis(store, server.url, T0, T0 + 10 * D, key="sekrit")
            assert server.paths() == [] and again.resumed and again.stored == 0


def test_tardis_days_one_group_each_or_all_in_one_store_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = [T0 + k * D for k in range(6)]
    stored = []
    for group_bytes in (1, tardis_days.GROUP_BYTES):  # a group a day, or every day in one
        monkeypatch.setattr(tardis_days, "GROUP_BYTES", group_bytes)
        with DuckDBStore(tmp_path / f"{group_bytes}.duckdb") as store:
            with serving(tardis_handler("k", set(), set())) as server:
                report = run_tardis(store, server.url, T0, T0 + 6 * D, key="k")
            stored.append(list(store.events(EventFilter())))
            assert report.stored == sum(len(tardis_rows(d)) for d in days)
            assert store.mark("tardis:binance-futures:PERPETUALS") == T0 + 6 * D
    assert stored[0] == stored[1]


def test_days_download_side_by_side_and_a_failed_day_stops_the_marks_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = [T0 + k * D for k in range(8)]
    at_once = [0, 0]  # (now, most)
    lock = threading.Lock()

    def handle(request: Request, _: int) -> Reply:
        day = T0 + (int(request.path.split("/")[6]) - 1) * D
        with lock:
            at_once[0] += 1
            at_once[1] = max(at_once)
        time.sleep(0.05)
        with lock:
            at_once[0] -= 1
        return Reply(503, b"down") if day == days[3] else Reply(200, tardis_file(day))

    monkeypatch.setattr(tardis_days, "GROUP_BYTES", 1)  # each day imported on its own
    with DuckDBStore(tmp_path / "t.duckdb") as store, serving(handle) as server:
        with pytest.raises(BackfillError, match="HTTP 503"):
            run_tardis(store, server.url, T0, T0 + 8 * D, key="k")
        assert at_once[1] > 1  # the days after the one that failed were downloading beside it
        assert store.mark("tardis:binance-futures:PERPETUALS") == days[3]  # resumes at the day that failed
        assert len(list(store.events(EventFilter()))) == sum(len(tardis_rows(d)) for d in days[:3])


TASK = "tardis:binance-futures:PERPETUALS"


def rows_before(mark: int | None, missing: frozenset[int] = frozenset()) -> int:
    """How many events the days before `mark` (a day's end, as marks are written) hold."""
    return sum(len(tardis_rows(d)) for d in range(T0, mark or T0, D) if d not in missing)


def wait_for_mark(store: DuckDBStore, at_least: int) -> None:
    """Until the backfill's mark is at least `at_least`, for up to 10 s."""
    for _ in range(1000):
        if (store.mark(TASK) or 0) >= at_least:
            return
        time.sleep(0.01)


def test_tardis_marks_follow_the_commits_when_groups_cross_store_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_writer, "BATCH", 5)  # less than most days: groups end inside batches
    monkeypatch.setattr(tardis_days, "GROUP_BYTES", 1)  # a group a day: many adds to the one session
    days = [T0 + k * D for k in range(12)]
    missing = frozenset({days[5]})  # a day not published: marked in its turn
    serve = tardis_handler("k", set(missing), set())
    seen: list[tuple[int | None, int]] = []  # (mark, events stored) as each day is asked for
    with DuckDBStore(tmp_path / "t.duckdb") as store:

        def handle(request: Request, before: int) -> Reply:
            if request.path.split("/")[6] == "12":  # asked for once days 0-5 are in the session
                wait_for_mark(store, days[4])
            mark = store.mark(TASK)  # the mark first: the events it claims are committed by then
            seen.append((mark, len(list(store.events(EventFilter())))))
            return serve(request, before)

        with serving(handle) as server:
            report = run_tardis(store, server.url, T0, T0 + 12 * D, key="k")
        assert store.mark(TASK) == T0 + 12 * D
        stored = list(store.events(EventFilter()))
        expected = rows_before(T0 + 12 * D, missing)
        assert len(stored) == len({e.id for e in stored}) == expected == report.stored == report.events
    assert any((mark or 0) >= days[4] for mark, _ in seen)  # marks were written while days downloaded
    assert all(count >= rows_before(mark, missing) for mark, count in seen)


def test_a_store_that_fails_mid_backfill_keeps_the_marks_of_the_days_it_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_writer, "BATCH", 4)
    monkeypatch.setattr(tardis_days, "GROUP_BYTES", 1)
    days = [T0 + k * D for k in range(10)]
    path = tmp_path / "t.duckdb"
    store = DuckDBStore(path)
    serve = tardis_handler("k", set(), set())

    def handle(request: Request, before: int) -> Reply:
        if request.path.split("/")[6] == "08":  # days[7]: days 0-6 go into the session while it is asked for
            wait_for_mark(store, days[5])  # the first five days committed and marked
            store.close()  # under the backfill: the store fails from now on
        return serve(request, before)

    with serving(handle) as server, pytest.raises(StoreError, match="closed"):
        run_tardis(store, server.url, T0, T0 + 10 * D, key="k")
    with DuckDBStore(path) as again:
        mark = again.mark(TASK)
        assert mark is not None and days[5] <= mark <= days[7]  # day 7's events came after the store failed
        before = [e for e in again.events(EventFilter()) if e.ts < mark]
        assert len(before) == len({e.id for e in before}) == rows_before(mark)


def test_a_bad_tardis_row_is_a_dead_letter_with_its_line(tmp_path: Path) -> None:
    def handle(request: Request, _: int) -> Reply:
        rows = gzip.decompress(tardis_file(T0)).decode().splitlines()
        rows[2] = rows[2].replace(",sell,", ",selll,").replace(",buy,", ",buyy,")
        return Reply(200, gzip.compress(("\n".join(rows) + "\n").encode()))

    letters = tmp_path / "dead-letters.jsonl"
    with DuckDBStore(tmp_path / "t.duckdb") as store, serving(handle) as server:
        report = run_tardis(store, server.url, T0, T0 + D, dead_letters=letters)
    assert report.stored == len(tardis_rows(T0)) - 1
    assert "1 unreadable rows skipped" in report.describe()
    [letter] = [json.loads(line) for line in letters.read_text().splitlines()]
    assert letter["line"] == 3 and "side" in letter["reason"]


def test_tardis_without_a_key_reads_the_first_day_of_each_month(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "t.duckdb") as store, serving(tardis_handler(None, set(), set())) as server:
        report = run_tardis(store, server.url, T0, T0 + 40 * D)
        assert sorted(r.path.split("/")[5:7] for r in server.paths()) == [["01", "01"], ["02", "01"]]
        assert report.stored == len(tardis_rows(T0)) + len(tardis_rows(T0 + 31 * D))
        assert "only the first day of each month" in report.describe()


def test_tardis_says_a_key_is_needed(tmp_path: Path) -> None:
    def handle(request: Request, _: int) -> Reply:
        return Reply(401, b"unauthorized")

    with (
        DuckDBStore(tmp_path / "t.duckdb") as store,
        serving(handle) as server,
        pytest.raises(BackfillError, match="needs a Tardis API key"),
    ):
        run_tardis(store, server.url, T0 + D, T0 + 2 * D, key="wrong")


# --- OKX ----------------------------------------------------------------------------------------


def okx_details(now: int) -> list[dict[str, str]]:
    """Thirty BTC-USDT-SWAP liquidations, a minute apart, newest first (as OKX lists them)."""
    return [
        {
            "bkPx": str(60_000 + k),
            "side": "sell" if k % 2 else "buy",
            "posSide": "",
            "sz": str(k + 1),
            "ts": str(now - k * 60_000),
        }
        for k in range(30)
    ]


def okx_handler(now: int, calls: list[dict[str, str]]):
    details = okx_details(now)

    def handle(request: Request, n: int) -> Reply:
        assert request.path == "/api/v5/public/liquidation-orders"
        calls.append(request.query)
        if n == 1:
            return Reply(429, b'{"code":"50011","msg":"Too Many Requests"}', {"Retry-After": "0"})
        q = request.query
        assert (q["instType"], q["state"]) == ("SWAP", "filled")
        after = int(q.get("after", 10**15))
        page = [d for d in details if int(d["ts"]) < after][: int(q["limit"]) // 10]  # pages of ten
        if q["instFamily"] != "BTC-USDT":
            page = []
        data = (
            [{"details": page, "instFamily": q["instFamily"], "instId": "BTC-USDT-SWAP", "instType": "SWAP"}]
            if page
            else []
        )
        return Reply(200, json.dumps({"code": "0", "msg": "", "data": data}).encode())

    return handle


def test_okx_pages_back_to_since(tmp_path: Path) -> None:
    now = T0 + 5 * D
    since = now - 25 * 60_000  # the 25 newest minutes: 26 liquidations (ts > since)
    calls: list[dict[str, str]] = []
    with DuckDBStore(tmp_path / "o.duckdb") as store, serving(okx_handler(now, calls)) as server:

        async def go() -> None:
            async with RestClient(backoff=lambda: Backoff(initial=0.01, cap=0.02)) as client:
                await okx_backfill(
                    store,
                    store.write_events,
                    client,
                    bundled(),
                    since=since,
                    now=now,
                    families=["BTC-USDT"],
                    base=server.url,
                    pace=0,
                )

        asyncio.run(go())
        stored = list(store.events(EventFilter()))
    expected = [d for d in okx_details(now) if int(d["ts"]) > since]
    assert len(stored) == len(expected) == 25
    # sz is in contracts of 0.01 BTC: USD = sz × 0.01 × bkPx; OKX's side is the ORDER's (buy closes a short)
    assert sum(e.usd or 0 for e in stored) == pytest.approx(sum(int(d["sz"]) * 0.01 * int(d["bkPx"]) for d in expected))
    assert sum(e.side == "short" for e in stored) == sum(d["side"] == "buy" for d in expected)
    assert [c.get("after") for c in calls if "after" in c][:1] == [str(now - 9 * 60_000)]


# --- Deribit --------------------------------------------------------------------------------------


def deribit_trades(start: int) -> list[dict[str, object]]:
    trades = []
    for k in range(25):
        trade: dict[str, object] = {
            "trade_id": f"ETH-{k}",
            "instrument_name": "ETH-PERPETUAL",
            "timestamp": start + k * 1000,
            "price": 3000.0 + k,
            "amount": 10.0 * (k + 1),
            "direction": "sell" if k % 2 else "buy",
            "trade_seq": k,
            "tick_direction": 0,
            "index_price": 3000.0,
            "mark_price": 3000.0,
        }
        if k % 4 == 0:
            trade["liquidation"] = "T"
        trades.append(trade)
    return trades


def test_deribit_pages_forward_and_resumes_from_its_mark(tmp_path: Path) -> None:
    start = T0 + 3 * D
    trades = deribit_trades(start + 1)

    def handle(request: Request, n: int) -> Reply:
        assert request.path == "/public/get_last_trades_by_currency_and_time"
        if n == 0:
            return Reply(200, b'{"jsonrpc":"2.0","result":{"trades":[{"trade_id"', cut=True)
        if n == 1:  # a whole reply whose liquidation trade does not parse: fetched again, not a crash
            garbled = [{**trades[0], "direction": "sideways"}]
            return Reply(200, json.dumps({"jsonrpc": "2.0", "result": {"trades": garbled, "has_more": True}}).encode())
        q = request.query
        lo, hi, count = int(q["start_timestamp"]), int(q["end_timestamp"]), 10
        page = [t for t in trades if lo <= int(t["timestamp"]) <= hi][:count]  # type: ignore[call-overload]
        more = len([t for t in trades if lo <= int(t["timestamp"]) <= hi]) > count  # type: ignore[call-overload]
        return Reply(200, json.dumps({"jsonrpc": "2.0", "result": {"trades": page, "has_more": more}}).encode())

    with DuckDBStore(tmp_path / "d.duckdb") as store, serving(handle) as server:

        async def go() -> None:
            async with RestClient(backoff=lambda: Backoff(initial=0.01, cap=0.02)) as client:
                await deribit_backfill(
                    store,
                    store.write_events,
                    client,
                    bundled(),
                    since=start,
                    now=start + D,
                    currencies=["ETH"],
                    base=server.url,
                    pace=0,
                )

        asyncio.run(go())
        stored = list(store.events(EventFilter()))
        liquidations = [t for t in trades if t.get("liquidation")]
        assert len(stored) == len(liquidations) == 7
        # inverse perpetual: amount is USD; a "T" trade's taker side: sell → a long was liquidated
        assert sum(e.usd or 0 for e in stored) == pytest.approx(sum(float(t["amount"]) for t in liquidations))  # type: ignore[arg-type]
        assert store.mark("deribit:ETH") == start + D


# --- run: downtime --------------------------------------------------------------------------------


def test_a_restarted_collector_fills_its_okx_downtime(tmp_path: Path) -> None:
    now = T0 + 5 * D
    calls: list[dict[str, str]] = []
    published: list[int] = []
    with DuckDBStore(tmp_path / "r.duckdb") as store, serving(okx_handler(now, calls)) as server:
        # the collector last stored an OKX event 20 minutes before it was restarted
        store.write_events([ev(now - 20 * 60_000, 5.0, venue="okx", symbol="BTC-USDT-SWAP", id="last-live")])
        catalogue = bundled()

        def publish(events: list) -> int:
            published.append(len(events))
            return store.write_events(events)

        async def go() -> None:
            async with RestClient(backoff=lambda: Backoff(initial=0.01, cap=0.02)) as client:
                await fill_downtime(
                    store, publish, client, catalogue, ["okx", "bybit"], now, rest_urls={"okx": server.url}
                )

        asyncio.run(go())
        filled = [e for e in store.events(EventFilter(since=now - 20 * 60_000)) if e.id != "last-live"]
    assert len(filled) == 20  # the minutes after the last stored event, up to the restart
    assert sum(published) == 20 and calls  # through the pipeline's publish


def test_a_new_store_has_no_downtime(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "n.duckdb") as store:

        async def go() -> list:
            async with RestClient() as client:
                return await fill_downtime(store, store.write_events, client, bundled(), ["okx"], T0)

        assert asyncio.run(go()) == []


def test_okx_events_with_impossible_times_are_left_out_with_a_note(tmp_path: Path) -> None:
    """The bound `run` and `import` apply holds for REST history too: an hour after the receive time
    (or before 2017) is a unit mix-up, not a liquidation to store."""
    now = T0 + 5 * D
    good = {"bkPx": "60000", "side": "sell", "posSide": "", "sz": "2", "ts": str(now - 60_000)}
    ahead = {**good, "ts": str(now + 3_600_000), "sz": "3"}

    def handle(request: Request, n: int) -> Reply:
        details = [ahead, good] if "after" not in request.query else []
        data = [{"details": details, "instFamily": "BTC-USDT", "instId": "BTC-USDT-SWAP", "instType": "SWAP"}]
        return Reply(200, json.dumps({"code": "0", "msg": "", "data": data if details else []}).encode())

    with DuckDBStore(tmp_path / "t.duckdb") as store, serving(handle) as server:

        async def go() -> BackfillReport:
            async with RestClient(backoff=lambda: Backoff(initial=0.01, cap=0.02)) as client:
                return await okx_backfill(
                    store,
                    store.write_events,
                    client,
                    bundled(),
                    since=now - D,
                    now=now,
                    families=["BTC-USDT"],
                    base=server.url,
                    pace=0,
                )

        report = asyncio.run(go())
        stored = list(store.events(EventFilter()))
    assert [e.ts for e in stored] == [now - 60_000]
    assert "1 okx event left out: implausible time" in report.describe()

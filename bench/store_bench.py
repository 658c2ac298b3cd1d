"""Store benchmark: import into DuckDB (fresh and all-duplicate re-import) and summary latency.

It generates N realistic events (heavy-tailed USD notional, ~50 coins with a Zipf-like mix,
8 venues, 30 days, ~1% without a USD value, unique ids), in time order as a replay of capture
journals delivers them, and measures through the public Store API:

- import, fresh: `write_events` in batches of --batch events (generation time excluded);
- import, again: the same events once more (all duplicates: nothing is stored, dedup is the work);
- summary: `summary(at, 1h/4h/12h/24h)` at the end of the data, median of --runs, both at the
  newest event's ts (windows with raw edges) and at the hour boundary before it;
- a live-style write: 100 new events at the end of the data (one pipeline flush).

    python bench/store_bench.py                     # 1M and 10M events
    python bench/store_bench.py --sizes 200000 --runs 5
    python bench/store_bench.py --dir /tmp/lw --keep
    python bench/store_bench.py --store postgres            # a throw-away PostgreSQL cluster (Debian binaries)
    python bench/store_bench.py --store both --pg postgresql://user@host/db   # a server of yours

Progress goes to stderr; the Markdown table goes to stdout. Budgets (design.md / the store brief):
import >= 250k events/s with dedup, summary <= 100 ms over 10M stored events.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from liqwatch.analytics.summary import parse_windows
from liqwatch.model import Liquidation
from liqwatch.store.base import Store
from liqwatch.store.duckdb import DuckDBStore

IMPORT_BUDGET = 250_000  # events/s
SUMMARY_BUDGET_MS = 100.0
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
SPAN_MS = 30 * 86_400_000
WINDOWS = parse_windows("1h,4h,12h,24h")

VENUES = [  # (venue, coverage, quote suffix, share of events)
    ("binance_usdm", "sampled", "USDT", 0.30),
    ("bybit", "complete", "USDT", 0.22),
    ("okx", "complete", "-USDT-SWAP", 0.14),
    ("binance_coinm", "sampled", "USD_PERP", 0.08),
    ("bitget", "complete", "USDT", 0.09),
    ("gate", "complete", "_USDT", 0.08),
    ("bitmex", "complete", "USD", 0.05),
    ("hyperliquid", "complete", "", 0.04),
]
COINS = [  # (coin, typical price)
    ("BTC", 97_000.0), ("ETH", 3_400.0), ("SOL", 190.0), ("XRP", 2.3), ("DOGE", 0.32), ("BNB", 690.0),
    ("ADA", 0.95), ("SUI", 4.1), ("PEPE", 0.00002), ("LINK", 23.0), ("AVAX", 38.0), ("WIF", 2.1),
    ("TRX", 0.25), ("LTC", 105.0), ("DOT", 7.1), ("BCH", 450.0), ("NEAR", 5.2), ("APT", 9.0),
    ("ARB", 0.8), ("OP", 1.9), ("TON", 5.5), ("HYPE", 25.0), ("ENA", 1.1), ("FARTCOIN", 1.3),
    ("TIA", 5.0), ("SEI", 0.45), ("INJ", 22.0), ("AAVE", 350.0), ("UNI", 14.0), ("FIL", 5.0),
    ("ETC", 27.0), ("ATOM", 6.5), ("XLM", 0.4), ("HBAR", 0.28), ("ONDO", 1.4), ("WLD", 2.3),
    ("RENDER", 7.0), ("FET", 1.3), ("TAO", 460.0), ("JUP", 0.9), ("BONK", 0.00003), ("ORDI", 25.0),
    ("MKR", 1_600.0), ("CRV", 0.9), ("LDO", 1.9), ("STX", 1.6), ("IMX", 1.3), ("POPCAT", 0.9),
    ("KAS", 0.12), ("VIRTUAL", 2.5),
]  # fmt: skip
COIN_WEIGHTS = [1.0 / (rank + 1) ** 1.1 for rank in range(len(COINS))]
VENUE_WEIGHTS = [share for *_, share in VENUES]


def log(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def generate(n: int, chunk: int, seed: int = 7) -> Iterator[list[Liquidation]]:
    """n events in ts order, `chunk` at a time; the same (n, chunk, seed) gives the same events."""
    for k in range((n + chunk - 1) // chunk):
        yield generate_chunk(n, chunk, k, seed)


def generate_chunk(n: int, chunk: int, k: int, seed: int = 7) -> list[Liquidation]:
    chunks = (n + chunk - 1) // chunk
    rng = random.Random(seed * 1_000_003 + k)
    size = min(chunk, n - k * chunk)
    start = T0 + SPAN_MS * k // chunks
    stop = T0 + SPAN_MS * (k + 1) // chunks
    stamps = sorted(rng.randrange(start, stop) for _ in range(size))
    venues = rng.choices(VENUES, VENUE_WEIGHTS, k=size)
    coins = rng.choices(COINS, COIN_WEIGHTS, k=size)
    out = []
    for i, (ts, (venue, coverage, quote, _), (coin, ref)) in enumerate(zip(stamps, venues, coins, strict=True)):
        price = round(ref * (1 + rng.gauss(0, 0.02)), 8)
        notional = min(rng.paretovariate(1.15) * 40.0, 150_000_000.0)  # heavy tail: median ~$70
        qty = round(notional / price, 3) or 0.001
        usd: float | None = round(qty * price, 8)
        qty_out: float | None = qty
        if rng.random() < 0.01:  # unknown contract size: no USD value
            usd = qty_out = None
        side = "long" if rng.random() < 0.55 else "short"
        out.append(
            Liquidation(
                venue,
                f"{coin}{quote}",
                coin,
                side,  # type: ignore[arg-type]
                price,
                qty_out,
                usd,
                ts,
                ts + rng.randrange(20, 400),
                coverage,  # type: ignore[arg-type]
                f"{venue}:{coin}{quote}:{ts}:{side}:{qty}:{k}.{i}",
            )
        )
    return out


def timed_import(store: Store, n: int, batch: int) -> tuple[float, int, float]:
    """(seconds in write_events, events reported new, seconds generating)."""
    spent = gen_spent = 0.0
    new = 0
    t = time.perf_counter()
    for events in generate(n, batch):
        gen_spent += time.perf_counter() - t
        t = time.perf_counter()
        new += store.write_events(events)
        spent += time.perf_counter() - t
        t = time.perf_counter()
    return spent, new, gen_spent


def median_ms(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """(first call ms, median ms of `runs` further calls)."""
    t = time.perf_counter()
    call()
    first = (time.perf_counter() - t) * 1e3
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        call()
        times.append((time.perf_counter() - t) * 1e3)
    return first, statistics.median(times)


def run_size(n: int, folder: Path, batch: int, runs: int, keep: bool, pg: str | None = None) -> dict[str, float]:
    path = folder / f"bench_{n}.duckdb"
    for stale in (path, Path(f"{path}.wal")):
        stale.unlink(missing_ok=True)
    opener: Callable[[], Store] = partial(DuckDBStore, path)
    if pg is not None:
        from liqwatch.store.postgres import PostgresStore
        from tests.store.pgserver import fresh_database

        dsn = fresh_database(pg, prefix="liqwatch_bench")
        opener = partial(PostgresStore, dsn, batch_size=batch)
    log(f"== {n:,} events → {dsn if pg else path}")
    result: dict[str, float] = {"n": n, "postgres": float(pg is not None)}
    with opener() as store:
        gc.collect()
        spent, new, gen = timed_import(store, n, batch)
        assert new == n, (new, n)
        result["fresh_eps"] = n / spent
        log(f"fresh import: {spent:.1f} s = {n / spent:,.0f} events/s (generation {gen:.1f} s excluded)")
        spent, new, _ = timed_import(store, n, batch)
        assert new == 0, new
        assert store.count() == n
        result["again_eps"] = n / spent
        log(f"re-import (all duplicates): {spent:.1f} s = {n / spent:,.0f} events/s")
    if pg is not None:
        import psycopg

        with psycopg.connect(dsn) as con:
            size = con.execute("SELECT pg_database_size(current_database())").fetchone()
            result["file_mb"] = (size[0] if size else 0) / 1e6
    else:
        wal = Path(f"{path}.wal")
        result["file_mb"] = (path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)) / 1e6
    with opener() as store:  # reopened: cold caches (of this process) for the first summary
        newest = max(e.ts for e in generate_chunk(n, batch, (n + batch - 1) // batch - 1))
        for name, at in (("edge", newest), ("hour", newest // 3_600_000 * 3_600_000)):
            first, med = median_ms(partial(store.summary, at, WINDOWS), runs)
            result[f"summary_{name}_first_ms"] = first
            result[f"summary_{name}_ms"] = med
            log(f"summary at {name}: first {first:.1f} ms, median {med:.1f} ms")
        s = store.summary(newest, WINDOWS)
        log("  24h:", f"${s.windows[-1].total_usd:,.0f}", f"{s.windows[-1].count:,} events")
        live = [
            Liquidation(
                "bybit", "BTCUSDT", "BTC", "long", 97_000.0, 0.01, 970.0, newest + i, newest + i + 50,
                "complete", f"live:{i}",
            )
            for i in range(1, 101)
        ]  # fmt: skip
        t = time.perf_counter()
        store.write_events(live)
        result["live_write_ms"] = (time.perf_counter() - t) * 1e3
        log(f"live write of 100 events: {result['live_write_ms']:.1f} ms")
    if not keep:
        path.unlink(missing_ok=True)
        Path(f"{path}.wal").unlink(missing_ok=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,10000000", help="comma-separated event counts")
    parser.add_argument(
        "--batch", type=int, default=50_000, help="events per write_events call (liqwatch import uses 50,000)"
    )
    parser.add_argument("--runs", type=int, default=9, help="summary runs for the median")
    parser.add_argument("--dir", type=Path, default=None, help="where the DuckDB files go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the DuckDB files")
    parser.add_argument("--store", choices=("duckdb", "postgres", "both"), default="duckdb")
    parser.add_argument("--pg", default=None, help="PostgreSQL server URL (default: a throw-away cluster)")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="liqwatch-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    cluster = None
    pg = args.pg
    if args.store != "duckdb" and pg is None:
        from tests.store import pgserver

        cluster = pgserver.start(durable=True)
        pg = cluster.dsn
    kinds = {"duckdb": [None], "postgres": [pg], "both": [None, pg]}[args.store]
    try:
        results = [
            run_size(int(n), folder, args.batch, args.runs, args.keep, kind)
            for n in args.sizes.split(",")
            for kind in kinds
        ]
    finally:
        if cluster is not None:
            cluster.stop()
    import duckdb

    print(
        f"\nStore benchmark: Python {platform.python_version()}, DuckDB {duckdb.__version__}, "
        f"{os.cpu_count()} CPUs, batches of {args.batch:,}, summary 1h/4h/12h/24h, median of {args.runs}\n"
    )
    columns = [
        "store",
        "events",
        "import fresh (ev/s)",
        "re-import, all dups (ev/s)",
        "summary at newest event (ms)",
        "summary at hour boundary (ms)",
        "first summary after open (ms)",
        "live write of 100 (ms)",
        "file (MB)",
    ]
    print("| " + " | ".join(columns) + " |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {'PostgreSQL' if r['postgres'] else 'DuckDB'} "
            f"| {int(r['n']):,} | {r['fresh_eps']:,.0f} | {r['again_eps']:,.0f} | {r['summary_edge_ms']:.1f} "
            f"| {r['summary_hour_ms']:.1f} | {r['summary_edge_first_ms']:.1f} | {r['live_write_ms']:.1f} "
            f"| {r['file_mb']:,.0f} |"
        )
    worst = min(min(r["fresh_eps"], r["again_eps"]) for r in results)
    slowest = max(max(r["summary_edge_ms"], r["summary_hour_ms"]) for r in results)
    print(
        f"\nBudgets: import >= {IMPORT_BUDGET:,}/s: {'met' if worst >= IMPORT_BUDGET else 'MISSED'} "
        f"(worst {worst:,.0f}/s); summary <= {SUMMARY_BUDGET_MS:.0f} ms: "
        f"{'met' if slowest <= SUMMARY_BUDGET_MS else 'MISSED'} (worst median {slowest:.1f} ms)"
    )


if __name__ == "__main__":
    main()

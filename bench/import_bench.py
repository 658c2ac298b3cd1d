"""Import benchmark: `liqwatch import` end to end against parsing alone, on the same frames, in one run.

Frames: the real Binance USD-M `forceOrder` messages recorded in ../shared/data/tardis_node_fixtures
(tardis-node's test messages, as received on the combined stream), each repeated with a distinct
time and size so that every frame is its own liquidation; without ../shared, parse_bench's
generated frames (the output says which). The same liquidations are also written as a Tardis
liquidations CSV (.csv.gz) and imported, for the backfill path.

Printed, interleaved over `--runs` rounds (the machine is shared: the best round of each is kept):
- parse only: the frames, already in memory, through the venue parser (the reference rate);
- import: a gzip capture journal of those frames → `import_files` → a fresh DuckDB file (read,
  decode, parse, dedup, store, rollups, the closing checkpoint), and the same file again (every
  event already stored);
  then into a fresh file with no worker processes (`--workers 0`: decoded and parsed in process);
- Tardis CSV: the .csv.gz through `import_files` into a fresh DuckDB file.

    python bench/import_bench.py                       # 500,000 frames, 3 rounds
    python bench/import_bench.py --frames 200000 --runs 1
    python bench/import_bench.py --generated           # parse_bench's generated frames
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent))

import parse_bench

from liqwatch.importer import import_files
from liqwatch.instruments import Catalogue, bundled
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.venues import REGISTRY

VENUE = "binance_usdm"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "tardis_node_fixtures" / "liquidation_messages.jsonl"
T0 = 1_767_225_600_000  # 2026-01-01T00:00Z


def recorded_templates() -> list[dict[str, object]]:
    """The recorded Binance USD-M forceOrder messages (combined-stream envelope), or []."""
    if not SHARED.exists():
        return []
    found = []
    for line in SHARED.read_text().splitlines():
        record = json.loads(line)
        message = record.get("message", {})
        if "binance futures" in record.get("tardis_test", "") and "forceOrder" in str(message.get("stream", "")):
            found.append(message)
    return found


def frames_from(templates: list[dict[str, object]], n: int) -> list[tuple[int, str]]:
    """n distinct frames: the templates in turn, each with its own time and size."""
    out = []
    for i in range(n):
        message = json.loads(json.dumps(templates[i % len(templates)]))
        data = message["data"]
        order = data["o"]
        ts = T0 + i * 3
        order["T"] = ts
        data["E"] = ts + 2
        size = f"{float(order['z']) + (i % 997) / 1000:.3f}"
        order["z"] = order["l"] = order["q"] = size
        out.append((ts + 5, json.dumps(message, separators=(",", ":"))))
    return out


def generated(n: int, catalogue: Catalogue) -> list[tuple[int, str]]:
    generate, markets = parse_bench.GENERATORS[VENUE]
    work = generate(VENUE, list(markets), n, 7, catalogue)
    return [(parse_bench.T0 + 3 * i, frame) for i, frame in enumerate(work.frames)]


def write_journal(path: Path, frames: list[tuple[int, str]]) -> None:
    encode = msgspec.json.Encoder().encode
    with gzip.open(path, "wb", compresslevel=6) as stream:
        stream.write(b"".join(encode({"ts": ts, "venue": VENUE, "frame": f}) + b"\n" for ts, f in frames))


def write_tardis(path: Path, frames: list[tuple[int, str]], catalogue: Catalogue) -> int:
    """The same liquidations as a Tardis liquidations CSV (gzip); returns the rows written."""
    parse = REGISTRY[VENUE].parse
    rows = ["exchange,symbol,timestamp,local_timestamp,id,side,price,amount"]
    for ts, frame in frames:
        for e in parse(frame, ts, catalogue):
            side = "sell" if e.side == "long" else "buy"
            rows.append(f"binance-futures,{e.symbol},{e.ts * 1000},{e.recv_ts * 1000},,{side},{e.price!r},{e.qty!r}")
    with gzip.open(path, "wt", compresslevel=6) as stream:
        stream.write("\n".join(rows) + "\n")
    return len(rows) - 1


Rate = tuple[float, float]  # frames per second of wall-clock time, of CPU time (all threads and workers)


def cpu_seconds() -> float:
    """CPU time of this process and of its worker processes that have ended."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(n: int, work: Callable[[], object]) -> Rate:
    wall, cpu = time.perf_counter(), cpu_seconds()
    work()
    return n / (time.perf_counter() - wall), n / (cpu_seconds() - cpu)


def parse_only(frames: list[tuple[int, str]], catalogue: Catalogue) -> Rate:
    parse = REGISTRY[VENUE].parse

    def work() -> None:
        for ts, frame in frames:
            parse(frame, ts, catalogue)

    return timed(len(frames), work)


def imported(
    files: list[Path], db: Path, catalogue: Catalogue, n: int, again: bool, workers: int | None = None
) -> list[Rate]:
    """Rates of a fresh import, and of the same files again (when `again`), each as `liqwatch import`
    does it: the store opened, the files imported, the store closed (DuckDB's closing checkpoint)."""
    rates: list[Rate] = []
    for _ in range(2 if again else 1):
        report = None

        def work() -> None:
            nonlocal report
            with DuckDBStore(db) as store:
                report = import_files(files, store, catalogue=catalogue, workers=workers)

        rates.append(timed(n, work))
        assert report is not None and report.frames == n and not report.bad_frames, report
    db.unlink()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--generated", action="store_true", help="parse_bench's generated frames, not the recorded")
    args = parser.parse_args()
    catalogue = bundled()
    templates = [] if args.generated else recorded_templates()
    if templates:
        frames = frames_from(templates, args.frames)
        source = f"{len(templates)} recorded Binance USD-M forceOrder messages ({SHARED.parent.name}), varied"
    else:
        frames = generated(args.frames, catalogue)
        source = "parse_bench's generated Binance USD-M frames"
    best: dict[str, Rate] = {}
    with tempfile.TemporaryDirectory() as tmp:
        journal = Path(tmp) / "2026-01-01.jsonl.gz"
        write_journal(journal, frames)
        journal_mb = journal.stat().st_size / 1e6
        csv_path = Path(tmp) / "binance-futures_liquidations_2026-01-01_BTCUSDT.csv.gz"
        rows = write_tardis(csv_path, frames, catalogue)
        csv_mb = csv_path.stat().st_size / 1e6
        n = len(frames)
        for _ in range(args.runs):
            rates = {"parse only": parse_only(frames, catalogue)}
            fresh, again = imported([journal], Path(tmp) / "j.duckdb", catalogue, n, True)
            rates["import, fresh store"], rates["import, all already stored"] = fresh, again
            (rates["import, fresh store, one process (--workers 0)"],) = imported(
                [journal], Path(tmp) / "o.duckdb", catalogue, n, False, workers=0
            )
            (rates["Tardis CSV import, fresh store"],) = imported(
                [csv_path], Path(tmp) / "t.duckdb", catalogue, rows, False
            )
            for label, (wall, cpu) in rates.items():
                kept = best.get(label, (0.0, 0.0))
                best[label] = (max(kept[0], wall), max(kept[1], cpu))
    wall_ref, cpu_ref = best["parse only"]
    print(f"{args.frames:,} frames: {source}; best of {args.runs} interleaved rounds")
    print(f"journal: {journal_mb:.1f} MB of gzip")
    print("| path | frames/s (wall) | × parse only | frames/s of CPU (workers too) | × parse only |")
    print("|---|---:|---:|---:|---:|")
    for label, (wall, cpu) in best.items():
        print(f"| {label} | {wall:,.0f} | {wall / wall_ref:.2f} | {cpu:,.0f} | {cpu / cpu_ref:.2f} |")
    csv_seconds = rows / best["Tardis CSV import, fresh store"][0]
    print(
        f"Tardis CSV: {rows:,} rows in {csv_mb:.1f} MB of gzip imported in {csv_seconds:.1f} s (one symbol: few "
        "hourly rollup rows to write; bench/tardis_backfill_bench.py has a month of 250 symbols against a download)"
    )
    ratio = best["import, fresh store"][0] / wall_ref
    print(f"import ÷ parse only (wall) = {ratio:.2f} (budget ≥ 0.5): {'met' if ratio >= 0.5 else 'NOT met'}")
    print(f"load average during the run: {Path('/proc/loadavg').read_text().split()[0]} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

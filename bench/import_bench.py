"""Import benchmark: a capture journal of every venue → `liqwatch import` → DuckDB, then again.

Builds a gzip capture journal (design.md's format) from parse_bench's realistic frame generators,
then measures the whole `liqwatch import` path (read the journal, parse every frame, dedup, write
to a fresh DuckDB file) and a second import of the same file (every event already stored).

    python bench/import_bench.py                    # 1,000,000 frames across all venues
    python bench/import_bench.py --frames 200000 --venues binance_usdm
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent))

import parse_bench

from liqwatch.importer import import_files
from liqwatch.instruments import bundled
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.venues import REGISTRY


def build_journal(path: Path, venues: list[str], frames: int, seed: int) -> tuple[int, object]:
    catalogue = bundled()
    per_venue = frames // len(venues)
    records = []
    for i, venue in enumerate(venues):
        generate, markets = parse_bench.GENERATORS[venue]
        work = generate(venue, list(markets), per_venue, seed + i, catalogue)
        base = parse_bench.T0 + i  # interleave venues in receive order
        records.extend((base + 7 * n, venue, frame) for n, frame in enumerate(work.frames))
    records.sort()
    encode = msgspec.json.Encoder().encode
    with gzip.open(path, "wb", compresslevel=1) as stream:
        for ts, venue, frame in records:
            stream.write(encode({"ts": ts, "venue": venue, "frame": frame}) + b"\n")
    return len(records), catalogue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=1_000_000)
    parser.add_argument("--venues", default=",".join(v for v in REGISTRY if v in parse_bench.GENERATORS))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    venues = [v.strip() for v in args.venues.split(",") if v.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        journal = Path(tmp) / "2026-01-01.jsonl.gz"
        count, catalogue = build_journal(journal, venues, args.frames, args.seed)
        store = DuckDBStore(Path(tmp) / "bench.duckdb")
        store.write_instruments(catalogue.instruments())  # type: ignore[attr-defined]
        rows = []
        for label in ("fresh store", "same file again (all duplicates)"):
            started = time.perf_counter()
            report = import_files([journal], store, catalogue=catalogue)  # type: ignore[arg-type]
            seconds = time.perf_counter() - started
            rows.append((label, report.frames, report.events, report.stored, seconds))
        store.close()
    print(f"| import of a {count:,}-frame gzip journal ({', '.join(venues)}) | frames/s | events/s | new events |")
    print("|---|---:|---:|---:|")
    for label, frames, events, stored, seconds in rows:
        print(f"| {label} | {frames / seconds:,.0f} | {events / seconds:,.0f} | {stored:,} |")


if __name__ == "__main__":
    main()

"""Old and new parsers side by side, and real recorded frames, for bench/parse_bench.py.

`baseline_parsers(ref)` loads the venue modules of git revision `ref` (e.g. `main`) from
`git archive` into this process under private module names, so the old and the new parse
functions are timed round-robin in the same run on the same frames. The old modules import the
shared modules (numbers, instruments, model, venues.base, venues.routes) of THIS checkout: what is
measured is each venue module's own parse code. The registry's plausibility bounds are applied as
the old registry applied them (`checked_parse`, else a wrapper).

`real_frames(venue)` returns the recorded frames ../shared holds for a venue: tardis-node's test
corpus (data/tardis_node_fixtures) and the research fixtures (research/fixtures/<venue>_…), only
those that yield at least one event. They are few per venue, so a workload cycles them.
"""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from liqwatch.instruments import Catalogue
from liqwatch.venues import MAX_USD, MIN_TS, plausible
from liqwatch.venues.base import VenueSpec

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "data" / "tardis_node_fixtures" / "liquidation_messages.jsonl"
RESEARCH = SHARED / "research" / "fixtures"

# tardis-node test name prefix → liqwatch venue id
TARDIS_VENUES = {
    "map binance futures": "binance_usdm",
    "map binance delivery": "binance_coinm",
    "map bybit": "bybit",
    "map okex-futures": "okx",
    "map okex-swap": "okx",
    "map bitmex": "bitmex",
    "map deribit": "deribit",
    "map bitget-futures": "bitget",
    "map aster": "aster",
}

Parse = Callable[[str, int, Catalogue], list[Any]]


def baseline_parsers(ref: str) -> dict[str, Parse]:
    """venue id → that venue's registered parse at git revision `ref` (venues it did not have: absent)."""
    tar = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "liqwatch/venues"], check=True, capture_output=True
    ).stdout
    where = Path(tempfile.mkdtemp(prefix="liqwatch-baseline-"))
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(where, filter="data")
    out: dict[str, Parse] = {}
    for path in sorted((where / "liqwatch" / "venues").glob("*.py")):
        if path.stem.startswith("_") or path.stem in ("base", "routes", "ids"):
            continue
        name = f"liqwatch_baseline_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        for value in vars(module).values():
            if isinstance(value, VenueSpec) and value.id not in out:
                checked = getattr(value, "checked_parse", None)
                out[value.id] = checked(MAX_USD, MIN_TS) if checked is not None else plausible(value.parse)
    shutil.rmtree(where)  # the modules are loaded: their source is no longer needed
    return out


def real_frames(venue: str, parse: Parse, cat: Catalogue) -> list[str]:
    """The recorded frames of `venue` in ../shared that `parse` turns into at least one event."""
    candidates: list[str] = []
    if CORPUS.exists():
        for line in CORPUS.read_text().splitlines():
            record = json.loads(line)
            if any(record["tardis_test"].startswith(p) and v == venue for p, v in TARDIS_VENUES.items()):
                candidates.append(json.dumps(record["message"], separators=(",", ":")))
    if RESEARCH.exists():
        for path in sorted(RESEARCH.glob(f"{venue}_*.json")):
            if "rest" in path.name or not any(k in path.name for k in ("forceorder", "liquidat", "trades")):
                continue
            candidates.append(json.dumps(json.loads(path.read_text()), separators=(",", ":")))
    out = []
    for frame in candidates:
        try:
            if parse(frame, 1_767_225_600_000, cat):
                out.append(frame)
        except ValueError:
            continue
    return out

"""Golden files: every fixture frame next to the normalized events it must give.

`fixtures/<venue_id>/<name>.json` holds one exact frame; `<name>.expected.jsonl` the events
(recv_ts RECV_TS, parsed with the bundled catalogue). Regenerate after a reviewed change with
`LIQWATCH_UPDATE_GOLDEN=1 pytest tests/venues` and read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from liqwatch.instruments import Catalogue, bundled
from liqwatch.model import Liquidation
from liqwatch.venues import spec

FIXTURES = Path(__file__).parent / "fixtures"
RECV_TS = 1_700_000_000_000
UPDATE = os.environ.get("LIQWATCH_UPDATE_GOLDEN") == "1"


def frames() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/*.json"))


def parse_fixture(path: Path, catalogue: Catalogue | None = None) -> list[Liquidation]:
    return spec(path.parent.name).parse(path.read_bytes().strip(), RECV_TS, catalogue or bundled())


def encode(events: list[Liquidation]) -> str:
    return "".join(msgspec.json.encode(e).decode() + "\n" for e in events)


def check_golden(path: Path) -> None:
    got = encode(parse_fixture(path))
    golden = path.with_suffix(".expected.jsonl")
    if UPDATE or not golden.exists():
        golden.write_text(got)
    assert got == golden.read_text(), f"{path.name}: output differs from {golden.name}"

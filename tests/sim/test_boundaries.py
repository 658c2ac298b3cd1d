"""The simulator's pure part (tapes, encoders, protocols, REST answers, fault plans) does no I/O:
only `liqwatch.sim.server` (and the `console` front end) opens sockets or files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_boundaries import IO_MODULES, imported

SIM = Path(__file__).resolve().parents[2] / "liqwatch" / "sim"
PURE = [
    "markets.py",
    "model.py",
    "tape.py",
    "encode.py",
    *(f"protocol/{p.name}" for p in sorted((SIM / "protocol").glob("*.py"))),
    *(f"rest/{p.name}" for p in sorted((SIM / "rest").glob("*.py"))),
    "faults.py",
]


@pytest.mark.parametrize("module", PURE)
def test_pure_simulator_modules_import_no_io(module: str) -> None:
    assert not imported(SIM / module) & (IO_MODULES | {"pathlib", "threading"})
    assert "liqwatch.feed" not in (SIM / module).read_text()

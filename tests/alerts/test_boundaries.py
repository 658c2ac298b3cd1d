"""The alert rules and payloads are the functional core: they import no I/O library."""

from __future__ import annotations

import pytest

from tests.test_boundaries import IO_MODULES, PACKAGE, imported

PURE = ["alerts/model.py", "alerts/rules.py", "alerts/bursts.py", "alerts/format.py"]


@pytest.mark.parametrize("module", PURE)
def test_alert_core_imports_no_io(module: str) -> None:
    assert not imported(PACKAGE / module) & (IO_MODULES | {"http", "urllib", "sys"})

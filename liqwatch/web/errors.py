"""How the API says no, declared once so the OpenAPI schema tells the truth about it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from liqwatch.venues import VENUE_IDS


class ErrorBody(BaseModel):
    """What every rejected request gets: one line naming the parameter and why."""

    detail: str


BAD_PARAMETER: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "A bad parameter: one line naming it and why."}
}


# What a parameter may look like, published in the OpenAPI schema (the parsers in params.py still
# check values: a date that does not exist passes the pattern and is refused with a one-line 422).
_VENUE = "(" + "|".join(VENUE_IDS) + ")"  # every registered venue, so a new one is never refused
_KNOWN = ", ".join(VENUE_IDS)
_CLOCK = r"[T ]([01][0-9]|2[0-3])(:[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?)?([Zz]|[+-][01][0-9]:?[0-5][0-9])?"
_DATE = r"[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"  # 2026-02-30 passes, then the parser refuses it
_EPOCH_MS = r"[1-9][0-9]{11,13}|2[0-4][0-9]{13}|25[0-2][0-9]{12}"  # 1e11 .. 2.53e14 (year 1973 .. 9999)
TIME_PATTERN = rf"^({_EPOCH_MS}|{_DATE}({_CLOCK})?)$"
WINDOW_PATTERN = r"^[1-9][0-9]{0,6}[smhdw]$"
WINDOWS_PATTERN = r"^[1-9][0-9]{0,6}[smhdw](,[1-9][0-9]{0,6}[smhdw])*$"
COIN_PATTERN = r"^[A-Za-z0-9]{1,20}$"
COINS_PATTERN = r"^[A-Za-z0-9]{1,20}(,[A-Za-z0-9]{1,20})*$"
VENUES_PATTERN = rf"^{_VENUE}(,{_VENUE})*$"
VENUE_PATTERN = rf"^{_VENUE}$"
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{4,600}={0,2}$"

PATTERN_MEANS = {
    TIME_PATTERN: "a time: ISO 8601 (2026-11-21T08:00:00Z) or epoch milliseconds",
    WINDOW_PATTERN: "a window: a whole number and s, m, h, d or w, e.g. 4h",
    WINDOWS_PATTERN: "windows: comma-separated, e.g. 1h,4h,12h,24h",
    COIN_PATTERN: "a coin (letters and digits, e.g. BTC)",
    COINS_PATTERN: "a coin (letters and digits, e.g. BTC; several: BTC,ETH)",
    VENUES_PATTERN: f"a venue id ({_KNOWN}; several: comma-separated)",
    VENUE_PATTERN: f"one venue id ({_KNOWN})",
    CURSOR_PATTERN: "a cursor from this API (pass next_cursor back unchanged)",
}


def one_line(error: dict[str, Any]) -> str:
    """A request validation error as one line: `coin: 'B-T' is not a coin (letters and digits, e.g. BTC)`."""
    loc = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body")]
    name = ".".join(loc) or "request"
    pattern = (error.get("ctx") or {}).get("pattern")
    if error.get("type") == "string_pattern_mismatch" and pattern in PATTERN_MEANS:
        return f"{name}: {error.get('input')!r} is not {PATTERN_MEANS[pattern]}"
    return f"{name}: {error.get('msg', 'invalid')}"

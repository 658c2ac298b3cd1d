"""Query parameters of the HTTP API: parsed and checked here, one clear line per mistake (pure).

Every function raises ParamError(name, why); the app turns it into a 422 `{"detail": "name: why"}`.
"""

from __future__ import annotations

import base64
import binascii
import math
import re

from liqwatch.analytics.summary import Window, parse_window, parse_windows
from liqwatch.queries import EventKey
from liqwatch.timeparse import parse_time
from liqwatch.venues import VENUE_IDS

MAX_TIME_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z: keeps every sum of times in a BIGINT
MAX_WINDOW_MS = 3_650 * 86_400_000  # ten years
INTERVALS = {"5m": 300_000, "15m": 900_000, "1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000}
PRICE_INTERVALS = ("5m", "1h", "1d")
MAX_POINTS = 10_000
_COIN = re.compile(r"^[A-Z0-9]{1,20}$")


class ParamError(ValueError):
    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"{name}: {why}")
        self.name = name
        self.why = why


def time_param(name: str, value: str | None) -> int | None:
    """ISO 8601 or epoch ms, within years 1970–9999."""
    if value is None or value == "":
        return None
    try:
        ms = parse_time(value)
    except ValueError as exc:
        raise ParamError(name, str(exc)) from None
    except OverflowError:
        raise ParamError(name, f"{value!r} is out of range") from None
    if not 0 <= ms <= MAX_TIME_MS:
        raise ParamError(name, f"{value!r} is outside 1970-01-01 … 9999-12-31")
    return ms


def time_range(since: str | None, until: str | None) -> tuple[int | None, int | None]:
    lo, hi = time_param("since", since), time_param("until", until)
    if lo is not None and hi is not None and lo >= hi:
        raise ParamError("since", "must be before until")
    return lo, hi


def window_param(name: str, value: str) -> Window:
    try:
        window = parse_window(value)
    except ValueError as exc:
        raise ParamError(name, str(exc)) from None
    if window[1] > MAX_WINDOW_MS:
        raise ParamError(name, f"{value!r} is longer than ten years")
    return window


def windows_param(name: str, value: str) -> list[Window]:
    try:
        windows = parse_windows(value)
    except ValueError as exc:
        raise ParamError(name, str(exc)) from None
    if len(windows) > 16:
        raise ParamError(name, "at most 16 windows")
    too_long = [label for label, length in windows if length > MAX_WINDOW_MS]
    if too_long:
        raise ParamError(name, f"{', '.join(too_long)} is longer than ten years")
    return windows


def venues_param(name: str, value: str | None) -> tuple[str, ...]:
    venues = tuple(v.strip() for v in (value or "").split(",") if v.strip())
    unknown = [v for v in venues if v not in VENUE_IDS]
    if unknown:
        raise ParamError(name, f"unknown venue {', '.join(unknown)} (known: {', '.join(VENUE_IDS)})")
    return venues


def coins_param(name: str, value: str | None) -> tuple[str, ...]:
    coins = tuple(c.strip().upper() for c in (value or "").split(",") if c.strip())
    bad = [c for c in coins if not _COIN.match(c)]
    if bad:
        raise ParamError(name, f"{bad[0]!r} is not a coin (letters and digits, e.g. BTC; several: BTC,ETH)")
    return coins


def coin_param(name: str, value: str) -> str:
    coins = coins_param(name, value)
    if len(coins) != 1:
        raise ParamError(name, "exactly one coin, e.g. BTC")
    return coins[0]


def usd_param(name: str, value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ParamError(name, "must be a finite number")
    return value


def usd_text_param(name: str, value: str | None) -> float | None:
    """A USD amount typed as text (the CLI's --min-usd): a finite number ≥ 0, with or without _ or ,."""
    if value is None or value == "":
        return None
    try:
        amount = float(value.replace("_", "").replace(",", ""))
    except ValueError:
        raise ParamError(name, f"{value!r} is not a number of USD (e.g. 100000)") from None
    if not math.isfinite(amount) or amount < 0:
        raise ParamError(name, f"{value!r} must be a finite amount ≥ 0")
    return amount


# --- cursors ------------------------------------------------------------------------------------
# Opaque to clients: base64url of "<a|d><ts>:<id>"; the direction is part of it, so a cursor from
# an ascending page is refused on a descending one instead of silently starting over.


def encode_cursor(key: EventKey, descending: bool) -> str:
    text = f"{'d' if descending else 'a'}{key[0]}:{key[1]}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(value: str | None, descending: bool) -> EventKey | None:
    if value is None or value == "":
        return None
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        direction, rest = text[0], text[1:]
        ts_text, sep, event_id = rest.partition(":")
        ts = int(ts_text)
    except (binascii.Error, UnicodeDecodeError, ValueError, IndexError):
        raise ParamError("cursor", "not a cursor from this API (pass next_cursor back unchanged)") from None
    if not sep or direction not in "ad" or not 0 <= ts <= MAX_TIME_MS:
        raise ParamError("cursor", "not a cursor from this API (pass next_cursor back unchanged)")
    if (direction == "d") != descending:
        raise ParamError("cursor", "this cursor belongs to the other order; keep the order of the first page")
    return ts, event_id

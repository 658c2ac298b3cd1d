"""TIME arguments: ISO 8601 (naive = UTC) or epoch milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_time(text: str) -> int:
    """Epoch ms from "1763712000000", "2026-11-21", "2026-11-21T08:00:00Z" or "…+02:00"."""
    value = text.strip()
    if value.lstrip("-").isdigit():
        number = int(value)
        if abs(number) < 100_000_000_000:  # 10-digit epoch seconds would silently mean 1970: refuse
            raise ValueError(f"{text!r} looks like epoch seconds; TIME takes epoch milliseconds or ISO 8601")
        return number
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not ISO 8601 (2026-11-21T08:00:00Z) nor epoch milliseconds") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    text = moment.isoformat(timespec="milliseconds" if ms % 1000 else "seconds")
    return text.replace("+00:00", "Z")

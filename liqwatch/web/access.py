"""Optional access token for the API, /metrics and the live stream (pure).

Off unless a token is set (`--api-token`, `api_token` in the config file, or LIQWATCH_API_TOKEN).
A request proves it with `Authorization: Bearer <token>` or `?token=<token>` (the dashboard page
passes its own `?token=` on to its requests and stream). The dashboard's HTML and static files
stay open: they hold no data. Compared in constant time; the token itself is never logged.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

PROTECTED = ("/api", "/metrics", "/docs", "/redoc", "/openapi.json")
REFUSED = "access token required: send Authorization: Bearer <token>, or add ?token=<token>"


def needs_token(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PROTECTED)


def presented(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The token a request carries, if any."""
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return query.get("token") or None


def allowed(expected: str, headers: Mapping[str, str], query: Mapping[str, str]) -> bool:
    """True when no token is required, or the request carries the right one."""
    if not expected:
        return True
    given = presented(headers, query)
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: reachable from this machine only."""
    return host in ("localhost", "::1", "[::1]") or host.startswith("127.")

"""A small async REST client for venue endpoints (instruments, backfill, prices).

Venue modules build `RestRequest`s and parse the bodies (pure); this performs the GET.
Retries with backoff on 429 (honouring Retry-After), 5xx, timeouts and network errors;
any other failure raises RestError with a one-line message. The httpx transport is
injectable (`httpx.MockTransport` in tests).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType

import httpx

from liqwatch.feed.backoff import Backoff
from liqwatch.venues.base import RestRequest

log = logging.getLogger("liqwatch.feed.rest")

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "liqwatch (+https://github.com/liqwatch/liqwatch)"


class RestError(Exception):
    """A REST call that failed for good; str(error) is one line naming the URL."""


class RestClient:
    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: Callable[[], Backoff] = lambda: Backoff(initial=1.0, cap=10.0),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.retries = retries
        self._backoff = backoff
        self._sleep = sleep
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=True,
        )

    async def get(self, base: str, request: RestRequest, headers: dict[str, str] | None = None) -> bytes:
        """GET base + request.path with request.params (and extra headers: API keys); the response body."""
        url = base.rstrip("/") + request.path
        delays = self._backoff()
        attempt = 0
        while True:
            attempt += 1
            retry_after: float | None = None
            try:
                response = await self._client.get(url, params=dict(request.params), headers=headers)
            except httpx.TimeoutException:
                problem = "timed out"
            except httpx.TransportError as exc:
                problem = _one_line(exc) or type(exc).__name__
            else:
                if response.is_success:
                    return response.content
                problem = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
                if response.status_code not in RETRY_STATUS:
                    raise RestError(f"GET {url}: {problem}{_body_hint(response)}")
                retry_after = _retry_after(response)
            if attempt > self.retries:
                raise RestError(f"GET {url}: {problem} (after {attempt} attempts)")
            delay = delays.next_delay()
            if retry_after is not None:
                delay = max(delay, min(retry_after, 60.0))
            log.debug("GET %s: %s; retrying in %.1f s", url, problem, delay)  # the final failure is reported
            await self._sleep(delay)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> RestClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def _body_hint(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return f": {text[:200]}" if text else ""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None  # an HTTP date: fall back to the backoff

"""Senders: the thin async shell that puts a formatted alert on the wire, and `deliver`, the retry loop.

Each sender's `send(alert)` makes ONE attempt and says how it went by raising:
- `Retryable` for what may pass on another try: connection errors, timeouts, HTTP 5xx, 408 and
  429 (with the server's Retry-After, from the header or the Telegram/Discord JSON body);
- `Permanent` for what will not: any other 4xx (a wrong URL, token or chat id), a bad payload.
`deliver` retries with exponential backoff and full jitter (`feed.backoff.Backoff`) up to
`attempts` tries, honouring Retry-After (capped), and reports the outcome; it never raises.

Every URL is the sink's own setting (Telegram's Bot API base included), so tests and proxies can
point any sink at 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import IO, Any, Protocol

import httpx
import msgspec

from liqwatch.alerts.config import SinkConfig
from liqwatch.alerts.format import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    discord_payload,
    sign,
    slack_payload,
    stdout_line,
    telegram_payload,
    webhook_body,
)
from liqwatch.alerts.model import Alert
from liqwatch.feed.backoff import Backoff
from liqwatch.feed.clock import Clock, now_ms

MAX_RETRY_AFTER_S = 300.0  # a server asking for longer is treated as asking for this
USER_AGENT = "liqwatch-alerts/1"
_json = msgspec.json.Encoder()


class Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Permanent(Exception):
    pass


class Sender(Protocol):
    name: str

    async def send(self, alert: Alert) -> None: ...

    async def aclose(self) -> None: ...


class StdoutSender:
    """One line per alert on stdout (or the stream given)."""

    def __init__(self, name: str = "stdout", stream: IO[str] | None = None) -> None:
        self.name = name
        self.stream = stream

    async def send(self, alert: Alert) -> None:
        print(stdout_line(alert), file=self.stream or sys.stdout, flush=True)

    async def aclose(self) -> None:
        pass


class HttpSender:
    """POST to a webhook-style endpoint; the payload and URL depend on the sink type."""

    def __init__(self, config: SinkConfig, *, clock: Clock = now_ms, client: httpx.AsyncClient | None = None) -> None:
        if config.url is None:
            raise ValueError(f"sink {config.name}: no url")
        self.name = config.name
        self.config = config
        self.clock = clock
        self._client = client or httpx.AsyncClient(
            timeout=config.timeout_s, headers={"User-Agent": USER_AGENT}, follow_redirects=False
        )

    def request(self, alert: Alert) -> tuple[str, bytes, dict[str, str]]:
        """(url, body, headers) for one alert."""
        config = self.config
        url = config.url
        assert url is not None
        headers = {"Content-Type": "application/json"}
        if config.type == "webhook":
            sent_at = self.clock()
            body = webhook_body(alert, sent_at)
            headers[TIMESTAMP_HEADER] = str(sent_at)
            if config.secret:
                headers[SIGNATURE_HEADER] = sign(config.secret, body)
            return url, body, headers
        if config.type == "discord":
            return url, _json.encode(discord_payload(alert)), headers
        if config.type == "slack":
            return url, _json.encode(slack_payload(alert)), headers
        if config.type == "telegram":
            assert config.bot_token is not None and config.chat_id is not None
            endpoint = f"{url}/bot{config.bot_token}/sendMessage"
            return endpoint, _json.encode(telegram_payload(alert, config.chat_id)), headers
        raise Permanent(f"sink {config.name}: type {config.type} does not send over HTTP")

    async def send(self, alert: Alert) -> None:
        url, body, headers = self.request(alert)
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise Retryable(f"no answer within {self.config.timeout_s:g}s") from None
        except httpx.TransportError as exc:
            raise Retryable(f"{type(exc).__name__}: {exc or 'connection failed'}") from None
        status = response.status_code
        if 200 <= status < 300:
            return
        detail = f"HTTP {status}: {response.text[:200].strip()}".rstrip(": ")
        if status == 429:
            raise Retryable(detail, retry_after_of(response))
        if status >= 500 or status == 408:
            raise Retryable(detail, retry_after_of(response) if status == 503 else None)
        raise Permanent(detail)

    async def aclose(self) -> None:
        await self._client.aclose()


def retry_after_of(response: httpx.Response) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date) or a JSON body
    (`retry_after` in Discord's, `parameters.retry_after` in Telegram's)."""
    header = response.headers.get("Retry-After")
    if header:
        try:
            return max(float(header), 0.0)
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(header)
            return max(when.timestamp() - time.time(), 0.0)
        except (TypeError, ValueError):
            return None
    try:
        data: Any = response.json()
    except ValueError:
        return None
    if isinstance(data, dict):
        value = data.get("retry_after", (data.get("parameters") or {}).get("retry_after"))
        if isinstance(value, int | float) and not isinstance(value, bool):
            return max(float(value), 0.0)
    return None


def build_sender(config: SinkConfig, *, clock: Clock = now_ms, stream: IO[str] | None = None) -> Sender:
    if config.type == "stdout":
        return StdoutSender(config.name, stream)
    return HttpSender(config, clock=clock)


@dataclass
class Outcome:
    ok: bool
    attempts: int
    error: str | None = None


def redact(text: str, config: SinkConfig | None) -> str:
    """`text` (an error, for logs and counters) without the sink's secrets: its URL past the host
    (Discord and Slack URLs are credentials), webhook secret and bot token."""
    if config is None:
        return text
    if config.url:
        scheme, sep, rest = config.url.partition("://")
        host = rest.split("/", 1)[0]
        if sep and rest != host:
            text = text.replace(config.url, f"{scheme}://{host}/…")
            text = text.replace(rest, f"{host}/…")
    for secret in (config.secret, config.bot_token):
        if secret:
            text = text.replace(secret, "***")
    return text


async def deliver(
    sender: Sender,
    alert: Alert,
    *,
    attempts: int,
    backoff: Backoff,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Outcome:
    """Send with retries (see the module docstring). Never raises but for cancellation; the error it
    reports never holds the sink's secrets (redact)."""
    outcome = await _deliver(sender, alert, attempts=attempts, backoff=backoff, sleep=sleep)
    if outcome.error is None:
        return outcome
    return Outcome(outcome.ok, outcome.attempts, redact(outcome.error, getattr(sender, "config", None)))


async def _deliver(
    sender: Sender,
    alert: Alert,
    *,
    attempts: int,
    backoff: Backoff,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Outcome:
    error = "not sent"
    for attempt in range(1, attempts + 1):
        try:
            await sender.send(alert)
            return Outcome(True, attempt)
        except Permanent as exc:
            return Outcome(False, attempt, str(exc))
        except Retryable as exc:
            error = str(exc)
            if attempt == attempts:
                break
            delay = backoff.next_delay()
            if exc.retry_after is not None:
                delay = min(exc.retry_after, MAX_RETRY_AFTER_S)
            await sleep(delay)
        except Exception as exc:  # a bug in formatting or sending: not worth retrying
            return Outcome(False, attempt, f"{type(exc).__name__}: {exc}")
    return Outcome(False, attempts, error)

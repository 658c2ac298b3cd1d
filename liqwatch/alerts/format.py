"""Alert → what each sink sends. Pure: bytes and dicts, no I/O.

Generic webhook: the JSON body is `webhook_body(alert, sent_at)`; it is signed with HMAC-SHA256
over the exact bytes sent, keyed with the sink's secret:

    X-Liqwatch-Signature: sha256=<hex digest>
    X-Liqwatch-Timestamp: <sent_at, ms since epoch; also in the body, so it is signed too>

A receiver verifies it like this (Python; any language with HMAC-SHA256 works the same):

    expected = "sha256=" + hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(expected, request.headers["X-Liqwatch-Signature"])
    fresh = abs(now_ms - json.loads(raw_body)["sent_at"]) < 5 * 60_000   # refuse replays

(`verify_signature` below does the first two lines.) Hash the raw body as received, before any
JSON parsing: re-encoding changes bytes. `key` is stable per condition: drop repeats by it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import msgspec

from liqwatch.alerts.model import Alert, FieldValue, iso, money

SIGNATURE_HEADER = "X-Liqwatch-Signature"
TIMESTAMP_HEADER = "X-Liqwatch-Timestamp"
WEBHOOK_VERSION = 1

_TIME_FIELDS = {"ts", "start", "end", "silent_since", "window_start", "window_end"}
_COLOURS = {
    "window": 0xE67E22,
    "order": 0xC0392B,
    "squeeze": 0x8E44AD,
    "venue": 0x7F8C8D,
    "level": 0x2980B9,
    "wallets": 0x16A085,
}
_RESOLVED_COLOUR = 0x27AE60
_encoder = msgspec.json.Encoder()


def webhook_body(alert: Alert, sent_at: int) -> bytes:
    return _encoder.encode(
        {
            "version": WEBHOOK_VERSION,
            "kind": alert.kind,
            "rule": alert.rule,
            "key": alert.key,
            "ts": alert.ts,
            "sent_at": sent_at,
            "resolved": alert.resolved,
            "title": alert.title,
            "text": alert.text,
            "fields": alert.fields,
            "events": alert.events,
        }
    )


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body), signature)


def field_text(name: str, value: FieldValue) -> str:
    """A field for people: $12.5M for USD, ISO time for timestamps, plain otherwise."""
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, int | float) and (name == "usd" or name.endswith("_usd")):
        return money(float(value))
    if isinstance(value, int) and name in _TIME_FIELDS:
        return iso(value)
    if isinstance(value, float):
        return f"{value:,.8g}"
    return str(value)


def shown_fields(alert: Alert) -> list[tuple[str, str]]:
    return [(name, field_text(name, value)) for name, value in alert.fields.items() if value is not None]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stdout_line(alert: Alert) -> str:
    state = " RESOLVED" if alert.resolved else ""
    return f"{iso(alert.ts)} ALERT{state} {alert.kind} [{alert.rule}] {alert.title} — {alert.text}"


def discord_payload(alert: Alert) -> dict[str, Any]:
    """Discord webhook: a short `content` line plus one embed (limits: 2000/256/4096/25 fields)."""
    return {
        "content": _clip(alert.title, 2000),
        "allowed_mentions": {"parse": []},  # an alert never pings @everyone
        "embeds": [
            {
                "title": _clip(alert.title, 256),
                "description": _clip(alert.text, 4096),
                "color": _RESOLVED_COLOUR if alert.resolved else _COLOURS[alert.kind],
                "timestamp": iso(alert.ts),
                "fields": [
                    {"name": _clip(name, 256), "value": _clip(value, 1024), "inline": True}
                    for name, value in shown_fields(alert)[:25]
                ],
                "footer": {"text": _clip(f"liqwatch · {alert.rule} · {alert.key}", 2048)},
            }
        ],
    }


def slack_payload(alert: Alert) -> dict[str, Any]:
    """Slack incoming webhook: `text` (the notification fallback) plus Block Kit blocks."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(alert.title, 150)}},
        {"type": "section", "text": {"type": "plain_text", "text": _clip(alert.text, 3000)}},
    ]
    fields = shown_fields(alert)[:10]
    if fields:
        blocks.append(
            {
                "type": "section",
                "fields": [{"type": "mrkdwn", "text": _clip(f"*{name}*\n{value}", 2000)} for name, value in fields],
            }
        )
    blocks.append({"type": "context", "elements": [{"type": "plain_text", "text": f"liqwatch · {alert.rule}"}]})
    return {"text": _clip(f"{alert.title}\n{alert.text}", 3000), "blocks": blocks}


def telegram_payload(alert: Alert, chat_id: str) -> dict[str, Any]:
    """Bot API sendMessage, plain text (no parse_mode: nothing to escape, nothing to break)."""
    return {
        "chat_id": chat_id,
        "text": _clip(f"{alert.title}\n\n{alert.text}", 4096),
        "disable_web_page_preview": True,
    }

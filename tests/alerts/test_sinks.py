"""Each sink's payload as a real local HTTP server receives it; signatures; retries; permanent failures."""

from __future__ import annotations

import asyncio
import io
import json
import socket

from liqwatch.alerts.config import SinkConfig
from liqwatch.alerts.format import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from liqwatch.alerts.model import Alert, OrderRule
from liqwatch.alerts.rules import order_alert
from liqwatch.alerts.sinks import HttpSender, Outcome, StdoutSender, deliver
from liqwatch.feed.backoff import Backoff
from tests.alerts.servers import Recorder
from tests.analytics.factories import AT, ev

SENT_AT = AT + 5


def an_alert() -> Alert:
    rule = OrderRule(name="big", above_usd=1e6)
    return order_alert(rule, ev(AT, 2_500_000.0, coin="BTC", side="short", venue="okx", id="okx:1"), AT + 3)


def send(config: SinkConfig, alert: Alert | None = None, attempts: int = 1) -> Outcome:
    async def main() -> Outcome:
        sender = HttpSender(config, clock=lambda: SENT_AT)
        try:
            backoff = Backoff(initial=0.001, cap=0.01, seed=1)
            return await deliver(sender, alert or an_alert(), attempts=attempts, backoff=backoff)
        finally:
            await sender.aclose()

    return asyncio.run(main())


def test_webhook_posts_signed_json_that_a_receiver_can_verify() -> None:
    with Recorder() as server:
        outcome = send(SinkConfig("ops", "webhook", url=server.url + "/hook", secret="s3cret"))
        [request] = server.received()
    assert outcome == Outcome(True, 1)
    assert request.path == "/hook" and request.headers["content-type"] == "application/json"
    assert verify_signature("s3cret", request.body, request.headers[SIGNATURE_HEADER.lower()])
    assert not verify_signature("other", request.body, request.headers[SIGNATURE_HEADER.lower()])
    assert not verify_signature("s3cret", request.body + b" ", request.headers[SIGNATURE_HEADER.lower()])
    body = request.json()
    assert request.headers[TIMESTAMP_HEADER.lower()] == str(body["sent_at"]) == str(SENT_AT)
    assert body["kind"] == "order" and body["rule"] == "big" and body["key"] == "order:big:okx:1"
    assert body["fields"]["usd"] == 2_500_000.0 and body["fields"]["venue"] == "okx"
    assert body["events"][0]["id"] == "okx:1" and body["events"][0]["side"] == "short"
    assert body["title"] == "$2.5M BTC short liquidated on okx"


def test_webhook_without_a_secret_is_unsigned() -> None:
    with Recorder() as server:
        send(SinkConfig("ops", "webhook", url=server.url))
        [request] = server.received()
    assert SIGNATURE_HEADER.lower() not in request.headers


def test_discord_gets_content_and_an_embed() -> None:
    with Recorder() as server:
        assert send(SinkConfig("desk", "discord", url=server.url + "/api/webhooks/1/t")).ok
        [request] = server.received()
    body = request.json()
    assert request.path == "/api/webhooks/1/t"
    assert body["content"] == "$2.5M BTC short liquidated on okx"
    assert body["allowed_mentions"] == {"parse": []}
    [embed] = body["embeds"]
    assert embed["title"] == body["content"] and "2.5M" in embed["description"]
    assert {"name": "usd", "value": "$2.5M", "inline": True} in embed["fields"]
    assert embed["timestamp"].endswith("Z")


def test_slack_gets_text_and_blocks() -> None:
    with Recorder() as server:
        assert send(SinkConfig("team", "slack", url=server.url + "/services/T/B/X")).ok
        [request] = server.received()
    body = request.json()
    assert body["text"].startswith("$2.5M BTC short liquidated on okx\n")
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "section", "context"]
    assert body["blocks"][0]["text"] == {"type": "plain_text", "text": "$2.5M BTC short liquidated on okx"}
    assert {"type": "mrkdwn", "text": "*venue*\nokx"} in body["blocks"][2]["fields"]


def test_telegram_calls_send_message_of_the_bot_api_at_the_configured_base() -> None:
    with Recorder() as server:
        config = SinkConfig("phone", "telegram", url=server.url, bot_token="123:abc", chat_id="-100")
        assert send(config).ok
        [request] = server.received()
    assert request.path == "/bot123:abc/sendMessage"
    body = request.json()
    assert body["chat_id"] == "-100" and body["text"].startswith("$2.5M BTC short liquidated on okx\n\n")


def test_retries_5xx_and_429_then_succeeds() -> None:
    with Recorder() as server:
        server.fail(2, status=500)
        server.fail(1, status=429, headers={"Retry-After": "0"})
        server.fail(1, status=429, body=json.dumps({"ok": False, "parameters": {"retry_after": 0}}).encode())
        outcome = send(SinkConfig("ops", "webhook", url=server.url), attempts=5)
        requests = server.received()
    assert outcome == Outcome(True, 5)
    assert len(requests) == 5
    assert len({r.body for r in requests}) == 1  # the same alert each time


def test_gives_up_after_the_attempts_with_the_last_error() -> None:
    with Recorder() as server:
        server.fail(10, status=503)
        outcome = send(SinkConfig("ops", "webhook", url=server.url), attempts=3)
        assert len(server.received()) == 3
    assert not outcome.ok and outcome.attempts == 3 and outcome.error is not None
    assert outcome.error.startswith("HTTP 503")


def test_a_client_error_is_permanent_and_not_retried() -> None:
    with Recorder() as server:
        server.fail(1, status=404, body=b"Unknown Webhook")
        outcome = send(SinkConfig("desk", "discord", url=server.url), attempts=5)
        assert len(server.received()) == 1
    assert outcome == Outcome(False, 1, "HTTP 404: Unknown Webhook")


def test_connection_refused_is_retried_then_reported() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome = send(SinkConfig("ops", "webhook", url=f"http://127.0.0.1:{port}"), attempts=2)
    assert not outcome.ok and outcome.attempts == 2 and "Connect" in (outcome.error or "")


def test_a_hanging_server_times_out_as_a_retryable_failure() -> None:
    with Recorder() as server:
        server.hang()
        outcome = send(SinkConfig("ops", "webhook", url=server.url, timeout_s=0.2), attempts=2)
        assert len(server.received()) == 2
    assert not outcome.ok and outcome.error == "no answer within 0.2s"


def test_stdout_prints_one_line() -> None:
    stream = io.StringIO()
    asyncio.run(StdoutSender("console", stream).send(an_alert()))
    line = stream.getvalue()
    assert line.count("\n") == 1
    assert "ALERT order [big] $2.5M BTC short liquidated on okx — " in line

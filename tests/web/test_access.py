"""API token and secret hygiene (issue 16, security): with a token set, /api, /metrics and the live
stream refuse requests without it (Bearer header or ?token=); the dashboard page stays open; a
listener beyond loopback is warned about; sink secrets never reach logs or counters; a config file
holding secrets that others can read is named."""

from __future__ import annotations

import asyncio
import socket
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from liqwatch import config
from liqwatch.alerts.config import SinkConfig
from liqwatch.alerts.sinks import redact
from liqwatch.web.access import allowed, is_loopback, needs_token
from liqwatch.web.context import WebContext
from liqwatch.web.serve import exposure_warning
from tests.web.server import AppServer

TOKEN = "s3cret-token"


def _get(url: str, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_token_guards_the_api_metrics_and_stream_not_the_page(context: WebContext) -> None:
    with AppServer(replace(context, api_token=TOKEN)) as server:
        for path in ("/api/summary", "/api/venues", "/metrics"):
            assert _get(server.url + path) == 401, path
            assert _get(server.url + path + "?token=wrong") == 401, path
            assert _get(server.url + path, {"Authorization": f"Bearer {TOKEN}"}) == 200, path
            assert _get(server.url + path + ("&" if "?" in path else "?") + f"token={TOKEN}") == 200, path
        assert _get(server.url + "/") == 200  # the page holds no data; it passes its ?token= on

        async def stream() -> None:
            with pytest.raises(InvalidStatus):
                async with connect(server.ws_url):
                    pass
            async with connect(server.ws_url + f"?token={TOKEN}") as ws:
                assert '"hello"' in str(await asyncio.wait_for(ws.recv(), 10))

        asyncio.run(stream())
    with AppServer(context) as open_server:  # no token set: open, as before
        assert _get(open_server.url + "/api/summary") == 200


def test_access_rules() -> None:
    assert needs_token("/api/events") and needs_token("/metrics") and not needs_token("/static/app.js")
    assert not needs_token("/") and not needs_token("/apidocs")
    assert allowed("", {}, {})
    assert allowed("t", {"authorization": "Bearer t"}, {}) and allowed("t", {}, {"token": "t"})
    assert not allowed("t", {"authorization": "Basic t"}, {}) and not allowed("t", {}, {"token": "tt"})
    assert is_loopback("127.0.0.1") and is_loopback("::1") and not is_loopback("0.0.0.0")


def test_a_listener_beyond_loopback_is_warned_about() -> None:
    with socket.socket() as local:
        local.bind(("127.0.0.1", 0))
        assert exposure_warning(local, "") is None
    with socket.socket() as wide:
        wide.bind(("0.0.0.0", 0))
        warning = exposure_warning(wide, "")
        assert warning is not None and "no access token" in warning
        guarded = exposure_warning(wide, TOKEN)
        assert guarded is not None and "token is required" in guarded and TOKEN not in guarded


def test_sink_errors_never_carry_the_sinks_secrets() -> None:
    discord = SinkConfig("ops", "discord", url="https://discord.com/api/webhooks/123/AbCdEf")
    error = "Client error '404 Not Found' for url 'https://discord.com/api/webhooks/123/AbCdEf'"
    assert redact(error, discord) == "Client error '404 Not Found' for url 'https://discord.com/…'"
    telegram = SinkConfig("tg", "telegram", url="https://api.telegram.org", bot_token="42:XYZ", chat_id="1")
    assert "42:XYZ" not in redact("for url 'https://api.telegram.org/bot42:XYZ/sendMessage'", telegram)
    hook = SinkConfig("h", "webhook", url="https://example.org/hook?key=k", secret="hmac-key")
    assert "hmac-key" not in redact("signature hmac-key refused", hook)
    assert "key=k" not in redact("for url 'https://example.org/hook?key=k'", hook)


def test_a_config_file_with_secrets_readable_by_others_is_named(tmp_path: Path) -> None:
    path = tmp_path / "liqwatch.toml"
    path.write_text('api_token = "t"\n[alerts.sinks.ops]\ntype = "discord"\nurl = "https://discord.com/x/y"\n')
    path.chmod(0o644)
    problem = config.secrets_exposed(path)
    assert problem is not None and "api_token" in problem and "chmod 600" in problem and '"t"' not in problem
    path.chmod(0o600)
    assert config.secrets_exposed(path) is None
    plain = tmp_path / "plain.toml"
    plain.write_text('windows = "1h,24h"\n[alerts.sinks.out]\ntype = "stdout"\n')
    plain.chmod(0o644)
    assert config.secrets_exposed(plain) is None
    assert config.load(str(path)).api_token == "t"

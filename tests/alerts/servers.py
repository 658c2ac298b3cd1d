"""A real HTTP server on 127.0.0.1 that records what it receives and misbehaves on request.

    with Recorder() as server:
        server.fail(2, status=500)            # the next two requests get 500, then 200 again
        server.fail(1, status=429, headers={"Retry-After": "0"})
        server.hang()                         # requests wait (no answer) until release() / close
        ... point a sink at server.url ...
        server.requests                       # every request, in arrival order, failures included

It runs `http.server` in a thread (aiohttp is not a dependency), so the code under test talks
to it over a real socket exactly as it would to Discord, Slack, Telegram or a webhook.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Recorder:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._failures: deque[tuple[int, dict[str, str], bytes]] = deque()
        self._hanging = False
        self._release = threading.Event()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                request = Request("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                status, headers, answer = recorder._take(request)
                if status == 0:  # hanging: hold the connection without answering
                    recorder._release.wait()
                    return
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail(self, times: int, status: int = 500, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        """Answer the next `times` requests with `status` (queued after earlier fail() calls)."""
        with self._lock:
            for _ in range(times):
                self._failures.append((status, headers or {}, body or f"failing on purpose: {status}".encode()))

    def hang(self) -> None:
        """Every request from now on waits without an answer until release() or close()."""
        with self._lock:
            self._hanging = True
            self._release.clear()

    def release(self) -> None:
        with self._lock:
            self._hanging = False
        self._release.set()

    def _take(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append(request)
            if self._hanging:
                return 0, {}, b""
            if self._failures:
                return self._failures.popleft()
        return 200, {"Content-Type": "application/json"}, b'{"ok":true}'

    def received(self) -> list[Request]:
        with self._lock:
            return list(self.requests)

    async def wait_for(self, count: int) -> list[Request]:
        """Wait (without blocking the event loop) until `count` requests arrived."""
        while len(self.received()) < count:
            await asyncio.sleep(0.005)
        return self.received()

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

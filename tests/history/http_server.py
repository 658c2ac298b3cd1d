"""A real HTTP server on 127.0.0.1 for the backfill tests, answering from a handler function and
able to fail on purpose: an HTTP status with Retry-After, a body cut short (the connection closed
before Content-Length bytes), a body that is complete but not the whole document, or a hang."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    cut: bool = False  # close the connection half way through the body (Content-Length promises more)
    hang: float = 0.0  # seconds to wait before answering


Handler = Callable[[Request, int], Reply]  # (request, how many requests came before it) → reply


class Server:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                request = Request(parts.path, query, {k.lower(): v for k, v in self.headers.items()})
                with outer._lock:
                    seen = len(outer.requests)
                    outer.requests.append(request)
                reply = outer.handler(request, seen)
                if reply.hang:
                    time.sleep(reply.hang)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                if reply.cut:
                    self.send_header("Connection", "close")
                self.end_headers()
                if reply.cut:
                    self.wfile.write(reply.body[: len(reply.body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(reply.body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> Server:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def paths(self, prefix: str = "") -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(prefix)]


@contextmanager
def serving(handler: Handler) -> Iterator[Server]:
    server = Server(handler).start()
    try:
        yield server
    finally:
        server.stop()

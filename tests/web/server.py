"""The app under a real uvicorn on a free 127.0.0.1 port, in a thread with its own event loop,
fed by a real Pipeline whose `publish` runs on that loop (as the collector's does)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from liqwatch.model import Liquidation
from liqwatch.pipeline import Pipeline
from liqwatch.web.context import WebContext
from liqwatch.web.serve import address_of, bind, serve_app

T = TypeVar("T")


class AppServer:
    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx
        self.pipeline = Pipeline([ctx.hub])
        self.sock = bind("127.0.0.1", 0)
        self.url = address_of(self.sock)
        self.ws_url = self.url.replace("http://", "ws://") + "/api/stream"
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="web-test-server", daemon=True)

    def call(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def publish(self, events: Sequence[Liquidation]) -> None:
        """Pipeline.publish on the server's loop; returns once it returned there."""

        async def go() -> None:
            self.pipeline.publish(events)

        self.call(go()).result(10)

    def __enter__(self) -> AppServer:
        self._thread.start()

        async def start() -> None:
            self._task = asyncio.create_task(serve_app(self.ctx, self.sock))

        self.call(start()).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self._task is not None
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

        self.call(stop()).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

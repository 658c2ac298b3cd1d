"""The FastAPI application: REST under /api, the live stream, /metrics and the dashboard.

`create_app(context)` is the only entry point; liqwatch.web.serve runs it under uvicorn.
Every bad parameter answers 422 `{"detail": "<name>: <why>"}` in one line, never a 500; the OpenAPI
schema publishes each parameter's pattern (liqwatch/web/errors.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

import liqwatch
from liqwatch.web import metrics
from liqwatch.web.access import REFUSED, allowed, needs_token
from liqwatch.web.api import api_router
from liqwatch.web.api_history import history_router
from liqwatch.web.api_levels import levels_router
from liqwatch.web.api_wallets import wallets_router
from liqwatch.web.context import WebContext
from liqwatch.web.errors import one_line
from liqwatch.web.params import ParamError
from liqwatch.web.stream import stream_router, tick_forever

NO_DASHBOARD = """<!doctype html><meta charset="utf-8"><title>liqwatch</title>
<h1>liqwatch</h1><p>The dashboard is not installed here ({path} is missing).
The API is up: see <a href="/docs">/docs</a>, <a href="/api/summary">/api/summary</a>,
and the live stream at <code>/api/stream</code>.</p>"""


def create_app(ctx: WebContext) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx.hub.bind(asyncio.get_running_loop())
        ticker = asyncio.create_task(tick_forever(ctx), name="liqwatch-stream-ticker")
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            ctx.hub.close()

    app = FastAPI(
        title="liqwatch",
        version=liqwatch.__version__,
        description=(
            "Read-only API of liqwatch: liquidation totals, events, venues, history, prices, reports, "
            "liquidation levels and watched (smart-money) wallets."
        ),
        lifespan=lifespan,
    )

    if ctx.api_token:

        @app.middleware("http")
        async def require_token(request: Request, call_next: Any) -> Response:
            if needs_token(request.url.path) and not allowed(ctx.api_token, request.headers, request.query_params):
                return JSONResponse({"detail": REFUSED}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
            response: Response = await call_next(request)
            return response

    @app.exception_handler(ParamError)
    async def bad_param(request: Request, exc: ParamError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        return JSONResponse({"detail": one_line(errors[0] if errors else {})}, status_code=422)

    app.include_router(api_router(ctx))
    app.include_router(levels_router(ctx))
    app.include_router(history_router(ctx))
    app.include_router(wallets_router(ctx))
    app.include_router(stream_router(ctx))

    @app.get(
        "/metrics",
        summary="Prometheus metrics",
        tags=["ops"],
        responses={200: {"description": "Prometheus text format 0.0.4", "content": {"text/plain": {}}}},
    )
    async def prometheus() -> Response:
        now = ctx.clock()
        hub = ctx.hub
        process = {
            "liqwatch_stream_clients": ("gauge", "WebSocket clients of /api/stream.", float(len(hub.clients))),
            "liqwatch_stream_events_total": ("counter", "Liquidations fanned out to stream clients.", hub.events),
            "liqwatch_stream_messages_total": ("counter", "Messages queued for stream clients.", hub.messages),
            "liqwatch_stream_dropped_total": (
                "counter",
                "Messages dropped for stream clients that fell behind.",
                hub.dropped_total,
            ),
            **ctx.counters(),
        }
        text = metrics.render(await ctx.statuses(), now, process)
        return Response(text, media_type=metrics.CONTENT_TYPE)

    index = ctx.static_dir / "index.html"

    @app.get("/", include_in_schema=False)
    def dashboard() -> Response:
        if index.is_file():
            return FileResponse(index, media_type="text/html")
        return HTMLResponse(NO_DASHBOARD.format(path=index), status_code=200)

    app.mount("/static", StaticFiles(directory=ctx.static_dir, check_dir=False), name="static")
    return app

"""Running the web app: inside `liqwatch run` (beside the collector) and as `liqwatch serve`.

The listening socket is bound before anything else starts, so a port in use is one clear line
at once. uvicorn runs as one more task of the event loop; its own signal handling is switched
off (Ctrl-C and SIGTERM cancel the main task, see live.stop_on_signals), and cancelling the task
shuts the server down gracefully.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any

import uvicorn

from liqwatch.analytics.summary import parse_windows
from liqwatch.config import Settings
from liqwatch.feed.clock import Clock, now_ms
from liqwatch.feed.collector import Status
from liqwatch.store.base import Store
from liqwatch.web.access import is_loopback
from liqwatch.web.app import create_app
from liqwatch.web.context import WebContext, status_file, status_of
from liqwatch.web.hub import LiveHub

if TYPE_CHECKING:
    from liqwatch.rig import LiveRig

log = logging.getLogger("liqwatch.web")


class ServeError(Exception):
    """The API cannot listen where asked (one line)."""


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: a free one)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServeError(f"--host {host}: cannot resolve it: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        hint = " (another process listens there: pass --port, or --no-serve)" if exc.errno == errno.EADDRINUSE else ""
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}") from None
    sock.setblocking(False)
    return sock


def exposure_warning(sock: socket.socket, token: str) -> str | None:
    """One line when the API listens beyond this machine (None on loopback)."""
    host = str(sock.getsockname()[0])
    if is_loopback(host):
        return None
    guard = "an access token is required" if token else "no access token is set: anyone who can reach it reads it"
    return f"warning: the API listens on {host}, beyond this machine; {guard} (see --api-token)"


def address_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the caller owns signals


async def serve_app(ctx: WebContext, sock: socket.socket) -> None:
    """Serve the app on `sock` until cancelled, then shut down gracefully (returns normally)."""
    config = uvicorn.Config(
        create_app(ctx),
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=3,
        ws_max_size=64 * 1024,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="liqwatch-web")
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await task
    finally:
        sock.close()


# ── inside `liqwatch run` ─────────────────────────────────────────────────────────────────────


def live_context(
    rig: LiveRig,
    hub: LiveHub,
    *,
    extra_counters: Sequence[Callable[[], dict[str, tuple[str, str, float]]]] = (),
    clock: Clock = now_ms,
) -> WebContext:
    """The app's view of a running collection: its status, its windows, its counters.

    `clock`: the collection's clock (the demo runs on the simulator's faster exchange clock)."""

    def counters() -> dict[str, tuple[str, str, float]]:
        pipeline, sink = rig.pipeline, rig.sink
        values: dict[str, tuple[str, str, float]] = {
            "liqwatch_pipeline_published_total": ("counter", "Events passed to the sinks.", pipeline.published),
            "liqwatch_pipeline_duplicates_total": ("counter", "Events dropped as already seen.", pipeline.duplicates),
            "liqwatch_pipeline_gaps_total": ("counter", "Gaps published.", pipeline.gaps),
            "liqwatch_pipeline_sink_errors_total": ("counter", "Sink failures.", pipeline.sink_errors),
            "liqwatch_store_stored_total": ("counter", "Events new to the store.", sink.stored),
            "liqwatch_store_pending": ("gauge", "Events and gaps waiting for the store writer.", sink.pending),
            "liqwatch_store_dropped_total": ("counter", "Events dropped while the store was down.", sink.dropped),
            "liqwatch_store_errors_total": ("counter", "Failed store writes (retried).", sink.errors),
        }
        for more in extra_counters:
            values |= more()
        return values

    return WebContext(
        store=rig.store,
        store_kind=store_kind(rig.store),
        windows=list(rig.windows.windows),
        hub=hub,
        statuses=status_of(rig.collector.status),
        live_summary=rig.windows.summary,
        counters=counters,
        clock=clock,
        api_token=rig.settings.api_token,
    )


# ── `liqwatch serve` ──────────────────────────────────────────────────────────────────────────


def store_kind(store: Store) -> str:
    return "postgresql" if store.shared else "duckdb"


def shared_statuses(store: Any) -> Callable[[], Awaitable[list[Status]]]:
    """Collectors' status documents from a shared store (PostgreSQL: Store.statuses())."""
    import msgspec

    async def read() -> list[Status]:
        out = []
        for found in await asyncio.to_thread(store.statuses):
            with contextlib.suppress(msgspec.DecodeError, msgspec.ValidationError):
                out.append(msgspec.json.decode(found.doc, type=Status))
        return out

    return read


async def feed_hub(hub: LiveHub, events: Callable[[], Any]) -> None:
    """Push what another process stores (PostgreSQL LISTEN/NOTIFY) into the hub; retry on loss."""
    while True:
        try:
            batches = events()
            async for batch in batches:
                hub.write(batch)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("live events from the store stopped (%s); retrying in 2 s", exc)
        await asyncio.sleep(2.0)


async def serve_store(settings: Settings, store: Store, sock: socket.socket, dsn: str | None = None) -> None:
    """`liqwatch serve`: the API and dashboard over a store, until cancelled."""
    hub = LiveHub()
    ctx = WebContext(
        store=store,
        store_kind=store_kind(store),
        windows=parse_windows(settings.windows),
        hub=hub,
        statuses=shared_statuses(store) if dsn is not None else status_file(settings.status_file),
        api_token=settings.api_token,
    )
    tasks: list[Awaitable[None]] = [serve_app(ctx, sock)]
    if dsn is not None:  # other processes' new events, through PostgreSQL LISTEN/NOTIFY
        from liqwatch.store.pg_live import listen_events

        tasks.append(feed_hub(hub, lambda: listen_events(dsn)))
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*tasks)

"""Build and refresh the instrument catalogue: bundled snapshot < on-disk cache < fresh REST.

Failures are logged and never fatal: a venue whose endpoint is down keeps what the snapshot
and the cache knew. The catalogue is updated in place (parsers hold a reference to it), so a
refresh never removes an instrument a previous source listed.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path

import msgspec

from liqwatch.feed.rest import RestClient, RestError
from liqwatch.instruments import Catalogue, Instrument, bundled
from liqwatch.venues.base import VenueSpec

log = logging.getLogger("liqwatch.feed.instruments")

MAX_PAGES = 200


def read_cache(path: Path) -> Catalogue | None:
    try:
        return Catalogue.from_json(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        log.warning("instruments: ignoring unreadable cache %s: %s", path, exc)
        return None


def write_cache(path: Path, catalogue: Catalogue) -> None:
    """Atomically replace the cache file."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(catalogue.to_json())
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("instruments: could not write cache %s: %s", path, exc)


async def fetch_venue(spec: VenueSpec, client: RestClient, base: str | None = None) -> list[Instrument]:
    """Every instrument the venue's endpoints list, following pagination. Raises RestError."""
    base = base or spec.rest_base
    found: list[Instrument] = []
    for first in spec.instrument_requests():
        request = first
        for _ in range(MAX_PAGES):
            body = await client.get(base, request)
            try:
                page = spec.parse_instruments(request, body)
            except (ValueError, msgspec.ValidationError) as exc:  # DecodeError is a ValueError
                raise RestError(f"{spec.id} instruments {request.path}: unexpected response: {exc}") from None
            found.extend(page.instruments)
            if page.next is None:
                break
            request = page.next
    return found


async def refresh(
    catalogue: Catalogue,
    specs: Iterable[VenueSpec],
    client: RestClient,
    *,
    rest_overrides: Mapping[str, str] | None = None,
    cache: Path | None = None,
    timeout: float | None = None,
) -> dict[str, int | str]:
    """Fetch every venue concurrently and update `catalogue` in place; save the cache.

    Returns, per venue id, the number of instruments fetched or the error text. Venues
    still running after `timeout` seconds are abandoned (and reported as timed out).
    """
    overrides = rest_overrides or {}
    tasks = {spec.id: asyncio.create_task(fetch_venue(spec, client, overrides.get(spec.id))) for spec in specs}
    outcome: dict[str, int | str] = {}
    if not tasks:
        return outcome
    _, pending = await asyncio.wait(tasks.values(), timeout=timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    changed = False
    for venue, task in tasks.items():
        if task in pending:
            outcome[venue] = "timed out"
        elif task.exception() is not None:
            exc = task.exception()
            outcome[venue] = str(exc) if isinstance(exc, RestError) else f"{type(exc).__name__}: {exc}"
        else:
            instruments = task.result()
            outcome[venue] = len(instruments)
            if instruments:
                catalogue.update(instruments)
                changed = True
    for venue, result in outcome.items():
        if isinstance(result, str):
            log.warning("instruments: %s not refreshed: %s", venue, result)
    if changed and cache is not None:
        write_cache(cache, catalogue)
    return outcome


async def load_catalogue(
    specs: Iterable[VenueSpec],
    client: RestClient | None,
    *,
    cache: Path | None = None,
    rest_overrides: Mapping[str, str] | None = None,
    timeout: float | None = 30.0,
) -> Catalogue:
    """The catalogue to start with: bundled snapshot, then the cache, then fresh REST (if a client)."""
    catalogue = bundled()
    if cache is not None:
        cached = read_cache(cache)
        if cached is not None:
            catalogue.update(cached.instruments())
    if client is not None:
        await refresh(catalogue, specs, client, rest_overrides=rest_overrides, cache=cache, timeout=timeout)
    return catalogue


async def refresh_forever(
    catalogue: Catalogue,
    specs: Iterable[VenueSpec],
    client: RestClient,
    *,
    interval: float = 3600.0,
    cache: Path | None = None,
    rest_overrides: Mapping[str, str] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    keep: Callable[[list[Instrument]], None] | None = None,
) -> None:
    """Refresh every `interval` seconds until cancelled; a failed refresh keeps the catalogue.

    `keep` is given the catalogue after each refresh (the store records the contracts that changed,
    so the catalogue it priced with travels with its data)."""
    specs = list(specs)
    while True:
        await sleep(interval)
        try:
            await refresh(catalogue, specs, client, rest_overrides=rest_overrides, cache=cache, timeout=interval / 2)
            if keep is not None:
                keep(catalogue.instruments())
        except Exception:  # never let a refresh bug stop the feed
            log.exception("instruments: refresh failed")

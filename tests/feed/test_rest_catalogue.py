"""REST client retries and the catalogue's bundled < cache < REST layering (httpx MockTransport)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from liqwatch.feed.instruments import load_catalogue, read_cache, refresh
from liqwatch.feed.rest import RestClient, RestError
from liqwatch.instruments import Catalogue, Instrument
from liqwatch.venues import binance
from liqwatch.venues.base import InstrumentsPage, RestRequest
from tests.feed.helpers import spec


def client_for(handler: httpx.MockTransport | None = None, **kwargs: object) -> tuple[RestClient, list[float]]:
    delays: list[float] = []

    async def sleep(delay: float) -> None:
        delays.append(delay)

    return RestClient(transport=handler, sleep=sleep, **kwargs), delays  # type: ignore[arg-type]


def test_get_retries_429_and_5xx_then_succeeds() -> None:
    statuses = iter([429, 503, 200])
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        status = next(statuses)
        headers = {"Retry-After": "7"} if status == 429 else {}
        return httpx.Response(status, headers=headers, content=b'{"ok":true}')

    async def main() -> tuple[bytes, list[float]]:
        client, delays = client_for(httpx.MockTransport(handle))
        async with client:
            body = await client.get("https://api.example/", RestRequest("/v1/x", {"a": "1"}))
        return body, delays

    body, delays = asyncio.run(main())
    assert body == b'{"ok":true}'
    assert seen == ["https://api.example/v1/x?a=1"] * 3
    assert len(delays) == 2 and delays[0] >= 7  # Retry-After honoured


def test_get_gives_up_with_one_line_errors() -> None:
    def not_found(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, content=b"no such\nendpoint")

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    async def main(handler: httpx.MockTransport) -> tuple[str, list[float]]:
        client, delays = client_for(handler, retries=2)
        async with client:
            with pytest.raises(RestError) as error:
                await client.get("https://api.example", RestRequest("/v1/x"))
        return str(error.value), delays

    message, delays = asyncio.run(main(httpx.MockTransport(not_found)))
    assert message == "GET https://api.example/v1/x: HTTP 404 Not Found: no such endpoint" and delays == []
    message, delays = asyncio.run(main(httpx.MockTransport(timeout)))
    assert message == "GET https://api.example/v1/x: timed out (after 3 attempts)" and len(delays) == 2


EXCHANGE_INFO = json.dumps(
    {
        "symbols": [
            {"symbol": "BTCUSDT", "baseAsset": "BTC", "quoteAsset": "USDT"},
            {"symbol": "1000PEPEUSDT", "baseAsset": "1000PEPE", "quoteAsset": "USDT"},
        ]
    }
).encode()


def test_catalogue_layers_bundled_cache_and_rest_and_saves_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "liqwatch.instruments.json"
    stale = Instrument("binance_usdm", "OLDUSDT", "OLD", "linear", 1.0, "USDT", source="rest")
    cache.write_bytes(Catalogue([stale]).to_json())
    requested: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        return httpx.Response(200, content=EXCHANGE_INFO)

    async def main() -> Catalogue:
        client, _ = client_for(httpx.MockTransport(handle))
        async with client:
            return await load_catalogue(
                [binance.USDM_SPEC], client, cache=cache, rest_overrides={"binance_usdm": "http://127.0.0.1:9002"}
            )

    catalogue = asyncio.run(main())
    assert requested == ["http://127.0.0.1:9002/fapi/v1/exchangeInfo"]
    assert catalogue.get("binance_usdm", "OLDUSDT") == stale  # from the cache, kept
    pepe = catalogue.get("binance_usdm", "1000PEPEUSDT")
    assert pepe is not None and (pepe.coin, pepe.contract_size) == ("PEPE", 1000.0)
    saved = read_cache(cache)
    assert saved is not None and saved.symbols("binance_usdm") == ["1000PEPEUSDT", "BTCUSDT", "OLDUSDT"]


def test_pagination_is_followed_and_a_failing_venue_keeps_its_instruments() -> None:
    def page(request: RestRequest, body: bytes) -> InstrumentsPage:
        number = int(request.params["page"])
        found = [Instrument("testvenue", f"S{number}", "BTC", "linear", 1.0, "USDT")]
        return InstrumentsPage(found, RestRequest("/list", {"page": str(number + 1)}) if number < 3 else None)

    paged = spec(instrument_requests=lambda: [RestRequest("/list", {"page": "1"})], parse_instruments=page)
    broken = spec(id="broken", rest_base="http://broken.example", instrument_requests=lambda: [RestRequest("/x")])

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == "broken.example":
            return httpx.Response(500)
        return httpx.Response(200, content=b"{}")

    before = Instrument("broken", "KEEP", "ETH", "linear", 1.0, "USDT")
    catalogue = Catalogue([before])

    async def main() -> dict[str, int | str]:
        client, _ = client_for(httpx.MockTransport(handle), retries=1)
        async with client:
            return await refresh(catalogue, [paged, broken], client)

    outcome = asyncio.run(main())
    assert outcome["testvenue"] == 3
    assert outcome["broken"] == "GET http://broken.example/x: HTTP 500 Internal Server Error (after 2 attempts)"
    assert catalogue.symbols("testvenue") == ["S1", "S2", "S3"]
    assert catalogue.get("broken", "KEEP") == before

"""Tile streaming with the asynchronous client: the same tiles, requests, limits and files."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from _capture import AsyncCapturingTransport, CannedResponse, CapturedRequest, FakeAsyncTokenCredential
from azure.core.exceptions import ResourceNotFoundError
from azure.planetarycomputer._tile_grid import Tile
from azure.planetarycomputer._tiles import TileDownloadError, TileDownloadResult, TileProgress
from azure.planetarycomputer.aio import PlanetaryComputerProClient
from test_tiles import (
    BBOX,
    ENDPOINT,
    body_for,
    files_under,
    hand_computed,
    service_tile_matrix_set,
    tile_of,
    tile_responder,
)


class InFlightTransport(AsyncCapturingTransport):
    """Answers tile requests after a pause, measuring how many are in flight at once."""

    def __init__(self, responder: Any = tile_responder, pause: float = 0.01) -> None:
        super().__init__(responder)
        self.pause = pause
        self.in_flight = 0
        self.max_in_flight = 0

    async def send(self, request: Any, **kwargs: Any) -> Any:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.pause)
            return await super().send(request, **kwargs)
        finally:
            self.in_flight -= 1


def make_client(responder: Any = tile_responder, **kwargs: Any) -> tuple[PlanetaryComputerProClient, Any]:
    transport = InFlightTransport(responder)
    client = PlanetaryComputerProClient(ENDPOINT, FakeAsyncTokenCredential(), transport=transport, **kwargs)
    return client, transport


async def test_every_tile_is_fetched_with_float_coordinates_and_the_render_options() -> None:
    client, transport = make_client()
    tiles = await client.data.iter_tiles(
        "naip", "item-1", bbox=BBOX, zooms=12, assets=["image"], expression="image_b1", format="webp"
    )
    results = {tile: data async for tile, data in tiles}
    expected = {Tile(*t) for t in hand_computed(BBOX, 12)}
    assert set(results) == expected and all(results[t] == body_for(t) for t in expected)
    first = transport.requests[0]
    tile = tile_of(first)
    assert first.path.endswith(f"/items/item-1/tiles/WebMercatorQuad/12.0/{tile.x}.0/{tile.y}.0")
    assert ("assets", "image") in first.query and ("expression", "image_b1") in first.query
    assert ("format", "webp") in first.query


async def test_bad_arguments_fail_before_any_request() -> None:
    client, transport = make_client()
    with pytest.raises(ValueError, match="zooms"):
        await client.data.iter_tiles("naip", bbox=BBOX, zooms=30)
    with pytest.raises(TypeError, match="no_such_option"):
        await client.data.iter_tiles("naip", bbox=BBOX, zooms=12, no_such_option=1)
    with pytest.raises(ValueError, match="search_id"):
        await client.data.iter_tiles("naip", search_id="s", bbox=BBOX, zooms=12)
    assert transport.requests == []


@pytest.mark.parametrize("concurrency", [1, 4, 8])
async def test_never_more_than_concurrency_requests_in_flight(concurrency: int) -> None:
    client, transport = make_client()
    tiles = [
        tile
        async for tile in await client.data.iter_tiles("naip", bbox=BBOX, zooms=12, concurrency=concurrency)
    ]
    assert len(tiles) == 20
    assert transport.max_in_flight == concurrency


async def test_stopping_early_cancels_the_rest() -> None:
    client, transport = make_client()
    tiles = await client.data.iter_tiles("naip", bbox=BBOX, zooms=[12, 13], concurrency=4)
    async for _ in tiles:
        break
    await tiles.aclose()
    sent = len(transport.requests)
    await asyncio.sleep(0.05)
    assert len(transport.requests) == sent <= 5
    assert transport.in_flight == 0


async def test_failures_are_collected_and_the_other_tiles_delivered() -> None:
    def responder(request: CapturedRequest) -> CannedResponse:
        if tile_of(request).y == 1641:
            return CannedResponse.json({"error": {"code": "NotFound", "message": "no data"}}, status=404)
        return tile_responder(request)

    client, _ = make_client(responder, retry_total=0)
    delivered = []
    with pytest.raises(TileDownloadError) as raised:
        async for tile, _ in await client.data.iter_tiles("naip", bbox=BBOX, zooms=12):
            delivered.append(tile)
    assert len(delivered) == 16
    assert {failure.tile for failure in raised.value.failures} == {
        Tile(x, 1641, 12) for x in range(1086, 1090)
    }
    assert all(isinstance(failure.error, ResourceNotFoundError) for failure in raised.value.failures)


async def test_download_writes_files_resumes_and_reports_progress(tmp_path: Path) -> None:
    client, transport = make_client()
    updates: list[TileProgress] = []
    result = await client.data.download_tiles(
        search_id="5bdb874d", directory=tmp_path, bbox=BBOX, zooms=12, progress=updates.append
    )
    expected = {Tile(*t) for t in hand_computed(BBOX, 12)}
    written = files_under(tmp_path)
    assert written == {f"12/{t.x}/{t.y}.png": body_for(t) for t in expected}
    assert result == TileDownloadResult(20, 0, 0, sum(len(body_for(t)) for t in expected), tmp_path)
    assert updates[-1] == TileProgress(total=20, fetched=20, bytes=result.bytes)
    assert all(r.path.startswith("/data/mosaic/searches/5bdb874d/tiles/") for r in transport.requests)

    (tmp_path / "12" / "1089" / "1643.png").unlink()
    transport.requests.clear()
    again = await client.data.download_tiles(search_id="5bdb874d", directory=tmp_path, bbox=BBOX, zooms=12)
    assert [tile_of(r) for r in transport.requests] == [Tile(1089, 1643, 12)]
    assert (again.fetched, again.skipped) == (1, 19)


async def test_a_service_defined_tile_matrix_set_is_fetched_once() -> None:
    def responder(request: CapturedRequest) -> CannedResponse:
        if request.path == "/data/tile-matrix-sets/ServiceQuad":
            return CannedResponse.json(service_tile_matrix_set("ServiceQuad"))
        return tile_responder(request)

    client, transport = make_client(responder)
    for _ in range(2):
        tiles = [
            t
            async for t, _ in await client.data.iter_tiles(
                "naip", bbox=BBOX, zooms=12, tile_matrix_set_id="ServiceQuad"
            )
        ]
        assert set(tiles) == {Tile(*t) for t in hand_computed(BBOX, 12)}
    assert sum(r.path.startswith("/data/tile-matrix-sets/") for r in transport.requests) == 1


@pytest.mark.parametrize("operation", ["get_tile", "get_collection_tile", "get_search_tile"])
async def test_the_helper_sends_what_the_generated_async_operation_sends(operation: str) -> None:
    targets: dict[str, dict[str, Any]] = {
        "get_tile": {"collection_id": "naip", "item_id": "ga m/sample#1"},
        "get_collection_tile": {"collection_id": "naip"},
        "get_search_tile": {"search_id": "0a1b2c3d"},
    }
    options: dict[str, Any] = {
        "assets": ["image"],
        "asset_band_indices": ["image|1,2,3"],
        "rescale": ["0,255"],
        "scale": 2,
    }
    client, transport = make_client()
    tiles = await client.data.iter_tiles(**targets[operation], bbox=BBOX, zooms=12, **options)
    fetched = [tile async for tile, _ in tiles]
    by_tile = {tile_of(request): request for request in transport.requests}
    for tile in fetched:
        transport.requests.clear()
        chunks = await getattr(client.data, operation)(
            *targets[operation].values(), "WebMercatorQuad", tile.z, tile.x, tile.y, **options
        )
        assert b"".join([chunk async for chunk in chunks]) == body_for(tile)
        (expected,) = transport.requests
        assert by_tile[tile].url == expected.url
        assert by_tile[tile].headers.keys() == expected.headers.keys()


async def test_a_tile_error_is_the_generated_async_operations_error() -> None:
    def responder(request: CapturedRequest) -> CannedResponse:
        return CannedResponse.json({"error": {"code": "NoData", "message": "outside"}}, status=404)

    client, _ = make_client(responder, retry_total=0)
    tiles = await client.data.iter_tiles("naip", "item-1", bbox=BBOX, zooms=10)
    with pytest.raises(TileDownloadError) as raised:
        [tile async for tile in tiles]
    error = raised.value.failures[0].error
    assert isinstance(error, ResourceNotFoundError)
    assert error.error is not None and (error.error.code, error.error.message) == ("NoData", "outside")

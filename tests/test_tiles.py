"""Tile streaming: the tiles covering an area, fetched concurrently, streamed or written to disk.

Checked against hand-computed WebMercator tile ranges, the service's own recorded tile matrix set,
canned transports that count requests in flight, and a local HTTP server that counts the TCP
connections the requests transport opens.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import logging
import math
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import morecantile
import pytest
from _capture import (
    CannedResponse,
    CapturedRequest,
    CapturingTransport,
    FakeTokenCredential,
    data_path,
)
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.core.pipeline.transport import RequestsTransport
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer._tile_grid import Tile, covering_tiles, normalize_area
from azure.planetarycomputer._tiles import MANIFEST_NAME, TileDownloadError, TileDownloadResult, TileProgress
from azure.planetarycomputer._transport import Urllib3Transport

ENDPOINT = "https://cat.geocatalog.spatio.azure.com"
BBOX = [-84.5, 33.5, -84.25, 33.75]  # Atlanta, as in the recorded NAIP items
TILE_MATRIX_SETS_RECORDING = (
    "test_planetary_computer_04_stac_item_tiler.pyTestPlanetaryComputerStacItemTiler"
    "test_01_get_tile_matrix_definitions.json"
)


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def web_mercator_tile(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    """The slippy-map formula: the tile containing a point at a zoom level."""
    n = 2**zoom
    x = math.floor((lon + 180.0) / 360.0 * n)
    lat_rad = math.radians(lat)
    y = math.floor((1.0 - math.asinh(math.tan(lat_rad)) / math.pi) / 2.0 * n)
    return x, y


def hand_computed(bbox: list[float], zoom: int) -> set[tuple[int, int, int]]:
    west, south, east, north = bbox
    x0, y0 = web_mercator_tile(west, north, zoom)
    x1, y1 = web_mercator_tile(east, south, zoom)
    return {(x, y, zoom) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)}


def tile_of(request: CapturedRequest) -> Tile:
    """z/x/y from a tile request path: ``.../tiles/{tms}/{z}.0/{x}.0/{y}.0``."""
    z, x, y = request.path.split("/")[-3:]
    return Tile(int(float(x)), int(float(y)), int(float(z)))


def body_for(tile: Tile) -> bytes:
    return f"tile {tile}".encode() * 10


def tile_responder(request: CapturedRequest) -> CannedResponse:
    return CannedResponse.data(body_for(tile_of(request)), "image/png")


def make_client(responder: Any = tile_responder, **kwargs: Any) -> tuple[PlanetaryComputerProClient, Any]:
    transport = kwargs.pop("transport", None) or CapturingTransport(responder)
    client = PlanetaryComputerProClient(ENDPOINT, FakeTokenCredential(), transport=transport, **kwargs)
    return client, transport


def service_tile_matrix_set(tms_id: str = "WebMercatorQuad") -> dict[str, Any]:
    recording = json.loads(data_path("recordings", TILE_MATRIX_SETS_RECORDING).read_text())
    definition: dict[str, Any] = recording["Entries"][0]["ResponseBody"]
    return {**definition, "id": tms_id}


class InFlightTransport(CapturingTransport):
    """Answers tile requests after a pause, measuring how many are in flight at once."""

    def __init__(self, pause: float = 0.02) -> None:
        super().__init__(tile_responder)
        self.pause = pause
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def send(self, request: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.pause)
            return super().send(request, **kwargs)
        finally:
            with self._lock:
                self.in_flight -= 1


# --------------------------------------------------------------------------------------------------
# Which tiles
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zoom", [10, 12, 14])
def test_bbox_tiles_match_the_hand_computed_web_mercator_range(zoom: int) -> None:
    tms = morecantile.tms.get("WebMercatorQuad")
    tiles = list(covering_tiles(tms, (zoom,), normalize_area(BBOX, None)))
    assert {tuple(tile) for tile in tiles} == hand_computed(BBOX, zoom)
    assert len(tiles) == len(set(tiles))


def test_known_range_at_zoom_12() -> None:
    # Worked out by hand: x = floor((lon + 180) / 360 * 4096), y from the Mercator latitude formula.
    tms = morecantile.tms.get("WebMercatorQuad")
    tiles = set(covering_tiles(tms, (12,), normalize_area(BBOX, None)))
    assert tiles == {Tile(x, y, 12) for x in range(1086, 1090) for y in range(1639, 1644)}


def test_several_zoom_levels_come_zoom_by_zoom() -> None:
    tms = morecantile.tms.get("WebMercatorQuad")
    tiles = list(covering_tiles(tms, (11, 12), normalize_area(BBOX, None)))
    assert [tile.z for tile in tiles] == sorted(tile.z for tile in tiles)
    assert {tuple(t) for t in tiles} == hand_computed(BBOX, 11) | hand_computed(BBOX, 12)


def test_the_services_own_definition_gives_the_same_tiles_as_the_builtin() -> None:
    from azure.planetarycomputer._tile_grid import tile_matrix_set_from_definition

    service = tile_matrix_set_from_definition(service_tile_matrix_set())
    builtin = morecantile.tms.get("WebMercatorQuad")
    area = normalize_area(BBOX, None)
    assert list(covering_tiles(service, (13,), area)) == list(covering_tiles(builtin, (13,), area))


def test_a_geometry_selects_only_the_tiles_it_overlaps() -> None:
    tms = morecantile.tms.get("WebMercatorQuad")
    inner = tms.bounds(morecantile.Tile(1087, 1640, 12))
    # A polygon exactly on one tile's edges touches its 8 neighbours but overlaps only that tile.
    square = {
        "type": "Polygon",
        "coordinates": [
            [
                [inner.left, inner.bottom],
                [inner.right, inner.bottom],
                [inner.right, inner.top],
                [inner.left, inner.top],
                [inner.left, inner.bottom],
            ]
        ],
    }
    assert list(covering_tiles(tms, (12,), normalize_area(None, square))) == [Tile(1087, 1640, 12)]
    # A triangle over the bbox: the tiles right of its hypotenuse are left out.
    west, south, east, north = BBOX
    triangle = {
        "type": "Polygon",
        "coordinates": [[[west, south], [east, south], [west, north], [west, south]]],
    }
    selected = set(
        covering_tiles(tms, (12,), normalize_area(None, {"type": "Feature", "geometry": triangle}))
    )
    assert selected < {Tile(*t) for t in hand_computed(BBOX, 12)}
    assert Tile(1086, 1643, 12) in selected and Tile(1089, 1639, 12) not in selected
    point = {"type": "Point", "coordinates": [-84.4, 33.6]}
    assert list(covering_tiles(tms, (12,), normalize_area(None, point))) == [
        Tile(*web_mercator_tile(-84.4, 33.6, 12), 12)
    ]


# --------------------------------------------------------------------------------------------------
# Checks before any request
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "error", "name"),
    [
        ({"bbox": BBOX, "zooms": 25}, ValueError, "zooms"),
        ({"bbox": BBOX, "zooms": -1}, ValueError, "zooms"),
        ({"bbox": BBOX, "zooms": True}, TypeError, "zooms"),
        ({"bbox": BBOX, "zooms": []}, ValueError, "zooms"),
        ({"bbox": [-84.5, 33.5, -84.25], "zooms": 12}, ValueError, "bbox"),
        ({"bbox": [-84.5, 95, -84.25, 96], "zooms": 12}, ValueError, "bbox"),
        ({"zooms": 12}, ValueError, "bbox"),
        (
            {"bbox": BBOX, "intersects": {"type": "Point", "coordinates": [0, 0]}, "zooms": 12},
            ValueError,
            "bbox",
        ),
        ({"intersects": {"type": "Nothing"}, "zooms": 12}, ValueError, "intersects"),
        ({"bbox": BBOX, "zooms": 12, "concurrency": 0}, ValueError, "concurrency"),
        ({"bbox": BBOX, "zooms": 12, "concurrency": 2.5}, TypeError, "concurrency"),
        ({"bbox": BBOX, "zooms": 12, "progress": "yes"}, TypeError, "progress"),
        ({"bbox": BBOX, "zooms": 12, "colour_map": "viridis"}, TypeError, "colour_map"),
        ({"bbox": BBOX, "zooms": 12, "tile_matrix_set_id": ""}, ValueError, "tile_matrix_set_id"),
    ],
)
def test_bad_arguments_fail_before_any_request(arguments: dict[str, Any], error: type, name: str) -> None:
    client, transport = make_client()
    with pytest.raises(error, match=name):
        client.data.iter_tiles("naip", "item-1", **arguments)
    assert transport.requests == []


@pytest.mark.parametrize(
    ("target", "name"),
    [
        ({}, "collection_id"),
        ({"item_id": "item-1"}, "collection_id"),
        ({"collection_id": "naip", "search_id": "abc"}, "search_id"),
        ({"collection_id": 5}, "collection_id"),
        ({"search_id": ""}, "search_id"),
    ],
)
def test_the_target_must_be_an_item_a_collection_or_a_search(target: dict[str, Any], name: str) -> None:
    client, transport = make_client()
    with pytest.raises((ValueError, TypeError), match=name):
        client.data.iter_tiles(**target, bbox=BBOX, zooms=12)
    assert transport.requests == []


def test_download_checks_format_and_directory_first(tmp_path: Path) -> None:
    client, transport = make_client()
    with pytest.raises(ValueError, match="format"):
        client.data.download_tiles("naip", directory=tmp_path, bbox=BBOX, zooms=12, format="../png")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="directory"):
        client.data.download_tiles("naip", directory=tmp_path / "file", bbox=BBOX, zooms=12)
    assert transport.requests == []


@pytest.mark.parametrize(("module", "extra"), [("morecantile", "tiles"), ("tqdm", "progress")])
def test_a_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch, module: str, extra: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes "import module" raise ImportError
    client, transport = make_client()
    with pytest.raises(ImportError, match=rf"azure-planetarycomputer\[{extra}\]"):
        client.data.iter_tiles("naip", "item-1", bbox=BBOX, zooms=12, progress=True)
    assert transport.requests == []


# --------------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------------


def test_every_tile_is_fetched_with_float_coordinates_and_the_render_options() -> None:
    client, transport = make_client()
    results = dict(
        client.data.iter_tiles(
            "naip",
            "item-1",
            bbox=BBOX,
            zooms=12,
            assets=["image"],
            asset_band_indices=["image|1,2,3"],
            rescale=["0,255"],
            color_map_name="viridis",
            format="png",
            scale=2,
        )
    )
    expected = {Tile(*t) for t in hand_computed(BBOX, 12)}
    assert set(results) == expected
    assert all(results[tile] == body_for(tile) for tile in expected)
    assert len(transport.requests) == len(expected)
    first = transport.requests[0]
    tile = tile_of(first)
    assert first.path == (
        f"/data/mosaic/collections/naip/items/item-1/tiles/WebMercatorQuad/12.0/{tile.x}.0/{tile.y}.0"
    )
    assert dict(first.query) | {"api-version": "-"} == {
        "api-version": "-",
        "assets": "image",
        "asset_bidx": "image|1,2,3",
        "rescale": "0,255",
        "colormap_name": "viridis",
        "format": "png",
        "scale": "2",
    }
    assert first.header("Authorization") == "Bearer fake-geocatalog-token"


@pytest.mark.parametrize(
    ("target", "path"),
    [
        ({"collection_id": "naip"}, "/data/mosaic/collections/naip/tiles/WebMercatorQuad/"),
        ({"search_id": "5bdb874d"}, "/data/mosaic/searches/5bdb874d/tiles/WebMercatorQuad/"),
        (
            {"collection_id": "naip", "item_id": "i"},
            "/data/mosaic/collections/naip/items/i/tiles/WebMercatorQuad/",
        ),
    ],
)
def test_item_collection_and_search_targets(target: dict[str, Any], path: str) -> None:
    client, transport = make_client()
    assert len(list(client.data.iter_tiles(**target, bbox=BBOX, zooms=10))) == len(hand_computed(BBOX, 10))
    assert all(request.path.startswith(path) for request in transport.requests)


def test_a_service_defined_tile_matrix_set_is_fetched_once_and_used() -> None:
    definition = service_tile_matrix_set("ServiceQuad")

    def responder(request: CapturedRequest) -> CannedResponse:
        if request.path == "/data/tile-matrix-sets/ServiceQuad":
            return CannedResponse.json(definition)
        return tile_responder(request)

    client, transport = make_client(responder)
    first = [
        tile
        for tile, _ in client.data.iter_tiles("naip", bbox=BBOX, zooms=12, tile_matrix_set_id="ServiceQuad")
    ]
    second = list(client.data.iter_tiles("naip", bbox=BBOX, zooms=12, tile_matrix_set_id="ServiceQuad"))
    definition_requests = [r for r in transport.requests if r.path.startswith("/data/tile-matrix-sets/")]
    assert len(definition_requests) == 1
    assert set(first) == {Tile(*t) for t in hand_computed(BBOX, 12)} and len(second) == len(first)
    assert all("/tiles/ServiceQuad/12.0/" in r.path for r in transport.requests[1:])
    assert client.data.load_tile_matrix_set("ServiceQuad").id == "ServiceQuad"
    assert len(transport.requests) == 1 + 2 * len(first)


def test_builtin_tile_matrix_sets_need_no_request() -> None:
    client, transport = make_client()
    assert client.data.load_tile_matrix_set("WorldCRS84Quad").id == "WorldCRS84Quad"
    assert transport.requests == []


@pytest.mark.parametrize("concurrency", [1, 3, 8])
def test_never_more_than_concurrency_requests_in_flight(concurrency: int) -> None:
    transport = InFlightTransport()
    client, _ = make_client(transport=transport)
    tiles = list(client.data.iter_tiles("naip", bbox=BBOX, zooms=12, concurrency=concurrency))
    assert len(tiles) == 20
    assert transport.max_in_flight == concurrency


def test_stopping_early_sends_no_more_requests() -> None:
    transport = InFlightTransport()
    client, _ = make_client(transport=transport)
    tiles = client.data.iter_tiles("naip", bbox=BBOX, zooms=[12, 13], concurrency=4)
    next(tiles)
    tiles.close()
    sent = len(transport.requests)
    time.sleep(0.1)
    assert len(transport.requests) == sent <= 4 + 1  # the slots in flight, refilled once at most
    assert transport.in_flight == 0


def test_failures_are_collected_and_the_other_tiles_delivered() -> None:
    def responder(request: CapturedRequest) -> CannedResponse:
        if tile_of(request).x == 1087:
            return CannedResponse.json({"error": {"code": "NotFound", "message": "no data"}}, status=404)
        return tile_responder(request)

    client, _ = make_client(responder, retry_total=0)
    delivered: list[Tile] = []
    with pytest.raises(TileDownloadError) as raised:
        for tile, data in client.data.iter_tiles("naip", "item-1", bbox=BBOX, zooms=12):
            assert data == body_for(tile)
            delivered.append(tile)
    expected = {Tile(*t) for t in hand_computed(BBOX, 12)}
    failed = {tile for tile in expected if tile.x == 1087}
    assert set(delivered) == expected - failed
    error = raised.value
    assert {failure.tile for failure in error.failures} == failed
    assert all(isinstance(failure.error, ResourceNotFoundError) for failure in error.failures)
    assert error.result == TileDownloadResult(fetched=15, skipped=0, failed=5, bytes=error.result.bytes)
    assert "5 of 20 tiles failed" in str(error) and "12/1087/1639" in str(error) and "no data" in str(error)


def test_a_refused_credential_stops_the_run_at_once() -> None:
    client, transport = make_client(lambda request: CannedResponse.json({"error": {}}, status=401))
    with pytest.raises(ClientAuthenticationError):
        list(client.data.iter_tiles("naip", bbox=BBOX, zooms=[12, 13], concurrency=2))
    assert len(transport.requests) <= 3


def test_progress_callback_counts_tiles_and_bytes() -> None:
    client, _ = make_client()
    updates: list[TileProgress] = []
    tiles = dict(client.data.iter_tiles("naip", bbox=BBOX, zooms=12, progress=updates.append))
    assert [update.completed for update in updates] == list(range(1, 21))
    assert updates[-1] == TileProgress(total=20, fetched=20, bytes=sum(len(data) for data in tiles.values()))


def test_progress_bar(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    client, _ = make_client()
    client.data.download_tiles("naip", directory=tmp_path, bbox=BBOX, zooms=12, progress=True)
    assert "20/20" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------------
# Downloads
# --------------------------------------------------------------------------------------------------


def files_under(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` but the folder's manifest (which tests check on their own)."""
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in directory.rglob("*")
        if path.is_file() and path.name != MANIFEST_NAME
    }


def test_download_writes_z_x_y_files_and_a_rerun_resumes(tmp_path: Path) -> None:
    client, transport = make_client()
    result = client.data.download_tiles(
        "naip", "item-1", directory=tmp_path, bbox=BBOX, zooms=12, format="jpeg"
    )
    expected = {Tile(*t) for t in hand_computed(BBOX, 12)}
    assert files_under(tmp_path) == {f"12/{t.x}/{t.y}.jpeg": body_for(t) for t in expected}
    assert result == TileDownloadResult(20, 0, 0, sum(len(body_for(t)) for t in expected), tmp_path)
    assert all(dict(request.query)["format"] == "jpeg" for request in transport.requests)

    transport.requests.clear()
    (tmp_path / "12" / "1088" / "1641.jpeg").unlink()
    (tmp_path / "12" / "1086" / "1639.jpeg").unlink()
    again = client.data.download_tiles(
        "naip", "item-1", directory=tmp_path, bbox=BBOX, zooms=12, format="jpeg"
    )
    assert sorted(tile_of(request) for request in transport.requests) == [
        Tile(1086, 1639, 12),
        Tile(1088, 1641, 12),
    ]
    assert (again.fetched, again.skipped) == (2, 18)
    assert len(files_under(tmp_path)) == 20

    transport.requests.clear()
    client.data.download_tiles("naip", "item-1", directory=tmp_path, bbox=BBOX, zooms=12, format="jpeg")
    assert transport.requests == []
    client.data.download_tiles(
        "naip", "item-1", directory=tmp_path, bbox=BBOX, zooms=12, format="jpeg", overwrite=True
    )
    assert len(transport.requests) == 20


class BrokenStream(CannedResponse):
    """A 200 whose body breaks off after the first chunk, as when a connection drops."""

    def _chunks(self) -> Iterator[bytes]:
        yield self.body[:10]
        raise ConnectionResetError("connection dropped mid-body")


def test_a_failed_tile_leaves_no_file_and_is_fetched_on_the_next_run(tmp_path: Path) -> None:
    broken = Tile(1088, 1640, 12)

    def flaky(request: CapturedRequest) -> CannedResponse:
        tile = tile_of(request)
        if tile == broken:
            return BrokenStream(status=200, headers={"Content-Type": "image/png"}, body=body_for(tile))
        return tile_responder(request)

    client, _ = make_client(flaky)
    with pytest.raises(TileDownloadError) as raised:
        client.data.download_tiles("naip", directory=tmp_path, bbox=BBOX, zooms=12)
    assert [failure.tile for failure in raised.value.failures] == [broken]
    assert raised.value.result.fetched == 19
    names = set(files_under(tmp_path))
    assert len(names) == 19 and "12/1088/1640.png" not in names  # and no temporary file either

    client, transport = make_client()
    result = client.data.download_tiles("naip", directory=tmp_path, bbox=BBOX, zooms=12)
    assert [tile_of(request) for request in transport.requests] == [broken]
    assert (result.fetched, result.skipped) == (1, 19)
    assert files_under(tmp_path)["12/1088/1640.png"] == body_for(broken)


def test_memory_stays_flat_however_many_tiles(tmp_path: Path) -> None:
    tile_body = bytes(range(256)) * 512  # 128 KiB

    def responder(request: CapturedRequest) -> CannedResponse:
        return CannedResponse(
            status=200, headers={"Content-Type": "image/png"}, body=tile_body, chunk_size=16384
        )

    client, _ = make_client(responder)
    bbox = [-84.5, 33.5, -84.0, 34.0]
    tracemalloc.start()
    try:
        result = client.data.download_tiles(
            "naip", directory=tmp_path, bbox=bbox, zooms=[12, 14], concurrency=8
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.fetched == len(hand_computed(bbox, 12) | hand_computed(bbox, 14)) > 500
    assert result.bytes == result.fetched * len(tile_body)  # over 64 MiB went through
    assert peak < 16 * 2**20, f"peak {peak / 2**20:.1f} MiB"


# --------------------------------------------------------------------------------------------------
# A real server: concurrency on the wire and the connection pool
# --------------------------------------------------------------------------------------------------


class _TileServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _TileHandler)
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests = 0
        self.connections: set[int] = set()
        self.authorization: set[str] = set()


class _TileHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _TileServer

    def do_GET(self) -> None:
        server = self.server
        with server.lock:
            server.in_flight += 1
            server.max_in_flight = max(server.max_in_flight, server.in_flight)
            server.requests += 1
            server.connections.add(self.client_address[1])
            server.authorization.add(self.headers.get("Authorization", ""))
        time.sleep(0.1)  # long enough for all 16 client threads to have a request in flight
        body = f"png {self.path}".encode()
        with server.lock:
            server.in_flight -= 1
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def tile_server() -> Iterator[_TileServer]:
    server = _TileServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.parametrize("transport_name", ["default", "requests"])
def test_the_connection_pool_is_sized_to_the_concurrency(
    tile_server: _TileServer, tmp_path: Path, caplog: pytest.LogCaptureFixture, transport_name: str
) -> None:
    endpoint = f"http://127.0.0.1:{tile_server.server_address[1]}"
    caplog.set_level(logging.WARNING, logger="urllib3")
    kwargs: dict[str, Any] = {"transport": RequestsTransport()} if transport_name == "requests" else {}
    with PlanetaryComputerProClient(endpoint, FakeTokenCredential(), **kwargs) as client:
        result = client.data.download_tiles("naip", directory=tmp_path, bbox=BBOX, zooms=14, concurrency=16)
        transport: Any = client._client._pipeline._transport
        if transport_name == "requests":
            assert all(adapter._pool_maxsize >= 16 for adapter in transport.session.adapters.values())
        else:
            assert isinstance(transport, Urllib3Transport)
            assert transport._pool_maxsize >= 16
    assert result.fetched == tile_server.requests > 100
    assert 10 < tile_server.max_in_flight <= 16
    # Both transports keep 10 connections per host by default: with 16 in flight they would drop and
    # reopen connections all the time ("Connection pool is full"); sized to 16, each one is reused.
    assert len(tile_server.connections) <= 16
    assert "Connection pool is full" not in caplog.text
    assert tile_server.authorization == {"Bearer fake-geocatalog-token"}


# --------------------------------------------------------------------------------------------------
# The helpers build tile requests from a template (_tile_requests.py): the same requests, and the
# same errors, as the generated tile operations
# --------------------------------------------------------------------------------------------------

_TARGETS: dict[str, dict[str, Any]] = {
    "get_tile": {"collection_id": "naip", "item_id": "ga m/sample#1"},
    "get_collection_tile": {"collection_id": "naip"},
    "get_search_tile": {"search_id": "0a1b2c3d"},
}
_RENDER_OPTIONS: list[dict[str, Any]] = [
    {},
    {"assets": ["image"], "asset_band_indices": ["image|1,2,3"], "format": "png"},
    {"expression": "(b4-b1)/(b4+b1)", "rescale": ["-1,1"], "color_map_name": "rdylgn", "scale": 2},
    {
        "bidx": [1, 2],
        "no_data": "0",
        "unscale": True,
        "buffer": 1.5,
        "format": "jpeg",
        "datetime": "2021-01-01",
    },
]


@pytest.mark.parametrize("options", _RENDER_OPTIONS, ids=range(len(_RENDER_OPTIONS)))
@pytest.mark.parametrize("operation", sorted(_TARGETS))
def test_the_helper_sends_what_the_generated_operation_sends(operation: str, options: dict[str, Any]) -> None:
    client, transport = make_client()
    tiles = dict(client.data.iter_tiles(**_TARGETS[operation], bbox=BBOX, zooms=12, **options))
    assert tiles
    by_tile = {tile_of(request): request for request in transport.requests}
    generated = getattr(client.data, operation)
    for tile in tiles:
        transport.requests.clear()
        b"".join(
            generated(*_TARGETS[operation].values(), "WebMercatorQuad", tile.z, tile.x, tile.y, **options)
        )
        (expected,) = transport.requests
        sent = by_tile[tile]
        assert sent.url == expected.url
        assert {k: v for k, v in sent.headers.items() if k != "x-ms-client-request-id"} == {
            k: v for k, v in expected.headers.items() if k != "x-ms-client-request-id"
        }
        assert (sent.method, sent.body) == (expected.method, expected.body)


@pytest.mark.parametrize("status", [304, 400, 401, 404, 409, 500])
def test_a_tile_error_is_the_generated_operations_error(status: int) -> None:
    error_body = {"error": {"code": f"Code{status}", "message": f"status {status}"}}

    def responder(request: CapturedRequest) -> CannedResponse:
        return CannedResponse.json(error_body, status=status)

    client, _ = make_client(responder, retry_total=0)
    ours: Any
    if status == 401:  # a refused credential stops the run at once
        with pytest.raises(ClientAuthenticationError) as refused:
            list(client.data.iter_tiles("naip", "item-1", bbox=BBOX, zooms=10))
        ours = refused.value
    else:
        with pytest.raises(TileDownloadError) as raised:
            list(client.data.iter_tiles("naip", "item-1", bbox=BBOX, zooms=10))
        ours = raised.value.failures[0].error
    with pytest.raises(HttpResponseError) as generated:
        b"".join(client.data.get_tile("naip", "item-1", "WebMercatorQuad", 10, 272, 410))
    assert type(ours) is type(generated.value)
    assert ours.status_code == generated.value.status_code == status
    assert ours.error is not None and generated.value.error is not None
    assert (ours.error.code, ours.error.message) == (
        generated.value.error.code,
        generated.value.error.message,
    )


def test_without_a_template_the_helper_calls_the_generated_operation(monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.planetarycomputer._tile_requests import TileRequestTemplate

    client, _ = make_client()
    assert (
        TileRequestTemplate.build(client.data, "no_such_operation", ("naip",), "WebMercatorQuad", {}) is None
    )
    calls: list[tuple[Any, ...]] = []
    generated = client.data.get_tile

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return generated(*args, **kwargs)

    monkeypatch.setattr(TileRequestTemplate, "build", classmethod(lambda cls, *args: None))
    monkeypatch.setattr(client.data, "get_tile", counted)
    tiles = dict(client.data.iter_tiles("naip", "item-1", bbox=BBOX, zooms=12))
    assert {Tile(*t) for t in hand_computed(BBOX, 12)} == set(tiles)
    assert all(tiles[tile] == body_for(tile) for tile in tiles)
    assert len(calls) == len(tiles)


# --------------------------------------------------------------------------------------------------
# The bounded worker threads (_bounded)
# --------------------------------------------------------------------------------------------------


def test_bounded_keeps_at_most_concurrency_tiles_ahead_of_a_slow_consumer() -> None:
    from azure.planetarycomputer._tiles import _bounded

    drawn: list[int] = []

    def tiles() -> Iterator[Tile]:
        for n in range(50):
            drawn.append(n)
            yield Tile(n, 0, 10)

    outcomes = _bounded(tiles(), lambda tile: tile.x, concurrency=3)
    first = next(outcomes)
    # The consumer holds one outcome: the workers may fill the other two slots, and no more.
    deadline = time.monotonic() + 10
    while len(drawn) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert len(drawn) == 3
    results = [first[1], *(result for _, result in outcomes)]
    assert sorted(result for result in results if isinstance(result, int)) == list(range(50))


def test_bounded_raises_what_the_tile_iterator_raises_and_stops() -> None:
    from azure.planetarycomputer._tiles import _bounded

    def tiles() -> Iterator[Tile]:
        yield Tile(0, 0, 10)
        raise RuntimeError("tile grid failed")

    with pytest.raises(RuntimeError, match="tile grid failed"):
        list(_bounded(tiles(), lambda tile: tile.x, concurrency=4))


def test_bounded_yields_errors_and_raises_base_exceptions() -> None:
    from azure.planetarycomputer._tiles import _bounded

    def work(tile: Tile) -> int:
        if tile.x == 1:
            raise ValueError("bad tile")
        if tile.x == 3:
            raise KeyboardInterrupt
        return tile.x

    outcomes = _bounded(iter([Tile(0, 0, 1), Tile(1, 0, 1)]), work, concurrency=2)
    results = dict(outcomes)
    assert results[Tile(0, 0, 1)] == 0
    assert isinstance(results[Tile(1, 0, 1)], ValueError)
    with pytest.raises(KeyboardInterrupt):
        list(_bounded(iter([Tile(3, 0, 1)]), work, concurrency=2))


class _RecordingSpan:
    """A minimal azure-core span implementation that records the names of the spans opened."""

    names: ClassVar[list[str]] = []
    kind = None
    span_instance = None

    def __init__(self, span: Any = None, name: str = "span", **kwargs: Any) -> None:
        _RecordingSpan.names.append(name)

    def span(self, name: str = "child_span", **kwargs: Any) -> _RecordingSpan:
        return _RecordingSpan(name=name, **kwargs)

    def __enter__(self) -> _RecordingSpan:
        return self

    def __exit__(self, *args: Any) -> None:
        pass

    def start(self) -> None:
        pass

    def finish(self) -> None:
        pass

    def set_http_attributes(self, request: Any, response: Any = None) -> None:
        pass

    def add_attribute(self, key: str, value: Any) -> None:
        pass

    def get_trace_parent(self) -> str:
        return ""

    def to_header(self) -> dict[str, str]:
        return {}

    @classmethod
    def link(cls, *args: Any, **kwargs: Any) -> None:
        pass

    @classmethod
    def link_from_headers(cls, *args: Any, **kwargs: Any) -> None:
        pass

    @classmethod
    def get_current_span(cls) -> Any:
        return None

    @classmethod
    def get_current_tracer(cls) -> Any:
        return None

    @classmethod
    def set_current_span(cls, span: Any) -> None:
        pass

    @classmethod
    def set_current_tracer(cls, tracer: Any) -> None:
        pass

    @classmethod
    def change_context(cls, span: Any) -> Any:
        return contextlib.nullcontext()

    @classmethod
    def with_current_context(cls, func: Any) -> Any:
        return func


def test_each_tile_is_traced_as_the_generated_operation_traces_it() -> None:
    from azure.core.settings import settings

    client, _ = make_client()
    settings.tracing_implementation.set_value(_RecordingSpan)  # type: ignore[arg-type]  # duck-typed span
    try:
        b"".join(client.data.get_tile("naip", "item-1", "WebMercatorQuad", 12, 1087, 1637))
        by_the_operation = list(_RecordingSpan.names)
        _RecordingSpan.names.clear()
        tiles = dict(client.data.iter_tiles("naip", "item-1", bbox=BBOX, zooms=12))
    finally:
        settings.tracing_implementation.unset_value()
    assert by_the_operation == ["DataOperations.get_tile", "GET"]
    assert sorted(_RecordingSpan.names) == sorted(by_the_operation * len(tiles))

"""Under faults nothing is lost: the real client against a misbehaving local server.

Every test starts :class:`fault_server.FaultServer` on 127.0.0.1 (a second one on 127.0.0.2 plays
storage), points the client at it over plain http (allowed for loopback only), injects a fault --
throttling with and without Retry-After, 5xx, a connection reset or a truncated body in the middle of
a download, a stalled server, a failing search page, a failing long-running operation -- counts the
requests that reached the server, and checks what the caller gets: the right answer after retries,
or one clear azure-core exception, never a silent short file or a hang. Waits are short (backoff
factor 0.05 s, at most 0.2 s; read timeout 0.3 s) but measured.
"""

from __future__ import annotations

import functools
import gzip
import json
import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _capture import FAKE_TOKEN, FakeAsyncTokenCredential, FakeTokenCredential
from azure.core.exceptions import (
    AzureError,
    DecodeError,
    HttpResponseError,
    IncompleteReadError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer._transport import Urllib3Transport
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from fault_server import STATS, FaultServer, RecordedRequest, Reply
from reliability_stats import add_section

FAST = {"retry_total": 3, "retry_backoff_factor": 0.05, "retry_backoff_max": 0.2}
"""Retry settings: waits of 0, 0.1 and 0.2 s between the four tries."""
HONOUR_ONE_SECOND = {"retry_backoff_max": 1.5}
"""A maximum backoff above ``Retry-After: 1``: Retry-After is capped at the maximum backoff."""

BACKOFF_WAITS = 0.0 + 0.1 + 0.2
READ_TIMEOUT = 0.3
SLACK = 2.0
"""Scheduling allowance on top of an expected wait; far below any stall a test injects."""

BODY = bytes(range(256)) * 1024  # 256 KiB, so a short file cannot go unnoticed
CUT = 64 * 1024
COLLECTION = {
    "id": "naip",
    "type": "Collection",
    "stac_version": "1.0.0",
    "description": "NAIP",
    "license": "proprietary",
    "links": [],
    "extent": {"spatial": {"bbox": [[-85.6, 30.3, -80.8, 35.0]]}, "temporal": {"interval": [[None, None]]}},
}
COLLECTION_PATH = "/stac/collections/naip"
SEARCH_PATH = "/stac/search"
TILE_PATH = "/data/mosaic/collections/naip/items/tile-1/tiles/WebMercatorQuad/3.0/2.0/1.0"
CROP_PATH = "/data/mosaic/collections/naip/items/tile-1/bbox/-84.5,33.5,-84.25,33.75.tif"

SURVIVED: dict[str, int] = {}
"""Faults the client came through, by test: recovered (right answer) or surfaced as one clear error."""


def survived(kind: str, count: int = 1) -> None:
    SURVIVED[kind] = SURVIVED.get(kind, 0) + count


@pytest.fixture(scope="module", autouse=True)
def _report_counts() -> Iterator[None]:
    """With RELIABILITY_STATS=<file>, add this module's fault counts to that JSON file."""
    yield
    add_section("faults", {"injected": dict(STATS), "survived": dict(SURVIVED)})


# --------------------------------------------------------------------------------------------------
# Servers and clients
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as running:
        yield running


@pytest.fixture
def storage() -> Iterator[FaultServer]:
    """A second host: storage, reached with SAS-signed hrefs and never with the bearer token."""
    with FaultServer("127.0.0.2") as running:
        yield running


def sync_client(server: FaultServer, **kwargs: Any) -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(server.url, FakeTokenCredential(), **{**FAST, **kwargs})


def async_client(server: FaultServer, **kwargs: Any) -> AsyncPlanetaryComputerProClient:
    return AsyncPlanetaryComputerProClient(server.url, FakeAsyncTokenCredential(), **{**FAST, **kwargs})


def throttled(status: int, retry_after: str | None = None) -> Reply:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Reply.error(status, "ServerBusy", f"status {status}: try again", **headers)


def search_page(ids: Iterable[str], next_href: str | None = None) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "stac_version": "1.0.0",
            "id": item_id,
            "collection": "naip",
            "geometry": {"type": "Point", "coordinates": [-84.4, 33.7]},
            "bbox": [-84.4, 33.7, -84.4, 33.7],
            "properties": {"datetime": "2021-06-01T00:00:00Z"},
            "assets": {},
            "links": [],
        }
        for item_id in ids
    ]
    links = [{"rel": "next", "href": next_href, "method": "GET", "type": "application/geo+json"}]
    return {"type": "FeatureCollection", "features": features, "links": links if next_href else []}


def all_tokens_authorized(requests: Iterable[RecordedRequest]) -> bool:
    return all(request.header("Authorization") == f"Bearer {FAKE_TOKEN}" for request in requests)


# --------------------------------------------------------------------------------------------------
# Throttling and server errors: retried with the right waits, then success or one clear error
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_get_waits_for_retry_after_then_succeeds(server: FaultServer, status: int) -> None:
    server.script(COLLECTION_PATH, throttled(status, "1"), Reply.json(COLLECTION))
    with sync_client(server, **HONOUR_ONE_SECOND) as client:
        started = time.monotonic()
        collection = client.stac.get_collection("naip")
        waited = time.monotonic() - started
    assert collection.id == "naip"
    assert server.count(COLLECTION_PATH) == 2
    assert 0.95 <= waited < 1.0 + SLACK, f"Retry-After: 1 honoured with a wait of {waited:.2f}s"
    survived(f"status:{status}+Retry-After")


@pytest.mark.parametrize("status", [429, 503])
def test_search_post_waits_for_retry_after_then_succeeds(server: FaultServer, status: int) -> None:
    server.script(SEARCH_PATH, throttled(status, "1"), Reply.json(search_page(["a", "b"])))
    with sync_client(server, **HONOUR_ONE_SECOND) as client:
        started = time.monotonic()
        page = client.stac.search({"collections": ["naip"], "limit": 2})
        waited = time.monotonic() - started
    assert [feature.id for feature in page.features] == ["a", "b"]
    posts = list(server.matching(SEARCH_PATH, "POST"))
    assert len(posts) == 2 and all(post.json() == {"collections": ["naip"], "limit": 2} for post in posts)
    assert 0.95 <= waited < 1.0 + SLACK, f"Retry-After: 1 honoured with a wait of {waited:.2f}s"
    survived(f"status:{status}+Retry-After")


async def test_async_get_and_search_wait_for_retry_after(server: FaultServer) -> None:
    server.script(COLLECTION_PATH, throttled(429, "1"), Reply.json(COLLECTION))
    server.script(SEARCH_PATH, throttled(503, "1"), Reply.json(search_page(["a"])))
    async with async_client(server, **HONOUR_ONE_SECOND) as client:
        started = time.monotonic()
        collection = await client.stac.get_collection("naip")
        page = await client.stac.search({"collections": ["naip"]})
        waited = time.monotonic() - started
    assert collection.id == "naip" and [feature.id for feature in page.features] == ["a"]
    assert server.count(COLLECTION_PATH) == 2 and server.count(SEARCH_PATH) == 2
    assert 1.9 <= waited < 2.0 + SLACK
    survived("status:429/503+Retry-After (async)", 2)


def _server_errors() -> list[Reply]:
    return [throttled(500), Reply.html(502), throttled(504)]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_5xx_without_retry_after_back_off_exponentially_then_succeed(
    server: FaultServer, method: str
) -> None:
    path = COLLECTION_PATH if method == "GET" else SEARCH_PATH
    answer = COLLECTION if method == "GET" else search_page(["a"])
    server.script(path, *_server_errors(), Reply.json(answer))
    with sync_client(server) as client:
        started = time.monotonic()
        if method == "GET":
            assert client.stac.get_collection("naip").id == "naip"
        else:
            assert [feature.id for feature in client.stac.search({"collections": ["naip"]}).features] == ["a"]
        waited = time.monotonic() - started
    assert server.count(path, method) == 4
    assert BACKOFF_WAITS * 0.9 <= waited < BACKOFF_WAITS + SLACK, f"waited {waited:.2f}s"
    survived("status:500/502/504", 3)


async def test_async_5xx_without_retry_after_back_off_then_succeed(server: FaultServer) -> None:
    server.script(SEARCH_PATH, *_server_errors(), Reply.json(search_page(["a"])))
    async with async_client(server) as client:
        started = time.monotonic()
        page = await client.stac.search({"collections": ["naip"]})
        waited = time.monotonic() - started
    assert [feature.id for feature in page.features] == ["a"]
    assert server.count(SEARCH_PATH, "POST") == 4
    assert BACKOFF_WAITS * 0.9 <= waited < BACKOFF_WAITS + SLACK
    survived("status:500/502/504 (async)", 3)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_exhausted_retries_give_one_error_with_status_and_service_code(
    server: FaultServer, method: str
) -> None:
    path = COLLECTION_PATH if method == "GET" else SEARCH_PATH
    server.script(path, throttled(503))
    with sync_client(server, retry_total=2) as client, pytest.raises(HttpResponseError) as caught:
        if method == "GET":
            client.stac.get_collection("naip")
        else:
            client.stac.search({"collections": ["naip"]})
    assert server.count(path, method) == 3  # the first try and two retries
    error = caught.value
    assert error.status_code == 503
    assert error.error is not None and error.error.code == "ServerBusy"
    assert "ServerBusy" in str(error) and "try again" in str(error)
    survived("status:503 exhausted", 3)


async def test_async_exhausted_retries_give_one_error(server: FaultServer) -> None:
    server.script(COLLECTION_PATH, throttled(429))
    async with async_client(server, retry_total=2) as client:
        with pytest.raises(HttpResponseError) as caught:
            await client.stac.get_collection("naip")
    assert server.count(COLLECTION_PATH) == 3
    assert caught.value.status_code == 429 and caught.value.error is not None
    assert caught.value.error.code == "ServerBusy"
    survived("status:429 exhausted (async)", 3)


# --------------------------------------------------------------------------------------------------
# Connection reset and truncated bodies in the middle of a download
# --------------------------------------------------------------------------------------------------

STREAM_ERRORS = (IncompleteReadError, ServiceResponseError, HttpResponseError)


def _stream_fault(kind: str) -> Reply:
    return Reply.reset(BODY, CUT) if kind == "reset" else Reply.truncated(BODY, CUT)


def _write(chunks: Iterable[bytes], path: Path) -> int:
    with path.open("wb") as sink:
        for chunk in chunks:
            sink.write(chunk)
    return path.stat().st_size


async def _write_async(chunks: AsyncIterator[bytes], path: Path) -> int:
    with path.open("wb") as sink:
        async for chunk in chunks:
            sink.write(chunk)
    return path.stat().st_size


@pytest.mark.parametrize("kind", ["reset", "truncated"])
@pytest.mark.parametrize("operation", ["get_tile", "get_item_bbox_crop"])
def test_broken_download_raises_instead_of_a_short_file(
    server: FaultServer, tmp_path: Path, kind: str, operation: str
) -> None:
    path = TILE_PATH if operation == "get_tile" else CROP_PATH
    server.script(path, _stream_fault(kind))
    target = tmp_path / "image.bin"
    with sync_client(server) as client:
        if operation == "get_tile":
            chunks = client.data.get_tile("naip", "tile-1", "WebMercatorQuad", 3, 2, 1)
        else:
            chunks = client.data.get_item_bbox_crop("naip", "tile-1", -84.5, 33.5, -84.25, 33.75, "tif")
        with pytest.raises(STREAM_ERRORS) as caught:
            _write(chunks, target)
    assert isinstance(caught.value, AzureError)
    assert target.stat().st_size < len(BODY)  # the caller knows the file is short: it got an error
    assert server.count(path) == 1
    survived(kind)


@pytest.mark.parametrize("kind", ["reset", "truncated"])
async def test_async_broken_download_raises(server: FaultServer, tmp_path: Path, kind: str) -> None:
    server.script(TILE_PATH, _stream_fault(kind))
    server.script(CROP_PATH, _stream_fault(kind))
    async with async_client(server) as client:
        tile = await client.data.get_tile("naip", "tile-1", "WebMercatorQuad", 3, 2, 1)
        with pytest.raises(STREAM_ERRORS):
            await _write_async(tile, tmp_path / "tile.png")
        crop = await client.data.get_item_bbox_crop("naip", "tile-1", -84.5, 33.5, -84.25, 33.75, "tif")
        with pytest.raises(STREAM_ERRORS):
            await _write_async(crop, tmp_path / "crop.tif")
    assert server.count(TILE_PATH) == 1 and server.count(CROP_PATH) == 1
    survived(f"{kind} (async)", 2)


TILES_PREFIX = "/data/mosaic/collections/naip/items/tile-1/tiles/WebMercatorQuad/"
FAILING_TILE = TILES_PREFIX + "1.0/1.0/0.0"  # z/x/y of the tile that breaks
AREA = (-10.0, -10.0, 10.0, 10.0)  # the four tiles of zoom 1 around (0, 0)


def _tile_body(path: str) -> bytes:
    return path.encode() + BODY


def _tiles_with_one_broken(kind: str, breaks: int = 1) -> Any:
    lock = threading.Lock()
    left = {"breaks": breaks}

    def answer(request: RecordedRequest) -> Reply:
        with lock:
            broken = request.path == FAILING_TILE and left["breaks"] > 0
            if broken:
                left["breaks"] -= 1
        body = _tile_body(request.path)
        if broken:
            return Reply.reset(body, CUT) if kind == "reset" else Reply.truncated(body, CUT)
        return Reply.data(body, "image/png")

    return answer


def _no_partial_files(directory: Path) -> list[str]:
    """The files under a tile download folder, but for the manifest the download keeps there."""
    return sorted(
        str(path.relative_to(directory))
        for path in directory.rglob("*")
        if path.is_file() and path.name != ".planetarycomputer-tiles.json"
    )


@pytest.mark.parametrize("kind", ["reset", "truncated"])
def test_tile_download_keeps_other_tiles_and_names_the_broken_one(
    server: FaultServer, tmp_path: Path, kind: str
) -> None:
    pytest.importorskip("morecantile")
    server.route(TILES_PREFIX + "*", _tiles_with_one_broken(kind))
    with sync_client(server) as client:
        download = client.data.download_tiles
        with pytest.raises(AzureError) as caught:
            download("naip", "tile-1", directory=tmp_path, zooms=1, bbox=AREA, format="png", concurrency=4)
        error = caught.value
        assert "1/1/0" in str(error)  # z/x/y of the broken tile
        failures = getattr(error, "failures", [])
        assert [(failure.tile.z, failure.tile.x, failure.tile.y) for failure in failures] == [(1, 1, 0)]
        assert isinstance(failures[0].error, STREAM_ERRORS)
        # The other three tiles are whole under their final names; nothing else is on disk.
        assert _no_partial_files(tmp_path) == ["1/0/0.png", "1/0/1.png", "1/1/1.png"]
        for name in ("1/0/0", "1/0/1", "1/1/1"):
            z, x, y = name.split("/")
            assert (tmp_path / f"{name}.png").read_bytes() == _tile_body(f"{TILES_PREFIX}{z}.0/{x}.0/{y}.0")
        # Running it again fetches only the broken tile.
        result = download("naip", "tile-1", directory=tmp_path, zooms=1, bbox=AREA, format="png")
    assert (result.fetched, result.skipped, result.failed) == (1, 3, 0)
    assert (tmp_path / "1/1/0.png").read_bytes() == _tile_body(FAILING_TILE)
    assert server.count(FAILING_TILE) == 2 and server.count() == 5
    assert all_tokens_authorized(server.requests)
    survived(f"{kind} (tile download)")


async def test_async_tile_download_keeps_other_tiles(server: FaultServer, tmp_path: Path) -> None:
    pytest.importorskip("morecantile")
    server.route(TILES_PREFIX + "*", _tiles_with_one_broken("reset"))
    async with async_client(server) as client:
        with pytest.raises(AzureError) as caught:
            await client.data.download_tiles(
                "naip", "tile-1", directory=tmp_path, zooms=1, bbox=AREA, format="png", concurrency=4
            )
    assert "1/1/0" in str(caught.value)
    assert _no_partial_files(tmp_path) == ["1/0/0.png", "1/0/1.png", "1/1/1.png"]
    survived("reset (async tile download)")


def test_iter_tiles_yields_the_good_tiles_then_reports_the_broken_one(server: FaultServer) -> None:
    pytest.importorskip("morecantile")
    server.route(TILES_PREFIX + "*", _tiles_with_one_broken("truncated"))
    received: dict[str, bytes] = {}
    with sync_client(server) as client, pytest.raises(AzureError) as caught:
        for tile, body in client.data.iter_tiles("naip", "tile-1", zooms=1, bbox=AREA, concurrency=2):
            received[str(tile)] = body
    assert sorted(received) == ["1/0/0", "1/0/1", "1/1/1"]
    assert all(body.endswith(BODY) for body in received.values())
    assert "1/1/0" in str(caught.value)
    survived("truncated (iter_tiles)")


SIGNATURE = "c2VjcmV0LXNpZ25hdHVyZQ%3D%3D"
"""The secret part of a SAS; it must appear in no error message."""


@pytest.mark.parametrize("kind", ["reset", "truncated"])
def test_broken_asset_download_leaves_no_file_and_no_signature(
    server: FaultServer, storage: FaultServer, tmp_path: Path, kind: str
) -> None:
    storage.script("/container/a.tif", _stream_fault(kind))
    href = f"{storage.url}/container/a.tif?sv=2024-05-04&sr=c&sp=rl&sig={SIGNATURE}"
    target = tmp_path / "assets" / "a.tif"
    with sync_client(server) as client, pytest.raises(STREAM_ERRORS) as caught:
        client.sas.download_asset(href, target)
    assert not target.exists()
    assert _no_partial_files(tmp_path) == []
    assert SIGNATURE not in str(caught.value) and "c2VjcmV0" not in repr(caught.value)
    (request,) = storage.requests
    assert request.header("Authorization") is None
    survived(f"{kind} (asset download)")


async def test_async_broken_asset_download_leaves_no_file(
    server: FaultServer, storage: FaultServer, tmp_path: Path
) -> None:
    storage.script("/container/a.tif", Reply.reset(BODY, CUT))
    href = f"{storage.url}/container/a.tif?sv=2024-05-04&sig={SIGNATURE}"
    async with async_client(server) as client:
        with pytest.raises(STREAM_ERRORS) as caught:
            await client.sas.download_asset(href, tmp_path / "a.tif")
    assert _no_partial_files(tmp_path) == []
    assert SIGNATURE not in str(caught.value)
    survived("reset (async asset download)")


# --------------------------------------------------------------------------------------------------
# A stalled server: the read timeout fires, nothing hangs
# --------------------------------------------------------------------------------------------------


def test_stalled_server_hits_read_timeout_and_retries_boundedly(server: FaultServer) -> None:
    server.script(COLLECTION_PATH, Reply.stall(10))
    with sync_client(server, retry_total=1, read_timeout=READ_TIMEOUT) as client:
        started = time.monotonic()
        with pytest.raises(ServiceResponseError):
            client.stac.get_collection("naip")
        waited = time.monotonic() - started
    assert server.count(COLLECTION_PATH) == 2  # the read error is retried once, then reported
    assert 2 * READ_TIMEOUT * 0.9 <= waited < 2 * READ_TIMEOUT + SLACK, f"waited {waited:.2f}s"
    survived("stall", 2)


def test_server_stalling_inside_a_tile_body_times_out(server: FaultServer, tmp_path: Path) -> None:
    server.script(TILE_PATH, Reply.stall(10, body=BODY, after=CUT, content_type="image/png"))
    with sync_client(server, read_timeout=READ_TIMEOUT) as client:
        chunks = client.data.get_tile("naip", "tile-1", "WebMercatorQuad", 3, 2, 1)
        started = time.monotonic()
        with pytest.raises(ServiceResponseError):
            _write(chunks, tmp_path / "tile.png")
        waited = time.monotonic() - started
    assert waited < READ_TIMEOUT + SLACK
    survived("stall")


async def test_async_stalls_hit_read_timeout(server: FaultServer, tmp_path: Path) -> None:
    server.script(COLLECTION_PATH, Reply.stall(10))
    server.script(TILE_PATH, Reply.stall(10, body=BODY, after=CUT, content_type="image/png"))
    async with async_client(server, retry_total=0, read_timeout=READ_TIMEOUT) as client:
        started = time.monotonic()
        with pytest.raises(ServiceResponseError):
            await client.stac.get_collection("naip")
        chunks = await client.data.get_tile("naip", "tile-1", "WebMercatorQuad", 3, 2, 1)
        with pytest.raises(ServiceResponseError):
            await _write_async(chunks, tmp_path / "tile.png")
        waited = time.monotonic() - started
    assert waited < 2 * READ_TIMEOUT + SLACK
    survived("stall (async)", 2)


# --------------------------------------------------------------------------------------------------
# A search whose third page fails: resume from the continuation token, nothing lost or repeated
# --------------------------------------------------------------------------------------------------

PAGES = 5
PER_PAGE = 4


class Catalog:
    """A paged search: page k holds items k-0..k-3 and links to page k+1; page 3 fails on demand."""

    def __init__(self) -> None:
        self.page3_failures = 0
        self._lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> Reply:
        page = int(request.query.get("token", "1"))
        with self._lock:
            if page == 3 and self.page3_failures > 0:
                self.page3_failures -= 1
                return Reply.error(503, "ServerBusy", "page 3 is unavailable")
        ids = [f"item-{page}-{index}" for index in range(PER_PAGE)]
        following = f"{request.server}{SEARCH_PATH}?token={page + 1}" if page < PAGES else None
        return Reply.json(search_page(ids, following))


def _pager(client: Any) -> Any:
    return client.stac.search_items_paged


def test_search_resumes_after_a_failed_page_without_losing_or_repeating_items(server: FaultServer) -> None:
    catalog = Catalog()
    server.route(SEARCH_PATH, catalog)
    with sync_client(server, retry_total=1) as client:
        search = _pager(client)
        unbroken = [item.id for item in search(collections="naip", limit=PER_PAGE)]
        assert len(unbroken) == PAGES * PER_PAGE == len(set(unbroken))

        catalog.page3_failures = 2  # more than the one retry allowed
        received: list[str] = []
        pages = search(collections="naip", limit=PER_PAGE).by_page()
        with pytest.raises(HttpResponseError) as caught:
            for page in pages:
                received.extend(item.id for item in page)
        error = caught.value
        assert error.status_code == 503
        assert received == unbroken[: 2 * PER_PAGE]
        token = error.continuation_token
        assert token and token == pages.continuation_token

        for page in search(collections="naip", limit=PER_PAGE).by_page(continuation_token=token):
            received.extend(item.id for item in page)
    assert received == unbroken
    # The unbroken run, then pages 1, 2 and two failed tries of 3, then 3 to the end from the token.
    assert server.count(SEARCH_PATH) == PAGES + (2 + 2) + (PAGES - 2)
    assert all_tokens_authorized(server.requests)
    survived("status:503 (search page 3)", 2)


async def test_async_search_resumes_after_a_failed_page(server: FaultServer) -> None:
    catalog = Catalog()
    server.route(SEARCH_PATH, catalog)
    async with async_client(server, retry_total=0) as client:
        search = _pager(client)
        unbroken = [item.id async for item in search(collections="naip", limit=PER_PAGE)]
        catalog.page3_failures = 1
        received: list[str] = []
        pages = search(collections="naip", limit=PER_PAGE).by_page()
        with pytest.raises(HttpResponseError) as caught:
            async for page in pages:
                received.extend([item.id async for item in page])
        token = caught.value.continuation_token
        assert token
        async for page in search(collections="naip", limit=PER_PAGE).by_page(continuation_token=token):
            received.extend([item.id async for item in page])
    assert received == unbroken and len(unbroken) == PAGES * PER_PAGE
    survived("status:503 (async search page 3)")


# --------------------------------------------------------------------------------------------------
# Long-running operations: a transient poll failure recovers, a Failed operation raises its error
# --------------------------------------------------------------------------------------------------

DELETE_PATH = "/stac/collections/doomed"
OPERATION_PATH = "/inma/operations/op-1"


def _accepted(server: FaultServer) -> Reply:
    location = f"{server.url}{OPERATION_PATH}?api-version=2026-04-15"
    operation = {"id": "op-1", "status": "Pending", "type": "DeleteCollection", "collectionId": "doomed"}
    return Reply.json(operation, 202, {"operation-location": location, "Location": location})


def _operation(status: str, **extra: Any) -> Reply:
    return Reply.json({"id": "op-1", "status": status, "type": "DeleteCollection", **extra})


FAILED = _operation(
    "Failed", error={"code": "CollectionLocked", "message": "the collection is used by a running ingestion"}
)


def test_lro_poll_recovers_from_a_transient_failure(server: FaultServer) -> None:
    server.script(DELETE_PATH, _accepted(server), method="DELETE")
    server.script(OPERATION_PATH, throttled(503), _operation("Running"), _operation("Succeeded"))
    with sync_client(server) as client:
        poller = client.stac.begin_delete_collection("doomed", polling_interval=0)
        assert poller.result(timeout=10) is None
        assert poller.status() == "Succeeded"
    assert server.count(DELETE_PATH, "DELETE") == 1
    assert server.count(OPERATION_PATH) == 3  # 503 (retried), Running, Succeeded
    assert all_tokens_authorized(server.requests)
    survived("status:503 (LRO poll)")


def test_lro_that_fails_raises_the_operations_error(server: FaultServer) -> None:
    server.script(DELETE_PATH, _accepted(server), method="DELETE")
    server.script(OPERATION_PATH, _operation("Running"), FAILED)
    with sync_client(server) as client:
        poller = client.stac.begin_delete_collection("doomed", polling_interval=0)
        with pytest.raises(HttpResponseError) as caught:
            poller.result(timeout=10)
    error = caught.value
    assert "CollectionLocked" in str(error) and "running ingestion" in str(error)
    assert error.error is not None
    assert poller.status() == "Failed"
    assert server.count(OPERATION_PATH) == 2
    survived("operation Failed")


def test_lro_error_keeps_the_services_code_and_message(server: FaultServer) -> None:
    """The structured ``error`` of the failure is the operation's own code and message."""
    server.script(DELETE_PATH, _accepted(server), method="DELETE")
    server.script(OPERATION_PATH, FAILED)
    with sync_client(server) as client, pytest.raises(HttpResponseError) as caught:
        client.stac.begin_delete_collection("doomed", polling_interval=0).result(timeout=10)
    assert caught.value.error is not None
    assert caught.value.error.code == "CollectionLocked"
    assert caught.value.error.message == "the collection is used by a running ingestion"


async def test_async_lro_recovers_and_fails_clearly(server: FaultServer) -> None:
    server.script(DELETE_PATH, _accepted(server), method="DELETE")
    server.script(OPERATION_PATH, throttled(503), _operation("Succeeded"))
    async with async_client(server) as client:
        poller = await client.stac.begin_delete_collection("doomed", polling_interval=0)
        await poller.result()
        assert poller.status() == "Succeeded"
        server.script(OPERATION_PATH, FAILED)
        poller = await client.stac.begin_delete_collection("doomed", polling_interval=0)
        with pytest.raises(HttpResponseError) as caught:
            await poller.result()
    assert "CollectionLocked" in str(caught.value) and "running ingestion" in str(caught.value)
    assert server.count(DELETE_PATH, "DELETE") == 2
    survived("status:503 + operation Failed (async)", 2)


RUNS_PATH = "/inma/collections/naip/ingestions/ingestion-1/runs"
RUN_PATH = RUNS_PATH + "/run-1"


def _run(status: str, **history_entry: str) -> dict[str, Any]:
    history = [{"status": "Pending", "timestamp": "2026-04-15T15:55:42Z"}]
    if status != "Pending":
        history.append({"status": status, "timestamp": "2026-04-15T15:56:42Z", **history_entry})
    done = status in ("Succeeded", "Failed")
    operation = {
        "id": "op-run-1",
        "status": status,
        "statusHistory": history,
        "creationTime": "2026-04-15T15:55:42Z",
        "totalItems": 2,
        "totalPendingItems": 0 if done else 2,
        "totalSuccessfulItems": 2 if status == "Succeeded" else 0,
        "totalFailedItems": 2 if status == "Failed" else 0,
    }
    return {"id": "run-1", "creationTime": "2026-04-15T15:55:42Z", "operation": operation}


def _begin_run(client: Any) -> Any:
    begin_run = client.ingestion.begin_run
    return begin_run("naip", "ingestion-1", polling_interval=0)


def test_ingestion_run_poll_recovers_from_transient_failures(server: FaultServer) -> None:
    server.script(RUNS_PATH, Reply.json(_run("Pending"), 201), method="POST")
    server.script(
        RUN_PATH, throttled(503), Reply.html(502), Reply.json(_run("Running")), Reply.json(_run("Succeeded"))
    )
    with sync_client(server) as client:
        run = _begin_run(client).result(timeout=10)
    assert run.operation.status == "Succeeded"
    assert server.count(RUNS_PATH, "POST") == 1  # the run is started once, never again on a retry
    assert server.count(RUN_PATH) == 4
    assert all_tokens_authorized(server.requests)
    survived("status:503/502 (ingestion run poll)", 2)


def test_failed_ingestion_run_raises_with_the_services_reason(server: FaultServer) -> None:
    server.script(RUNS_PATH, Reply.json(_run("Pending"), 201), method="POST")
    failed = _run("Failed", errorCode="InvalidAsset", errorMessage="asset image has no href")
    server.script(RUN_PATH, Reply.json(_run("Running")), Reply.json(failed))
    with sync_client(server) as client:
        poller = _begin_run(client)
        with pytest.raises(HttpResponseError) as caught:
            poller.result(timeout=10)
    assert "InvalidAsset" in str(caught.value) and "asset image has no href" in str(caught.value)
    assert server.count(RUN_PATH) == 2
    survived("ingestion run Failed")


# --------------------------------------------------------------------------------------------------
# Unbounded work from the service's answers: Retry-After of a day, gzip bombs, trickling bodies
# --------------------------------------------------------------------------------------------------


class _NoLongSleep(Urllib3Transport):
    """The default transport, failing (instead of sleeping for a day) when asked to wait long."""

    def sleep(self, duration: float) -> None:
        assert duration <= 5, f"asked to sleep {duration} s"
        super().sleep(duration)


def _async_no_long_sleep() -> Any:
    from azure.planetarycomputer.aio._aiohttp_transport import EncodedUrlAioHttpTransport

    class NoLongSleep(EncodedUrlAioHttpTransport):
        async def sleep(self, duration: float) -> None:
            assert duration <= 5, f"asked to sleep {duration} s"
            await super().sleep(duration)

    return NoLongSleep()


def test_a_retry_after_of_a_day_is_capped_at_the_maximum_backoff(server: FaultServer) -> None:
    server.script(COLLECTION_PATH, throttled(503, "86400"), Reply.json(COLLECTION))
    with sync_client(server, transport=_NoLongSleep()) as client:  # retry_backoff_max=0.2
        started = time.monotonic()
        collection = client.stac.get_collection("naip")
        waited = time.monotonic() - started
    assert collection.id == "naip" and server.count(COLLECTION_PATH) == 2
    assert 0.15 <= waited < 0.2 + SLACK, f"Retry-After: 86400 capped at 0.2 s, waited {waited:.2f}s"
    survived("status:503+Retry-After:86400")


def test_the_per_call_maximum_backoff_caps_retry_after_too(server: FaultServer) -> None:
    server.script(SEARCH_PATH, throttled(429, "86400"), Reply.json(search_page(["a"])))
    with sync_client(server, retry_backoff_max=60, transport=_NoLongSleep()) as client:
        started = time.monotonic()
        items = list(client.stac.search_items_paged(collections="naip", retry_backoff_max=0.3))
        waited = time.monotonic() - started
    assert [item.id for item in items] == ["a"]
    assert 0.25 <= waited < 0.3 + SLACK
    survived("status:429+Retry-After:86400")


async def test_async_a_retry_after_of_a_day_is_capped(server: FaultServer) -> None:
    server.script(COLLECTION_PATH, throttled(429, "86400"), Reply.json(COLLECTION))
    async with async_client(server, transport=_async_no_long_sleep()) as client:
        started = time.monotonic()
        collection = await client.stac.get_collection("naip")
        waited = time.monotonic() - started
    assert collection.id == "naip"
    assert 0.15 <= waited < 0.2 + SLACK
    survived("status:429+Retry-After:86400 (async)")


@functools.cache
def _compressed_json(decoded_size: int) -> bytes:
    payload = b'{"id": "naip", "description": "' + b" " * decoded_size + b'"}'
    return gzip.compress(payload, compresslevel=6)


def _gzip_bomb(decoded_size: int) -> Reply:
    """A JSON body a thousand times smaller on the wire than decoded (1 MiB would become 1 GiB)."""
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    return Reply(200, headers, _compressed_json(decoded_size))


BOMB = 16 * 1024 * 1024
LIMIT = 1024 * 1024


def test_a_gzip_bomb_is_refused_once_past_max_response_size(server: FaultServer) -> None:
    server.script(COLLECTION_PATH, _gzip_bomb(BOMB))
    server.script(SEARCH_PATH, _gzip_bomb(BOMB))
    with sync_client(server, max_response_size=LIMIT) as client:
        with pytest.raises(DecodeError, match=r"GET /stac/collections/naip is larger than max_response_size"):
            client.stac.get_collection("naip")
        with pytest.raises(DecodeError, match=r"max_response_size=1048576 bytes once decoded from gzip"):
            list(client.stac.search_items_paged(collections="naip"))
        # a per-call limit overrides the client's: the same answer fits in 32 MiB
        with pytest.raises(DecodeError, match="max_response_size=2048 bytes"):
            client.stac.get_collection("naip", max_response_size=2048)
        assert client.stac.get_collection("naip", max_response_size=32 * 1024 * 1024).id == "naip"
    survived("gzip bomb", 3)


def test_the_default_size_limit_is_256_mib() -> None:
    from azure.planetarycomputer._transport import DEFAULT_MAX_RESPONSE_SIZE, Urllib3Transport

    assert DEFAULT_MAX_RESPONSE_SIZE == 256 * 1024 * 1024
    assert Urllib3Transport()._max_response_size == DEFAULT_MAX_RESPONSE_SIZE
    with pytest.raises(ValueError, match="max_response_size must be positive"):
        Urllib3Transport(max_response_size=0)
    with pytest.raises(TypeError, match="response_timeout must be a number"):
        Urllib3Transport(response_timeout="5")


def test_a_streamed_download_is_not_capped_and_decodes_incrementally(server: FaultServer) -> None:
    # A tile or an asset may rightly be large: streams decode chunk by chunk, whatever their size.
    server.script(TILE_PATH, _gzip_bomb(4 * LIMIT))
    with sync_client(server, max_response_size=LIMIT) as client:
        chunks = list(client.data.get_tile("naip", "tile-1", "WebMercatorQuad", 3, 2, 1))
    assert sum(map(len, chunks)) > 4 * LIMIT
    assert max(map(len, chunks)) < 4 * LIMIT


async def test_async_a_gzip_bomb_is_refused(server: FaultServer) -> None:
    server.script(COLLECTION_PATH, _gzip_bomb(BOMB))
    server.script(SEARCH_PATH, _gzip_bomb(BOMB))
    async with async_client(server, max_response_size=LIMIT) as client:
        with pytest.raises(DecodeError, match="larger than max_response_size=1048576 bytes once decoded"):
            await client.stac.get_collection("naip")
        with pytest.raises(DecodeError, match="larger than max_response_size"):
            _ = [item async for item in client.stac.search_items_paged(collections="naip")]
        assert (await client.stac.get_collection("naip", max_response_size=32 * 1024 * 1024)).id == "naip"
    survived("gzip bomb (async)", 2)


TRICKLE = Reply.trickle(json.dumps(COLLECTION).encode(), every=0.1)  # ~40 s for the whole body


def test_a_trickling_body_ends_at_the_response_timeout(server: FaultServer) -> None:
    server.script(COLLECTION_PATH, TRICKLE)
    with sync_client(server, retry_total=0, read_timeout=5, response_timeout=1) as client:
        started = time.monotonic()
        with pytest.raises(ServiceResponseTimeoutError, match="not complete within response_timeout=1 s"):
            client.stac.get_collection("naip")
        waited = time.monotonic() - started
    assert 0.9 <= waited < 1.0 + SLACK, f"a trickle read for {waited:.2f}s"
    survived("trickle")


def test_a_trickling_search_page_ends_at_the_per_call_response_timeout(server: FaultServer) -> None:
    server.script(SEARCH_PATH, Reply.trickle(json.dumps(search_page(["a"])).encode(), every=0.1))
    with sync_client(server, retry_total=0, read_timeout=5) as client:
        started = time.monotonic()
        with pytest.raises(ServiceResponseTimeoutError):
            list(client.stac.search_items_paged(collections="naip", response_timeout=0.5))
        waited = time.monotonic() - started
    assert waited < 0.5 + SLACK
    survived("trickle")


async def test_async_a_trickling_body_ends_at_the_response_timeout(server: FaultServer) -> None:
    server.script(COLLECTION_PATH, TRICKLE)
    async with async_client(server, retry_total=0, read_timeout=5, response_timeout=1) as client:
        started = time.monotonic()
        with pytest.raises(ServiceResponseTimeoutError, match="response_timeout=1 s"):
            await client.stac.get_collection("naip")
        waited = time.monotonic() - started
    assert 0.9 <= waited < 1.0 + SLACK
    survived("trickle (async)")


def test_a_trickling_stream_ends_at_a_response_timeout_given_for_the_request(server: FaultServer) -> None:
    server.script(TILE_PATH, Reply.trickle(b"x" * 400, every=0.1, content_type="image/png"))
    with sync_client(server, retry_total=0, read_timeout=5) as client:
        started = time.monotonic()
        with pytest.raises(ServiceResponseTimeoutError, match="response_timeout=1 s"):
            b"".join(client.data.get_tile("naip", "tile-1", "WebMercatorQuad", 3, 2, 1, response_timeout=1))
        waited = time.monotonic() - started
    assert 0.9 <= waited < 1.0 + SLACK
    survived("trickle (tile stream)")


def test_a_stream_is_not_cut_by_the_client_wide_response_timeout(server: FaultServer) -> None:
    # A large download may rightly take longer than any JSON answer: only a per-request limit applies.
    server.script(TILE_PATH, Reply.trickle(b"x" * 8, every=0.1, content_type="image/png"))
    with sync_client(server, retry_total=0, response_timeout=0.3) as client:
        body = b"".join(client.data.get_tile("naip", "tile-1", "WebMercatorQuad", 3, 2, 1))
    assert body == b"x" * 8


async def test_async_a_trickling_stream_ends_at_a_response_timeout_given_for_the_request(
    server: FaultServer,
) -> None:
    server.script(
        TILE_PATH,
        Reply.trickle(b"x" * 400, every=0.1, content_type="image/png"),
        Reply.trickle(b"x" * 5, every=0.1, content_type="image/png"),  # then one that ends in time
    )
    async with async_client(server, retry_total=0, read_timeout=5, response_timeout=0.3) as client:
        started = time.monotonic()
        with pytest.raises(ServiceResponseTimeoutError, match="response_timeout=1 s"):
            chunks = await client.data.get_tile(
                "naip", "tile-1", "WebMercatorQuad", 3, 2, 1, response_timeout=1
            )
            _ = [chunk async for chunk in chunks]
        waited = time.monotonic() - started
        short = await client.data.get_tile("naip", "tile-1", "WebMercatorQuad", 3, 2, 1, response_timeout=60)
        assert b"".join([chunk async for chunk in short]) == b"x" * 5  # not cut by the client's 0.3 s
    assert 0.9 <= waited < 1.0 + SLACK
    survived("trickle (async tile stream)")


def test_a_plain_body_over_the_limit_is_refused_by_its_content_length(server: FaultServer) -> None:
    big = json.dumps({**COLLECTION, "description": "x" * (2 * LIMIT)}).encode()
    server.script(COLLECTION_PATH, Reply(200, {"Content-Type": "application/json"}, big))
    with sync_client(server, max_response_size=LIMIT) as client:
        with pytest.raises(DecodeError, match="larger than max_response_size=1048576 bytes;"):
            client.stac.get_collection("naip")
        assert client.stac.get_collection("naip", max_response_size=4 * LIMIT).id == "naip"


async def test_async_a_plain_body_over_the_limit_is_refused(server: FaultServer) -> None:
    big = json.dumps({**COLLECTION, "description": "x" * (2 * LIMIT)}).encode()
    server.script(COLLECTION_PATH, Reply(200, {"Content-Type": "application/json"}, big))
    async with async_client(server, max_response_size=LIMIT) as client:
        with pytest.raises(DecodeError, match="larger than max_response_size=1048576 bytes;"):
            await client.stac.get_collection("naip")
        assert (await client.stac.get_collection("naip", max_response_size=4 * LIMIT)).id == "naip"

"""The commissioning document's names: thin aliases over the generated operations.

``list_collections`` -> ``get_collections``, ``search_items`` -> ``search``,
``create_or_update_collection`` -> ``get_collection`` + ``begin_create_collection`` (404) or
``replace_collection``, ``data.get_item_tile`` -> ``get_tile``. Responses are the recorded ones
(``tests/data/recordings``), with the recorded hosts replaced by the test endpoint.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable
from urllib.parse import urlsplit

import pytest
from _capture import (
    AsyncCapturingTransport,
    CannedResponse,
    CapturedRequest,
    CapturingTransport,
    FakeAsyncTokenCredential,
    FakeTokenCredential,
    data_path,
)
from azure.core.exceptions import HttpResponseError
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from azure.planetarycomputer.models import (
    FilterLanguage,
    StacCatalogCollections,
    StacCollection,
    StacItemCollection,
    StacSearchParameters,
)

ENDPOINT = "https://cat.geocatalog.spatio.azure.com"
_RECORDED_HOST = re.compile(
    r"https://[A-Za-z0-9_.-]+\.geocatalog\.(?:ppe\.)?spatio\.azure(?:-test)?\.(?:com|net)"
)


def recording(fragment: str) -> list[dict[str, Any]]:
    """The entries of the one recording whose file name contains ``fragment``, hosts rewritten."""
    [path] = [p for p in data_path("recordings").glob("*.json") if fragment in p.name]
    text = _RECORDED_HOST.sub(ENDPOINT, path.read_text())
    return json.loads(text)["Entries"]


def replay(entry: dict[str, Any], **changes: Any) -> CannedResponse:
    """A recorded response (JSON body), optionally with some body fields changed."""
    body = entry["ResponseBody"]
    if changes:
        body = {**body, **changes}
    headers = {
        k: v
        for k, v in entry["ResponseHeaders"].items()
        if k.lower() not in ("content-encoding", "content-length")
    }
    return CannedResponse(status=entry["StatusCode"], headers=headers, body=json.dumps(body).encode())


def sync_client(
    responder: Callable[[CapturedRequest], CannedResponse],
) -> tuple[PlanetaryComputerProClient, CapturingTransport]:
    transport = CapturingTransport(responder)
    return PlanetaryComputerProClient(
        ENDPOINT, FakeTokenCredential(), transport=transport, polling_interval=0
    ), transport


def async_client(
    responder: Callable[[CapturedRequest], CannedResponse],
) -> tuple[AsyncPlanetaryComputerProClient, AsyncCapturingTransport]:
    transport = AsyncCapturingTransport(responder)
    client = AsyncPlanetaryComputerProClient(
        ENDPOINT, FakeAsyncTokenCredential(), transport=transport, polling_interval=0
    )
    return client, transport


def calls(transport: CapturingTransport | AsyncCapturingTransport) -> list[tuple[str, str]]:
    return [(request.method, request.path) for request in transport.requests]


# --------------------------------------------------------------------------------------------------
# list_collections and search_items
# --------------------------------------------------------------------------------------------------

COLLECTIONS = recording("test_01_list_collections")[0]


def test_list_collections_is_get_collections() -> None:
    client, transport = sync_client(lambda request: replay(COLLECTIONS))
    result = client.stac.list_collections(sign="true", headers={"x-trace": "1"})

    assert isinstance(result, StacCatalogCollections)
    assert [c.id for c in result.collections] == [c["id"] for c in COLLECTIONS["ResponseBody"]["collections"]]
    assert calls(transport) == [("GET", "/stac/collections")]
    assert transport.last.query == [("api-version", "2026-04-15"), ("sign", "true")]
    assert transport.last.header("x-trace") == "1"


SEARCH = recording("test_05_search_items_with_spatial_filter")[0]


def test_search_items_is_one_search_page() -> None:
    client, transport = sync_client(lambda request: replay(SEARCH))
    params = StacSearchParameters(
        collections=["naip"],
        filter_lang=FilterLanguage.CQL2_JSON,
        filter=SEARCH["RequestBody"]["filter"],
        limit=10,
    )
    page = client.stac.search_items(body=params, duration_in_minutes=5)

    assert isinstance(page, StacItemCollection)
    assert [f.id for f in page.features] == [f["id"] for f in SEARCH["ResponseBody"]["features"]]
    assert calls(transport) == [("POST", "/stac/search")]
    assert transport.last.json() == {
        "collections": ["naip"],
        "filter-lang": "cql2-json",
        "filter": SEARCH["RequestBody"]["filter"],
        "limit": 10,
    }
    assert ("duration", "5") in transport.last.query


# --------------------------------------------------------------------------------------------------
# create_or_update_collection
# --------------------------------------------------------------------------------------------------

LIFECYCLE = recording("test_01_begin_create_collection")
NEW_COLLECTION = LIFECYCLE[1]["RequestBody"]  # the body the recorded creation sent
COLLECTION_ID = NEW_COLLECTION["id"]


class CollectionService:
    """The recorded creation flow: GET 404, POST 202, polls until Succeeded, GET 200; or PUT 200."""

    def __init__(self, exists: bool, *, conflict: bool = False) -> None:
        self.exists = exists
        self.conflict = conflict
        self.polls = 0

    def __call__(self, request: CapturedRequest) -> CannedResponse:
        path = request.path
        if request.method == "GET" and path == f"/stac/collections/{COLLECTION_ID}":
            return replay(LIFECYCLE[-1] if self.exists else LIFECYCLE[0])
        if request.method == "POST" and path == "/stac/collections":
            if self.conflict:
                return CannedResponse.json(
                    {"error": {"code": "Conflict", "message": "exists"}},
                    status=409,
                    headers={"x-ms-error-code": "Conflict"},
                )
            return replay(LIFECYCLE[1])
        if request.method == "GET" and path.startswith("/inma/operations/"):
            self.polls += 1
            if self.polls == 1:
                return replay(LIFECYCLE[2])  # Pending
            self.exists = True
            return replay(LIFECYCLE[3])  # Succeeded
        if request.method == "PUT" and path == f"/stac/collections/{COLLECTION_ID}":
            self.exists = True
            return replay(LIFECYCLE[-1], title=request.json().get("title"))
        raise AssertionError(f"unexpected {request.method} {request.url}")


def test_create_or_update_creates_an_absent_collection_and_returns_it() -> None:
    service = CollectionService(exists=False)
    client, transport = sync_client(service)
    created = client.stac.create_or_update_collection(
        collection_id=COLLECTION_ID, body=StacCollection(NEW_COLLECTION)
    )

    assert isinstance(created, StacCollection)
    assert created.id == COLLECTION_ID
    assert created.title == LIFECYCLE[-1]["ResponseBody"]["title"]
    assert calls(transport) == [
        ("GET", f"/stac/collections/{COLLECTION_ID}"),
        ("POST", "/stac/collections"),
        ("GET", "/inma/operations/00000000-0000-0000-0000-000000000000"),  # Pending
        ("GET", "/inma/operations/00000000-0000-0000-0000-000000000000"),  # Succeeded
        ("GET", urlsplit(LIFECYCLE[1]["ResponseHeaders"]["Location"]).path),  # the poller's final GET
        ("GET", f"/stac/collections/{COLLECTION_ID}"),
    ]
    assert transport.requests[1].json() == NEW_COLLECTION


def test_create_or_update_replaces_an_existing_collection() -> None:
    client, transport = sync_client(CollectionService(exists=True))
    body = {**NEW_COLLECTION, "title": "Renamed"}
    replaced = client.stac.create_or_update_collection(COLLECTION_ID, body)

    assert replaced.title == "Renamed"
    assert calls(transport) == [
        ("GET", f"/stac/collections/{COLLECTION_ID}"),
        ("PUT", f"/stac/collections/{COLLECTION_ID}"),
    ]
    assert transport.requests[1].json() == body


def test_create_or_update_replaces_when_the_collection_appears_meanwhile() -> None:
    client, transport = sync_client(CollectionService(exists=False, conflict=True))
    client.stac.create_or_update_collection(COLLECTION_ID, NEW_COLLECTION)
    assert [method for method, _ in calls(transport)] == ["GET", "POST", "PUT"]


def test_create_or_update_fills_in_a_missing_id() -> None:
    client, transport = sync_client(CollectionService(exists=True))
    body = {key: value for key, value in NEW_COLLECTION.items() if key != "id"}
    client.stac.create_or_update_collection(COLLECTION_ID, body)
    assert transport.requests[1].json() == {**body, "id": COLLECTION_ID}
    assert "id" not in body  # the caller's mapping is left alone


@pytest.mark.parametrize(
    ("collection_id", "body", "error", "match"),
    [
        ("other-id", NEW_COLLECTION, ValueError, "body id"),
        ("", NEW_COLLECTION, ValueError, "^collection_id"),
        (7, NEW_COLLECTION, TypeError, "^collection_id"),
        (COLLECTION_ID, b"{}", TypeError, "^body"),
    ],
)
def test_create_or_update_refuses_bad_arguments_before_any_request(
    collection_id: Any, body: Any, error: type[Exception], match: str
) -> None:
    client, transport = sync_client(CollectionService(exists=False))
    with pytest.raises(error, match=match):
        client.stac.create_or_update_collection(collection_id, body)
    assert transport.requests == []


def test_create_or_update_reports_a_failed_creation() -> None:
    service = CollectionService(exists=False)

    def failing(request: CapturedRequest) -> CannedResponse:
        if request.path.startswith("/inma/operations/"):
            return replay(LIFECYCLE[3], status="Failed")
        return service(request)

    client, _ = sync_client(failing)
    with pytest.raises(HttpResponseError):
        client.stac.create_or_update_collection(COLLECTION_ID, NEW_COLLECTION)


# --------------------------------------------------------------------------------------------------
# data.get_item_tile
# --------------------------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def tile_answer(request: CapturedRequest) -> CannedResponse:
    return CannedResponse(status=200, headers={"Content-Type": "image/png"}, body=PNG, chunk_size=1000)


def test_get_item_tile_is_get_tile() -> None:
    client, transport = sync_client(tile_answer)
    chunks = list(
        client.data.get_item_tile(
            collection_id="naip",
            item_id="ga_m_3308421_se_16_060_20211114",
            tile_matrix_set_id="WebMercatorQuad",
            z=14,
            x=4322,
            y=6463,
            assets=["image"],
        )
    )
    assert b"".join(chunks) == PNG
    assert len(chunks) > 1  # streamed
    assert calls(transport) == [
        (
            "GET",
            "/data/mosaic/collections/naip/items/ga_m_3308421_se_16_060_20211114/tiles/WebMercatorQuad/14.0/4322.0/6463.0",
        )
    ]
    assert transport.last.query == [("api-version", "2026-04-15"), ("assets", "image")]


def test_shared_access_signature_is_the_sas_group() -> None:
    client, _ = sync_client(tile_answer)
    assert client.shared_access_signature is client.sas


# --------------------------------------------------------------------------------------------------
# Async twins
# --------------------------------------------------------------------------------------------------


async def test_async_list_collections_and_search_items() -> None:
    client, transport = async_client(
        lambda request: replay(COLLECTIONS if request.method == "GET" else SEARCH)
    )
    async with client:
        collections = await client.stac.list_collections()
        page = await client.stac.search_items(body={"collections": ["naip"], "limit": 10})
    assert len(collections.collections) == len(COLLECTIONS["ResponseBody"]["collections"])
    assert len(page.features) == len(SEARCH["ResponseBody"]["features"])
    assert calls(transport) == [("GET", "/stac/collections"), ("POST", "/stac/search")]


async def test_async_create_or_update_creates_then_replaces() -> None:
    service = CollectionService(exists=False)
    client, transport = async_client(service)
    async with client:
        created = await client.stac.create_or_update_collection(COLLECTION_ID, NEW_COLLECTION)
        assert created.id == COLLECTION_ID
        replaced = await client.stac.create_or_update_collection(
            COLLECTION_ID, {**NEW_COLLECTION, "title": "Again"}
        )
    assert replaced.title == "Again"
    assert [method for method, _ in calls(transport)] == [
        "GET",
        "POST",
        "GET",
        "GET",
        "GET",
        "GET",
        "GET",
        "PUT",
    ]


async def test_async_get_item_tile() -> None:
    client, transport = async_client(tile_answer)
    async with client:
        stream = await client.data.get_item_tile(
            "naip", "item-1", "WebMercatorQuad", 3, 2, 1, assets=["image"]
        )
        data = b"".join([chunk async for chunk in stream])
    assert data == PNG
    assert (
        transport.last.path == "/data/mosaic/collections/naip/items/item-1/tiles/WebMercatorQuad/3.0/2.0/1.0"
    )

"""Read-only POSTs are retried like GETs; writes keep azure-core's cautious rules."""

from __future__ import annotations

import pytest
from _capture import (
    AsyncCapturingTransport,
    CannedResponse,
    CapturingTransport,
    FakeAsyncTokenCredential,
    FakeTokenCredential,
)
from azure.core.exceptions import HttpResponseError
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer._retry import is_read_only_post
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient

ENDPOINT = "https://cat.geocatalog.spatio.azure.com"
PAGE = {"type": "FeatureCollection", "features": [], "links": []}
FEATURE = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 0]}, "properties": {}}


def failure(status: int) -> CannedResponse:
    return CannedResponse.json({"error": {"code": "Transient", "message": "try again"}}, status=status)


def sync_client(transport: CapturingTransport) -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(
        ENDPOINT, FakeTokenCredential(), transport=transport, retry_backoff_factor=0, retry_total=3
    )


@pytest.mark.parametrize(
    ("method", "url", "expected"),
    [
        ("POST", f"{ENDPOINT}/stac/search?api-version=1", True),
        ("post", f"{ENDPOINT}/data/mosaic/collections/c/items/i/feature.png", True),
        ("POST", f"{ENDPOINT}/data/mosaic/register", True),
        ("POST", f"{ENDPOINT}/stac/collections", False),
        ("POST", f"{ENDPOINT}/inma/ingestion-sources", False),
        ("POST", f"{ENDPOINT}/sas/token/revoke", False),
        ("GET", f"{ENDPOINT}/stac/search", False),
    ],
)
def test_read_only_posts_are_recognised(method: str, url: str, expected: bool) -> None:
    assert is_read_only_post(method, url) is expected


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_search_post_is_retried_without_retry_after(status: int) -> None:
    transport = CapturingTransport([failure(status), failure(status), CannedResponse.json(PAGE)])
    page = sync_client(transport).stac.search({"collections": ["naip"]})
    assert page.features == []
    assert [r.method for r in transport.requests] == ["POST"] * 3
    assert all(r.json() == {"collections": ["naip"]} for r in transport.requests)


def test_feature_crop_post_is_retried() -> None:
    transport = CapturingTransport([failure(502), CannedResponse.data(b"\x89PNG")])
    chunks = sync_client(transport).data.crop_feature_by_format("c", "i", "png", FEATURE)
    assert b"".join(chunks) == b"\x89PNG"
    assert len(transport.requests) == 2


def test_exhausted_retries_give_one_error_with_the_service_code() -> None:
    transport = CapturingTransport([failure(429)] * 4)
    with pytest.raises(HttpResponseError) as caught:
        sync_client(transport).stac.search({"collections": ["naip"]})
    assert caught.value.status_code == 429
    assert caught.value.error is not None and caught.value.error.code == "Transient"
    assert len(transport.requests) == 4  # the first try and three retries


def test_creating_a_collection_is_not_retried_on_429() -> None:
    transport = CapturingTransport([failure(429), CannedResponse.json({})])
    with pytest.raises(HttpResponseError):
        sync_client(transport).stac.begin_create_collection({"id": "c"}, polling_interval=0)
    assert len(transport.requests) == 1


async def test_async_search_post_is_retried() -> None:
    transport = AsyncCapturingTransport([failure(429), failure(502), CannedResponse.json(PAGE)])
    async with AsyncPlanetaryComputerProClient(
        ENDPOINT, FakeAsyncTokenCredential(), transport=transport, retry_backoff_factor=0
    ) as client:
        page = await client.stac.search({"collections": ["naip"]})
    assert page.features == []
    assert len(transport.requests) == 3

"""``search_items_paged`` against the local GeoCatalog stand-in (stac-fastapi-pgstac, tests/geocatalog).

The stand-in's next links are the real thing: POST links carrying the whole body and a pgstac
token. Skipped when the stand-in is not running (start it with ``tests/geocatalog/up``).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.planetarycomputer import PlanetaryComputerProClient
from azure.planetarycomputer.aio import PlanetaryComputerProClient as AsyncPlanetaryComputerProClient
from azure.planetarycomputer.models import Polygon, StacItem
from standin import ENDPOINT, needs_standin

COLLECTION = "sentinel-mini"


pytestmark = needs_standin


class Credential:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("standin-token", int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo("standin-token", int(time.time()) + 3600)

    async def close(self) -> None:
        pass


@pytest.fixture
def client() -> PlanetaryComputerProClient:
    return PlanetaryComputerProClient(ENDPOINT, Credential())


def test_every_item_once_across_pages(client: PlanetaryComputerProClient) -> None:
    one_page = client.stac.search({"collections": [COLLECTION], "limit": 10000})
    expected = sorted(feature.id for feature in one_page.features)
    assert len(expected) > 25

    pages = client.stac.search_items_paged(collections=COLLECTION, limit=10).by_page()
    sizes, ids = [], []
    for page in pages:
        items = list(page)
        sizes.append(len(items))
        ids += [item.id for item in items]
    assert sorted(ids) == expected
    assert sizes[:-1] == [10] * (len(sizes) - 1)
    item = client.stac.search_items_paged(collections=COLLECTION, limit=1, max_items=1).__next__()
    assert isinstance(item, StacItem) and isinstance(item.geometry, Polygon)
    assert item.properties.date_time


def test_resuming_from_a_token_continues_where_it_stopped(client: PlanetaryComputerProClient) -> None:
    search: dict[str, Any] = {"collections": COLLECTION, "limit": 7, "sortby": "id"}
    everything = [item.id for item in client.stac.search_items_paged(**search)]
    pages = client.stac.search_items_paged(**search).by_page()
    first = [item.id for page in (next(pages), next(pages)) for item in page]
    token = pages.continuation_token
    assert token is not None

    fresh = PlanetaryComputerProClient(ENDPOINT, Credential())
    rest = [item.id for page in fresh.stac.search_items_paged(**search).by_page(token) for item in page]
    assert first + rest == everything


def test_max_items_and_filters(client: PlanetaryComputerProClient) -> None:
    items = list(client.stac.search_items_paged(collections=COLLECTION, limit=4, max_items=10))
    assert len(items) == 10
    geometry = items[0].geometry
    assert isinstance(geometry, Polygon)
    west = min(x for x, _ in geometry.coordinates[0])
    south = min(y for _, y in geometry.coordinates[0])
    found = client.stac.search_items_paged(
        collections=COLLECTION, bbox=(west, south, west + 1e-6, south + 1e-6), limit=5
    )
    assert items[0].id in {item.id for item in found}
    cql = {"op": "=", "args": [{"property": "id"}, items[3].id]}
    assert [item.id for item in client.stac.search_items_paged(filter=cql)] == [items[3].id]


async def test_async_pages_match_sync(client: PlanetaryComputerProClient) -> None:
    search: dict[str, Any] = {"collections": COLLECTION, "limit": 9, "sortby": "id"}
    expected = [item.id for item in client.stac.search_items_paged(**search)]
    async with AsyncPlanetaryComputerProClient(ENDPOINT, Credential()) as aclient:  # type: ignore[arg-type]
        got = [item.id async for item in aclient.stac.search_items_paged(**search)]
    assert got == expected


def test_a_bbox_crossing_the_antimeridian_finds_the_items_on_both_sides(
    client: PlanetaryComputerProClient,
) -> None:
    # The stand-in's items lie around -123/-122 and -85/-84 degrees of longitude. The box from -100
    # east across the antimeridian to -124 holds only those around -85; pgstac would read the raw
    # bbox [-100, 20, -124, 50] as -124..-100: only those around -123, the opposite.
    def west_edges(items: Any) -> set[int]:
        return {round(item["bbox"][0]) for item in items}

    everything = west_edges(client.stac.search_items_paged(limit=1000))
    assert {-123, -85} <= everything
    crossing = west_edges(client.stac.search_items_paged(bbox=[-100, 20, -124, 50], limit=1000))
    assert crossing and all(edge > -100 for edge in crossing)
    inside = west_edges(client.stac.search_items_paged(bbox=[-124, 20, -100, 50], limit=1000))
    assert inside and all(edge < -100 for edge in inside)
